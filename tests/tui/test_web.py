"""``orch dev --web`` in a real browser: the server as a subprocess, headless Chromium
(Debian's ``chromium``) driven over the DevTools protocol, keys typed into the page's
terminal. In CI a missing browser or textual-serve fails the test; elsewhere it skips."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from orch.core.instance import Instance
from orch.core.runs import PipelineRunStatus

ORCH = str(Path(sys.executable).parent / "orch")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--window-size=1400,900"]
REPO = '''
from orch import pipeline, solid


@solid
def greet(context):
    context.log.info("hello from the browser")
    return "hi"


@solid
def shout(context, word):
    return word.upper()


@pipeline
def web_hello():
    shout(greet())
'''


def _require_browser() -> None:
    try:
        import aiohttp  # noqa: F401  (textual-serve's own dependency: the DevTools client)
        import textual_serve  # noqa: F401
    except ImportError:
        missing = "textual-serve (pip install 'orch[web]')"
    else:
        missing = "" if CHROMIUM else "chromium (apt-get install chromium)"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the browser test needs {missing}")
        pytest.skip(f"needs {missing}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


class Page:
    """One page of the browser, over the DevTools protocol (a websocket)."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0

    async def call(self, method: str, **params):
        self.next_id += 1
        await self.ws.send_str(json.dumps({"id": self.next_id, "method": method,
                                           "params": params}))
        while True:
            message = json.loads((await self.ws.receive()).data)
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    async def evaluate(self, expression: str):
        result = await self.call("Runtime.evaluate", expression=expression,
                                 returnByValue=True)
        return result.get("result", {}).get("value")

    async def key(self, key: str, code: str, vk: int, text: str = "", modifiers: int = 0):
        for kind in ("keyDown", "keyUp"):
            await self.call("Input.dispatchKeyEvent", type=kind, key=key, code=code,
                            windowsVirtualKeyCode=vk, nativeVirtualKeyCode=vk,
                            modifiers=modifiers, **({"text": text} if text and
                                                    kind == "keyDown" else {}))

    async def type(self, text: str):
        for ch in text:
            await self.key(ch, f"Key{ch.upper()}" if ch.isalpha() else "", ord(ch.upper()), ch)


@pytest.fixture
def served(tmp_path, orch_home):
    """``orch dev --web`` on a free port and Chromium with a DevTools port; their URLs."""
    _require_browser()
    (tmp_path / "web_hello.py").write_text(REPO)
    port, devtools = _free_port(), _free_port()
    server = subprocess.Popen([ORCH, "dev", "--web", "--port", str(port), "-f",
                               "web_hello.py", "--no-daemon"], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              start_new_session=True)
    browser = subprocess.Popen([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'ch'}",
                                f"--remote-debugging-port={devtools}", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        page = _wait_http(f"http://127.0.0.1:{port}/")
        assert f"ws://127.0.0.1:{port}/ws" in page
        _wait_http(f"http://127.0.0.1:{devtools}/json/version")
        yield f"http://127.0.0.1:{port}/", devtools, tmp_path
    finally:
        for proc in (browser, server):
            os.killpg(proc.pid, 15)
        for proc in (browser, server):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait()


async def _open(devtools: int, url: str, session, downloads: Path):
    async with session.get(f"http://127.0.0.1:{devtools}/json") as response:
        targets = await response.json()
    target = next(t for t in targets if t.get("type") == "page")
    ws = await session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0)
    page = Page(ws)
    await page.call("Page.enable")
    # Under textual-serve a screenshot is delivered to the browser as a download.
    await page.call("Page.setDownloadBehavior", behavior="allow", downloadPath=str(downloads))
    await page.call("Page.navigate", url=url)
    deadline = time.monotonic() + 60
    while not await page.evaluate("document.body && "
                                  "document.body.classList.contains('-first-byte')"):
        assert time.monotonic() < deadline, "the app never sent its first byte"
        await asyncio.sleep(0.2)
    await page.evaluate("document.querySelector('.xterm-helper-textarea').focus()")
    return page


async def _screenshot_text(page: Page, devtools: int, session) -> str:
    """Textual's own screenshot (SVG: the screen's text), taken through the command palette;
    under textual-serve the browser opens it in a tab of its own, which is read here."""
    async def download_tabs() -> dict[str, str]:
        async with session.get(f"http://127.0.0.1:{devtools}/json") as response:
            return {t["id"]: t["webSocketDebuggerUrl"] for t in await response.json()
                    if "/download/" in t.get("url", "")}

    before = await download_tabs()
    await page.key("p", "KeyP", 80, modifiers=2)  # ctrl+p
    await asyncio.sleep(1.0)
    await page.type("screenshot")
    await asyncio.sleep(1.0)
    await page.key("Enter", "Enter", 13, "\r")
    deadline = time.monotonic() + 30
    while not (new := set(await download_tabs()) - set(before)):
        assert time.monotonic() < deadline, "the screenshot was never opened"
        await asyncio.sleep(0.2)
    ws = await session.ws_connect((await download_tabs())[new.pop()], max_msg_size=0)
    tab = Page(ws)
    text = ""
    while "<svg" not in text:
        assert time.monotonic() < deadline, "the screenshot tab stayed empty"
        await asyncio.sleep(0.3)
        text = await tab.evaluate("document.documentElement.outerHTML") or ""
    await ws.close()
    return text.replace("&nbsp;", " ").replace("&#160;", " ")


def test_the_workbench_renders_in_a_browser(served):
    import aiohttp

    url, devtools, folder = served

    async def drive() -> tuple[bytes, str]:
        async with aiohttp.ClientSession() as session:
            page = await _open(devtools, url, session, folder)
            text = ""
            deadline = time.monotonic() + 60
            while "shout" not in text:  # the DAG of the loaded pipeline
                assert time.monotonic() < deadline, "the DAG never showed"
                await asyncio.sleep(2)
                text = await _screenshot_text(page, devtools, session)
                await page.key("Escape", "Escape", 27)
            shot = await page.call("Page.captureScreenshot", format="png")
            return base64.b64decode(shot["data"]), text

    png, text = asyncio.run(drive())
    (folder / "browser.png").write_bytes(png)  # for a person to look at; not kept in the repo
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    for seen in ("web_hello", "greet", "shout", "Pipelines", "Runs"):
        assert seen in text


def test_pressing_r_in_the_browser_runs_the_pipeline(served, orch_home):
    import aiohttp

    url, devtools, _folder = served

    async def drive() -> None:
        async with aiohttp.ClientSession() as session:
            page = await _open(devtools, url, session, _folder)
            with Instance.from_home(orch_home) as instance:
                deadline = time.monotonic() + 90
                pressed = 0.0
                while not instance.get_runs():
                    assert time.monotonic() < deadline, "r launched nothing"
                    if time.monotonic() - pressed > 5:  # until the code has loaded
                        await page.key("r", "KeyR", 82, "r")
                        pressed = time.monotonic()
                    await asyncio.sleep(0.3)
                [run] = instance.get_runs()
                while instance.get_run(run.run_id).status not in (
                        PipelineRunStatus.SUCCESS, PipelineRunStatus.FAILURE):
                    assert time.monotonic() < deadline, "the run did not finish"
                    await asyncio.sleep(0.3)
                assert instance.get_run(run.run_id).status is PipelineRunStatus.SUCCESS
                assert run.pipeline_name == "web_hello"

    asyncio.run(drive())
