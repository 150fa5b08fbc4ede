"""What the app needs of a repository snapshot, read from the JSON the workspace loader
returns (the app never imports user code)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from orch.tui.state import pipeline_graph


@dataclass
class PipelineInfo:
    name: str
    nodes: list[str]
    edges: list[tuple[str, str]]
    leaf_solids: list[str]
    modes: list[str]
    presets: list[dict[str, Any]]
    code_hashes: dict[str, str]
    config_schemas: dict[str, Any] = field(default_factory=dict)

    def scaffolds(self) -> dict[str, str]:
        """A YAML template of the run config per mode, built from the schema snapshot."""
        from orch.core.config import config_type_from_snapshot, scaffold_config

        return {mode: scaffold_config(config_type_from_snapshot(schema))
                for mode, schema in self.config_schemas.items()}


def pipelines_of(snapshot: dict[str, Any]) -> dict[str, PipelineInfo]:
    """Pipelines by name, in the order the snapshot lists them."""
    entries = snapshot.get("pipelines") or []
    if isinstance(entries, dict):
        entries = list(entries.values())
    out: dict[str, PipelineInfo] = {}
    for entry in entries:
        pipe = entry.get("pipeline_snapshot") or entry.get("snapshot") or entry
        nodes, edges = pipeline_graph(pipe)
        out[pipe["name"]] = PipelineInfo(
            name=pipe["name"],
            nodes=nodes,
            edges=edges,
            leaf_solids=list(pipe.get("leaf_solids") or nodes),
            modes=[m["name"] for m in pipe.get("modes") or []] or ["default"],
            presets=list(pipe.get("presets") or []),
            code_hashes=dict(entry.get("code_hashes") or pipe.get("code_hashes") or {}),
            config_schemas=dict(entry.get("run_config_schemas") or {
                m["name"]: m["run_config_schema"] for m in entry.get("modes") or []
                if "run_config_schema" in m
            }),
        )
    return out


def subprocess_loader(target: Any, timeout: float = 30.0):
    """A loader for the app: each call imports ``target`` (a WorkspaceTarget) in a fresh
    process and returns the snapshot dict, or ``{"error": text}`` with the user's traceback."""
    from orch.core.workspace import WorkspaceLoadError, load_repository_snapshot

    def load() -> dict[str, Any]:
        try:
            return load_repository_snapshot(target, timeout=timeout).to_dict()
        except WorkspaceLoadError as e:
            return {"error": e.error.format()}

    return load
