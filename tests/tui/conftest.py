"""Fixtures for the app tests: a clean environment (no colour overrides, no animations, no
cursor blink) and snapshots of real pipelines, as the workspace loader would produce them."""

from __future__ import annotations

import os

import pytest
from orch.core.config import config_type_snapshot
from orch.core.definitions.snapshot import pipeline_snapshot
from orch.core.execution.run_config import run_config_schema


@pytest.fixture(autouse=True)
def _stable_textual(monkeypatch):
    for var in ("NO_COLOR", "TEXTUAL", "FORCE_COLOR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")


def snapshot_of(*pipelines) -> dict:
    """The repository snapshot the app expects, built from definitions in this process."""
    return {
        "pipelines": [
            {
                "pipeline_snapshot": pipeline_snapshot(p),
                "run_config_schemas": {
                    m.name: config_type_snapshot(run_config_schema(p, m))
                    for m in p.mode_definitions
                },
            }
            for p in pipelines
        ]
    }


@pytest.fixture
def orch_home(tmp_path, monkeypatch):
    home = tmp_path / "orch_home"
    monkeypatch.setenv("ORCH_HOME", str(home))
    return home


def wide_pipeline(n: int = 30):
    """A deterministic n-solid pipeline: a few sources, layers, fan-in at the end."""
    from orch import (
        DependencyDefinition,
        InputDefinition,
        MultiDependencyDefinition,
        OutputDefinition,
        PipelineDefinition,
        SolidDefinition,
        SolidInvocation,
    )

    def compute(_context, _inputs):
        from orch import Output

        yield Output(1)

    src = SolidDefinition("src", [], compute, [OutputDefinition()])
    node = SolidDefinition("node", [InputDefinition("x")], compute, [OutputDefinition()])
    sink = SolidDefinition("sink", [InputDefinition("xs")], compute, [OutputDefinition()])
    deps: dict = {SolidInvocation("src", alias="extract_a"): {},
                  SolidInvocation("src", alias="extract_b"): {}}
    names = ["extract_a", "extract_b"]
    for i in range(n - 3):
        upstream = names[i // 2] if i >= 2 else names[i % 2]
        name = f"step_{i:02d}"
        deps[SolidInvocation("node", alias=name)] = {"x": DependencyDefinition(upstream)}
        names.append(name)
    deps[SolidInvocation("sink", alias="publish")] = {
        "xs": MultiDependencyDefinition([DependencyDefinition(k) for k in names[-6:]])
    }
    return PipelineDefinition([src, node, sink], name=f"wide_{n}", dependencies=deps)


@pytest.fixture
def make_snapshot():
    return snapshot_of


os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")


def configured_pipeline():
    """A pipeline with solid and resource config and two modes (for the launchpad)."""
    from orch import (
        Field,
        ModeDefinition,
        PresetDefinition,
        StringSource,
        pipeline,
        resource,
        solid,
    )

    @resource(config_schema={"url": StringSource, "pool": Field(int, default_value=4)})
    def warehouse(init_context):
        return init_context.resource_config

    @solid(config_schema={"table": str, "limit": Field(int, default_value=100)},
           required_resource_keys={"warehouse"})
    def extract(context):
        return context.solid_config["table"]

    @solid
    def publish(context, rows):
        return rows

    @pipeline(
        mode_defs=[ModeDefinition("dev", resource_defs={"warehouse": warehouse}),
                   ModeDefinition("prod", resource_defs={"warehouse": warehouse})],
        preset_defs=[PresetDefinition("nightly", {"solids": {"extract": {"config": {
            "table": "orders"}}}}, mode="prod")],
    )
    def nightly_export():
        publish(extract())

    return nightly_export


async def wait_for(pilot, condition, seconds: float = 30.0) -> None:
    """Let the app run until ``condition()`` holds (workers post their messages meanwhile).
    A widget the condition reads may not be mounted yet on a loaded machine: that is "not
    yet", and the last such error is what a timeout reports."""
    from textual.css.query import NoMatches

    missing: NoMatches | None = None
    for _ in range(int(seconds / 0.1)):
        try:
            if condition():
                return
        except NoMatches as e:
            missing = e
        await pilot.pause(0.1)
    raise AssertionError(f"condition not met in time{f' ({missing})' if missing else ''}")
