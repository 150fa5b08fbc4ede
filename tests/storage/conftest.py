"""Fixtures for the storage tests: a real ORCH_HOME in a temporary directory, on each backend.

Every test that uses ``home`` runs twice (``backend``, see tests/conftest.py): ``[sqlite]``
(the default ``orch.db``) and ``[postgres]`` (orch.yaml pointing at a new database on the
session's real PostgreSQL server), unless it is marked ``sqlite_only``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from orch.core.instance import Instance
from orch.core.runs import PipelineRun

from tests.conftest import use_postgres


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str,
         request: pytest.FixtureRequest) -> Path:
    path = tmp_path / "orch_home"
    monkeypatch.setenv("ORCH_HOME", str(path))
    if backend == "postgres":
        use_postgres(path, request.getfixturevalue("postgres_url"))
    return path


@pytest.fixture
def instance(home: Path) -> Iterator[Instance]:
    inst = Instance.get()
    yield inst
    inst.close()


@pytest.fixture
def make_run(instance: Instance) -> Callable[..., PipelineRun]:
    def make(pipeline_name: str = "p", **kwargs: object) -> PipelineRun:
        return instance.create_run(PipelineRun(pipeline_name, **kwargs))

    return make
