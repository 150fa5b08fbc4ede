"""Run the benchmark suites: ``python -m benchmarks`` (all) or ``python -m benchmarks NAME``.

Each suite is a module ``benchmarks/bench_<name>.py`` with a ``main(argv: list[str]) -> None``
that prints its own table. Suites are discovered by file name, so adding one needs no edit here.
"""

from __future__ import annotations

import importlib
import pkgutil
import signal
import sys
import time
from pathlib import Path


def _suites() -> list[str]:
    here = Path(__file__).parent
    return sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules([str(here)])
        if m.name.startswith("bench_")
    )


def _skip_reason(e: BaseException) -> str | None:
    """Why a suite stopped when what it measures is not installed here: the test helpers that
    start its servers (SeaweedFS, PostgreSQL ...) skip through pytest, whose skip exception is
    no ``Exception``. None for any other error."""
    pytest = sys.modules.get("pytest")
    if pytest is not None and isinstance(e, pytest.skip.Exception):
        return str(e)
    return None


def _interruptible() -> None:
    """Started in the background (``cmd &`` in a script, ``nohup``), this process and every
    command it starts inherit SIGINT *ignored*: the suites' Ctrl-C to ``orch run --watch`` or
    ``orch queue run`` then did nothing, and each waited out its timeout (~15 s a watch).
    A handler here is reset to the default in each command it starts, as a user's shell
    leaves it."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _settle() -> None:
    """Between suites: the last one's scratch directories are removed before the next starts,
    so no suite is timed beside another's cleanup (tens of thousands of files after
    ``scale``)."""
    from .entry import settle

    waited = settle()
    if waited >= 0.5:
        print(f"(waited {waited:.1f} s for its scratch files to be removed)", flush=True)


def main(argv: list[str]) -> None:
    _interruptible()
    available = _suites()
    # Suite names come first; everything from the first flag on goes to the suites
    # (``reliability --runs 200``).
    first_flag = next((i for i, a in enumerate(argv) if a.startswith("-")), len(argv))
    wanted = argv[:first_flag] or available
    unknown = [w for w in wanted if w not in available]
    if unknown:
        sys.exit(f"unknown benchmark(s) {unknown}; available: {available}")
    flags = argv[first_flag:]
    failed = []
    began = time.monotonic()
    for name in wanted:
        print(f"\n=== {name}", flush=True)
        started = time.monotonic()
        try:  # one suite's failure is reported, and the others still run
            importlib.import_module(f"benchmarks.bench_{name}").main(flags)
        except KeyboardInterrupt:
            raise
        except BaseException as e:
            if isinstance(e, SystemExit) and e.code in (None, 0):
                continue
            reason = _skip_reason(e)
            if reason is not None:
                print(f"skipped: {reason}", flush=True)
                continue
            failed.append(name)
            print(f"suite {name} failed: {type(e).__name__}: {e}", flush=True)
        finally:
            print(f"({name}: {time.monotonic() - started:.0f} s)", flush=True)
            _settle()
    print(f"\n(all {len(wanted)} suites: {time.monotonic() - began:.0f} s)", flush=True)
    if failed:
        sys.exit(f"failed suites: {', '.join(failed)}")


if __name__ == "__main__":
    main(sys.argv[1:])
