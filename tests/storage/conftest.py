"""Fixtures for the storage tests: a real ORCH_HOME in a temporary directory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from orch.core.instance import Instance
from orch.core.runs import PipelineRun


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "orch_home"
    monkeypatch.setenv("ORCH_HOME", str(path))
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
