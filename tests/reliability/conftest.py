"""The fault-injection suite: small, deterministic versions of the attacks on orch (kill -9 at
seeded points, forced status races, poison events, escaping ids, runaway processes, full disks),
each against a real ORCH_HOME, real ``orch`` subprocesses and real signals.

``python -m benchmarks reliability --runs N`` is the long version of the same attacks.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ORCH = str(Path(sys.executable).parent / "orch")

# Solids for every attack; each pipeline uses fs_io_manager so both executors can run it.
REPO = '''
import os
import sys
import time
from pathlib import Path

from orch import ModeDefinition, Output, fs_io_manager, pipeline, solid

HERE = Path(__file__).parent
LOCAL = ModeDefinition(resource_defs={"io_manager": fs_io_manager})


@solid
def one(context) -> int:
    return 1


@solid
def plus(context, x: int) -> int:
    return x + 1


@pipeline(mode_defs=[LOCAL])
def fast():
    plus(plus(one()))


@solid
def nap(context, x: int) -> int:
    (HERE / "napping").write_text(str(os.getpid()))
    time.sleep(float(os.environ.get("NAP", "60")))
    return x


@pipeline(mode_defs=[LOCAL])
def slow():
    plus(nap(one()))


@solid
def cyclic(context):
    d = {"a": 1}
    d["self"] = d
    yield Output(1, metadata={"rows": 3, "bad": d})


@pipeline(mode_defs=[LOCAL])
def poison():
    cyclic()
    plus(one())


@solid
def exits(context) -> int:
    print("leaving", file=sys.stderr)
    sys.exit(3)


@solid
def interrupts(context) -> int:
    raise KeyboardInterrupt("user code raised it")


@solid
def unpicklable(context):
    import threading
    yield Output(2, metadata={"holder": {"lock": threading.Lock()}})


@pipeline(mode_defs=[LOCAL])
def base_exceptions():
    exits()
    interrupts()
    unpicklable()
    plus(one())


@solid(tags={"timeout": "0.5"})
def spins(context) -> int:
    while True:
        pass


@pipeline(mode_defs=[LOCAL])
def looping():
    spins()
    plus(one())


@solid(tags={"timeout": "soon"})
def badly_tagged(context) -> int:
    return 1


@pipeline(mode_defs=[LOCAL])
def bad_timeout():
    badly_tagged()


def _fork_sleeper(name):
    pid = os.fork()
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    (HERE / name).write_text(str(pid))
    return 1


@solid
def forks(context) -> int:
    return _fork_sleeper("grandchild")


@pipeline(mode_defs=[LOCAL])
def forking():
    plus(forks())


@solid(tags={"orch/keep_processes": "true"})
def starts_daemon(context) -> int:
    return _fork_sleeper("daemon")


@pipeline(mode_defs=[LOCAL])
def keeping():
    starts_daemon()
'''


def write_repo(directory: Path, text: str = REPO, name: str = "repo.py") -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture(scope="session")
def pycache(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("pycache"))


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / ".orch"


@pytest.fixture
def env(home, pycache) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items()
         if k not in ("GITHUB_ACTIONS", "PYTHONDONTWRITEBYTECODE")}
    e["ORCH_HOME"] = str(home)
    e["PYTHONPYCACHEPREFIX"] = pycache
    e["NO_COLOR"] = "1"
    return e


@pytest.fixture
def repo(tmp_path) -> Path:
    return write_repo(tmp_path)


def _foreground() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Orch:
    """The real ``orch`` console script in a subprocess."""

    def __init__(self, cwd: Path, env: dict[str, str]):
        self.cwd = cwd
        self.env = env

    def __call__(self, *args: str, timeout: float = 60, env: dict[str, str] | None = None,
                 input: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([ORCH, *args], cwd=self.cwd, env={**self.env, **(env or {})},
                              capture_output=True, text=True, timeout=timeout, input=input)

    def popen(self, *args: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.Popen:
        kwargs.setdefault("stdout", subprocess.PIPE)
        kwargs.setdefault("stderr", subprocess.PIPE)
        return subprocess.Popen([ORCH, *args], cwd=self.cwd, env={**self.env, **(env or {})},
                                text=True, preexec_fn=_foreground, **kwargs)


@pytest.fixture
def orch(tmp_path, env) -> Orch:
    return Orch(tmp_path, env)


def open_instance(home: Path):
    from orch.core.instance import Instance

    return Instance.from_home(home)


def runs(home: Path):
    """Runs oldest first."""
    with open_instance(home) as instance:
        return list(reversed(instance.get_runs()))


def events(home: Path, run_id: str, event_type: str | None = None):
    with open_instance(home) as instance:
        return [e for e in instance.get_logs_for_run(run_id)
                if event_type is None or e.event_type_value == event_type]


def raw_db(home: Path) -> sqlite3.Connection:
    """The instance's SQLite file opened directly (no recovery, no orch code)."""
    return sqlite3.connect(home / "orch.db")


def wait_for(predicate, timeout: float = 15.0, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
