"""JSON-serialisable snapshots of definitions: what storage keeps and what the app draws."""

from __future__ import annotations

from typing import Any

from .dependency import Graph
from .pipeline import PipelineDefinition


def _graph_snapshot(graph: Graph) -> dict[str, Any]:
    return {
        "solids": [
            {
                "name": name,
                "definition": graph.nodes[name].definition.name,
                "is_composite": graph.nodes[name].definition.is_composite,
                "tags": {k: str(v) for k, v in graph.nodes[name].merged_tags.items()},
                "inputs": {
                    input_name: {"kind": dep.kind,
                                 "sources": [[s.node, s.output] for s in dep.sources]}
                    for input_name, dep in graph.deps.get(name, {}).items()
                },
            }
            for name in graph.order
        ],
    }


def pipeline_snapshot(pipeline_def: PipelineDefinition) -> dict[str, Any]:
    """Solids (leaf and composite definitions), edges, modes, presets and code hashes."""
    definitions: dict[str, Any] = {}

    def collect(graph: Graph) -> None:
        for node in graph.nodes.values():
            d = node.definition
            if d.name in definitions:
                continue
            snap = d.snapshot()
            if d.is_composite:
                snap["graph"] = _graph_snapshot(d.graph)
                # Which inner solids take each composite input / produce each output.
                snap["input_mappings"] = {name: [[node, inp] for node, inp in targets]
                                          for name, targets in d.graph.input_mappings.items()}
                snap["output_mappings"] = {name: [ref.node, ref.output]
                                           for name, ref in d.graph.output_mappings.items()}
                collect(d.graph)
            definitions[d.name] = snap

    collect(pipeline_def.graph)
    return {
        "name": pipeline_def.name,
        "description": pipeline_def.description,
        "tags": {k: str(v) for k, v in pipeline_def.tags.items()},
        "graph": _graph_snapshot(pipeline_def.graph),
        "solid_definitions": definitions,
        "modes": [m.snapshot() for m in pipeline_def.mode_definitions],
        "presets": [p.snapshot() for p in pipeline_def.preset_defs],
        "leaf_solids": [h for h, _ in pipeline_def.iterate_leaf_solids()],
        "code_hashes": pipeline_def.code_hash_by_solid(),
        "solids_to_execute": sorted(pipeline_def.solids_to_execute)
        if pipeline_def.solids_to_execute else None,
    }
