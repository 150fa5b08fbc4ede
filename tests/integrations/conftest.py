"""Helpers for the integration tests: run the real ``orch`` console script on a repository
file written into a temporary folder, with its own ORCH_HOME, and read the events it prints
with ``--json``."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ORCH = str(Path(sys.executable).parent / "orch")


def require(extra: str, *modules: str) -> None:
    """Call at module level: the test module needs these packages (``orch[extra]``). In CI
    their absence fails the run; elsewhere the module is skipped, saying what to install."""
    missing = [m for m in modules if not _installed(m)]
    if not missing:
        return
    message = f"needs {', '.join(missing)}: pip install 'orch[{extra}]'"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message, allow_module_level=True)


def _installed(module: str) -> bool:
    """``find_spec`` raises for ``a.b`` when ``a`` itself is not installed."""
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


@dataclass
class OrchRun:
    returncode: int
    events: list[dict[str, Any]]
    stderr: str

    def of_type(self, event_type: str, step: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("event_type") == event_type
                and (step is None or e.get("step_key") == step)]

    def metadata(self, event: dict[str, Any]) -> dict[str, Any]:
        return {m["label"]: m["value"] for m in event["data"].get("metadata") or []}

    @property
    def run_id(self) -> str:
        return self.events[0]["run_id"]


class Project:
    """A folder holding a user's repository file and its instance."""

    def __init__(self, root: Path):
        self.root = root
        self.home = root / ".orch"

    def write(self, source: str, name: str = "repo.py") -> Path:
        path = self.root / name
        path.write_text(textwrap.dedent(source))
        return path

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "ORCH_HOME": str(self.home), **extra}

    def run(self, pipeline: str, *args: str, file: str = "repo.py", timeout: float = 120,
            env: dict[str, str] | None = None) -> OrchRun:
        proc = subprocess.run(
            [ORCH, "run", "-f", str(self.root / file), "-p", pipeline, "--json", *args],
            capture_output=True, text=True, timeout=timeout, cwd=self.root,
            env=env or self.env())
        events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
        return OrchRun(proc.returncode, events, proc.stderr)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


@pytest.fixture
def fakesnow(tmp_path_factory: pytest.TempPathFactory):
    from .servers import fakesnow_server

    with fakesnow_server(tmp_path_factory.mktemp("fakesnow")) as keys:
        yield keys


@pytest.fixture(scope="module")
def pg_tls():
    from .pg_tls import tls_postgres

    with tls_postgres() as server:
        yield server


@pytest.fixture(scope="module")
def bq(tmp_path_factory: pytest.TempPathFactory):
    from .servers import bqemulator

    with bqemulator(tmp_path_factory.mktemp("bqemulator")) as config:
        yield config


def local_spark_conf(scratch: Path) -> dict[str, Any]:
    """``spark_conf`` for local Spark on two cores, bound to loopback, writing under
    ``scratch``."""
    return {"spark": {"master": "local[2]", "app": {"name": "orch-tests"},
                      "ui": {"enabled": False, "showConsoleProgress": False},
                      "driver": {"host": "127.0.0.1", "bindAddress": "127.0.0.1"},
                      "sql": {"shuffle": {"partitions": 2},
                              "warehouse": {"dir": str(scratch / "warehouse")}},
                      "local": {"dir": str(scratch / "local")}}}


@pytest.fixture(scope="session")
def spark_session(tmp_path_factory: pytest.TempPathFactory):
    """One local Spark session (``local[2]``) for every test of the session that can share
    one: pyspark_resource reuses a running session and leaves it running, so runs executed in
    this process use it instead of starting a JVM each. Stopped when the tests end."""
    import shutil

    if shutil.which("java") is None:
        from .servers import unavailable

        unavailable("local Spark needs Java (java on PATH)")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from orch.integrations.pyspark import spark_session_from_config

    session = spark_session_from_config(local_spark_conf(tmp_path_factory.mktemp("spark")))
    yield session
    session.stop()
