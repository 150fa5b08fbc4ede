"""What the app needs of a repository snapshot, read from the JSON the workspace loader
returns (the app never imports user code)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from orch.tui.state import composite_handles, pipeline_graph

if TYPE_CHECKING:
    from orch.core.watch import CodeServerPool
    from orch.core.workspace import WorkspaceTarget


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
    snapshot: dict[str, Any] = field(default_factory=dict)
    composites: set[str] = field(default_factory=set)

    def graph(self, expanded: set[str]) -> tuple[list[str], list[tuple[str, str]]]:
        """Nodes and edges with the ``expanded`` composites drawn as their inner solids."""
        shown = {h for h in expanded if h in self.composites}
        if not shown or not self.snapshot:
            return self.nodes, self.edges
        return pipeline_graph(self.snapshot, shown)

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
            snapshot=pipe,
            composites=composite_handles(pipe),
        )
    return out


class SubprocessLoader:
    """The app's loader: each call imports ``target`` in a fresh code server taken from
    ``pool`` (started ahead: interpreter up, orch imported, no user code yet) and returns the
    snapshot dict, or ``{"error": text}`` with the user's traceback."""

    def __init__(self, target: WorkspaceTarget, pool: CodeServerPool | None = None,
                 timeout: float = 30.0):
        from orch.core.watch import CodeServerPool

        self.target = target
        self.timeout = timeout
        self.pool = pool or CodeServerPool(cwd=target.working_directory)

    def __call__(self) -> dict[str, Any]:
        from orch.core.workspace import WorkspaceLoadError

        server = self.pool.take()
        try:
            return server.load(self.target, timeout=self.timeout).to_dict()
        except WorkspaceLoadError as e:
            return {"error": e.error.format()}
        finally:
            server.close()

    def close(self) -> None:
        self.pool.close()


def subprocess_loader(target: WorkspaceTarget, timeout: float = 30.0) -> SubprocessLoader:
    return SubprocessLoader(target, timeout=timeout)
