"""Session-wide fixtures: a real PostgreSQL server for the storage suite's ``postgres``
backend (see ``tests/postgres_server.py``). Under CI a server that cannot start fails the
tests that need it; elsewhere they skip with the reason.

A test that asks for the ``backend`` fixture runs once per storage backend (``sqlite``,
``postgres``) unless it is marked ``sqlite_only`` (it reads SQLite's file or PRAGMAs itself).
"""

from __future__ import annotations

import importlib.util
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres_server import PostgresServer, ServerUnavailable, start

BACKENDS = ("sqlite", "postgres")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: the test reads SQLite's file itself")
    # Started in the background by a shell without job control (``nohup ... &``, some CI
    # runners), this process has SIGINT ignored, every command a test starts inherits that,
    # and Python then installs no KeyboardInterrupt for it: the Ctrl-C tests (a SIGINT to
    # ``orch run``) would wait out their timeouts. The tests are Ctrl-C as a terminal sends it.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        only_sqlite = metafunc.definition.get_closest_marker("sqlite_only") is not None
        metafunc.parametrize("backend", BACKENDS[:1] if only_sqlite else BACKENDS)


def storage_yaml(backend: str, request: pytest.FixtureRequest) -> str:
    """The orch.yaml ``storage`` block of ``backend`` ("" for SQLite, the default)."""
    if backend == "sqlite":
        return ""
    url = request.getfixturevalue("postgres_url")
    return f"storage:\n  postgres:\n    postgres_url: {url}\n"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is needed in CI and cannot be used: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    if importlib.util.find_spec("psycopg") is None or \
            importlib.util.find_spec("psycopg_pool") is None:
        _unavailable("psycopg is not installed (pip install -e '.[postgres]')")
    try:
        server = start()
    except ServerUnavailable as e:
        _unavailable(str(e))
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A new, empty database on the session's server."""
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)


def use_postgres(home: Path, url: str) -> None:
    """Point the instance at ``home`` to the database at ``url`` (its orch.yaml)."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "orch.yaml").write_text(f"storage:\n  postgres:\n    postgres_url: {url}\n")
