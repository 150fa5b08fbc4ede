"""Helpers for driving the real ``orch`` console script in subprocesses against temporary
repositories, each with its own ORCH_HOME."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_repo" / "sales.py"
ORCH = str(Path(sys.executable).parent / "orch")

# A repository whose solids log each call to calls.log beside the file, so a test can prove a
# solid's compute did (not) run.
REPO = '''
import os
import sys
import time
from pathlib import Path

from orch import Field, ModeDefinition, fs_io_manager, pipeline, solid

HERE = Path(__file__).parent
LOCAL = ModeDefinition(resource_defs={"io_manager": fs_io_manager})


def called(name):
    with open(HERE / "calls.log", "a") as f:
        f.write(name + "\\n")


@solid(config_schema={"start": Field(int, default_value=1), "label": Field(str, default_value="x")})
def extract(context) -> int:
    called("extract")
    context.log.info(f"label={context.solid_config['label']} start={context.solid_config['start']}")
    return context.solid_config["start"]


@solid
def transform(context, x: int) -> int:
    called("transform")
    return x + 1


@solid
def load(context, x: int) -> int:
    called("load")
    context.log.info(f"loaded {x}")
    return x


@pipeline(mode_defs=[LOCAL])
def etl():
    load(transform(extract()))


@solid
def boom(context, x: int) -> int:
    called("boom")
    print("about to fail", file=sys.stderr)
    raise ValueError(f"bad value {x}")


@solid
def after(context, x: int) -> int:
    called("after")
    return x


@pipeline(mode_defs=[LOCAL])
def failing():
    after(boom(extract()))


@solid
def gate(context, x: int) -> int:
    called("gate")
    if not (HERE / "gate.ok").exists():
        raise RuntimeError("gate closed")
    return x


@pipeline(mode_defs=[LOCAL])
def gated():
    load(gate(extract()))


@solid
def nap(context, x: int) -> int:
    called("nap")
    time.sleep(60)
    return x


@pipeline(mode_defs=[LOCAL])
def slow():
    nap(extract())


@pipeline(mode_defs=[LOCAL])
def slow_then():
    after(nap(extract()))


@solid
def hello_mem(context) -> str:
    return "hi"


@pipeline
def in_memory():
    hello_mem()
'''


def write_repo(directory: Path, text: str = REPO, name: str = "repo.py") -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture(scope="session")
def pycache(tmp_path_factory) -> str:
    # Bytecode for the subprocesses, kept outside the checkout (this environment sets
    # PYTHONDONTWRITEBYTECODE, which would make every `orch` recompile orch from source).
    return str(tmp_path_factory.mktemp("pycache"))


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / ".orch"


@pytest.fixture
def env(home, pycache) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items()
         if k not in ("GITHUB_ACTIONS", "PYTHONDONTWRITEBYTECODE", "ORCH_SAMPLE_FLAKY")}
    e["ORCH_HOME"] = str(home)
    e["PYTHONPYCACHEPREFIX"] = pycache
    e["NO_COLOR"] = "1"
    return e


@pytest.fixture
def repo(tmp_path) -> Path:
    return write_repo(tmp_path)


def _as_foreground_process() -> None:
    """Ctrl-C reaches a foreground command with SIGINT at its default. When the test run itself
    was started in the background, SIGINT is ignored and children would inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Orch:
    def __init__(self, cwd: Path, env: dict[str, str]):
        self.cwd = cwd
        self.env = env

    def __call__(self, *args: str, timeout: float = 60, env: dict[str, str] | None = None
                 ) -> subprocess.CompletedProcess:
        return subprocess.run([ORCH, *args], cwd=self.cwd, env={**self.env, **(env or {})},
                              capture_output=True, text=True, timeout=timeout)

    def popen(self, *args: str, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
              env: dict[str, str] | None = None) -> subprocess.Popen:
        return subprocess.Popen([ORCH, *args], cwd=self.cwd, env={**self.env, **(env or {})},
                                stdout=stdout, stderr=stderr, text=True,
                                preexec_fn=_as_foreground_process)


@pytest.fixture
def orch(tmp_path, env) -> Orch:
    return Orch(tmp_path, env)


def instance_at(home: Path):
    from orch.core.instance import Instance

    return Instance.from_home(home)


def runs(home: Path):
    """Runs oldest first."""
    with instance_at(home) as instance:
        return list(reversed(instance.get_runs()))


def events(home: Path, run_id: str, event_type: str | None = None):
    with instance_at(home) as instance:
        return [e for e in instance.get_logs_for_run(run_id)
                if event_type is None or e.event_type_value == event_type]


def calls(directory: Path) -> list[str]:
    path = directory / "calls.log"
    return path.read_text().split() if path.exists() else []


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
