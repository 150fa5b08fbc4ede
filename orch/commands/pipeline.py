"""``orch pipeline list | print | graph | snapshot``: what a code location defines."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from ._common import (
    Attribute,
    ModuleName,
    PipelineName,
    PythonFile,
    WorkingDirectory,
    choose,
    fail,
    load_in_process,
    make_target,
)

pipeline_app = typer.Typer(help="Inspect the pipelines a code location defines.",
                           no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(pipeline_app, name="pipeline")


def _entry(loaded: Any) -> dict[str, Any]:
    from orch.core.errors import DagsterError
    from orch.core.workspace import pipeline_entry

    try:
        return pipeline_entry(loaded)
    except DagsterError as e:
        fail(str(e))


def _inputs_text(solid: dict[str, Any]) -> str:
    parts = []
    for i in solid["inputs"]:
        sources = ", ".join(f"{d['solid']}.{d['output']}" for d in i["depends_on"])
        if sources:
            parts.append(f"{sources} ({i['name']})")
    return ", ".join(parts)


@pipeline_app.command("list")
def list_pipelines(
    python_file: PythonFile = None,
    module_name: ModuleName = None,
    attribute: Attribute = None,
    working_directory: WorkingDirectory = None,
) -> None:
    """Pipelines with their solids in execution order."""
    workspace = load_in_process(make_target(python_file, module_name, attribute,
                                            working_directory))
    if not workspace.pipelines:
        fail(f"No pipelines found in {workspace.target.describe()}.")
    out = []
    for name in workspace.pipeline_names:
        loaded = workspace.pipelines[name]
        definition = loaded.get_definition()
        where = f"  (repository {loaded.repository})" if loaded.repository else ""
        out.append(f"Pipeline: {name}{where}")
        if definition.description:
            out.append(f"Description: {definition.description.strip().splitlines()[0]}")
        out.append("Solids (execution order): " + ", ".join(definition.graph.order))
        out.append("")
    typer.echo("\n".join(out).rstrip())


@pipeline_app.command("print")
def print_pipeline(
    python_file: PythonFile = None,
    module_name: ModuleName = None,
    attribute: Attribute = None,
    working_directory: WorkingDirectory = None,
    pipeline: PipelineName = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v",
                                          help="Inputs, outputs, types, modes, presets.")] = False,
) -> None:
    """One pipeline's solids in execution order (with --verbose their inputs and outputs)."""
    workspace = load_in_process(make_target(python_file, module_name, attribute,
                                            working_directory))
    entry = _entry(choose(workspace, pipeline))
    lines = [f"Pipeline: {entry['name']}"]
    if entry["description"]:
        lines.append(f"Description: {entry['description'].strip()}")
    lines.append("Solids (execution order):")
    for solid in entry["solids"]:
        kind = " (composite)" if solid["is_composite"] else ""
        alias = f" [{solid['definition']}]" if solid["definition"] != solid["name"] else ""
        lines.append(f"    {solid['name']}{alias}{kind}")
        if not verbose:
            continue
        for i in solid["inputs"]:
            sources = ", ".join(f"{d['solid']}.{d['output']}" for d in i["depends_on"])
            extra = f" ← {sources}" if sources else (" (default)" if i["has_default"] else
                                                      " (from config)")
            lines.append(f"        input  {i['name']}: {i['type']}{extra}")
        for o in solid["outputs"]:
            flags = [f for f, on in (("optional", not o["is_required"]),
                                     ("dynamic", o["is_dynamic"])) if on]
            lines.append(f"        output {o['name']}: {o['type']}"
                         + (f" ({', '.join(flags)})" if flags else ""))
        if solid["is_composite"]:
            lines.append(f"        solids {', '.join(solid['leaf_handles'])}")
        if solid["required_resource_keys"]:
            lines.append(f"        resources {', '.join(solid['required_resource_keys'])}")
    if verbose:
        lines.append("Modes: " + ", ".join(
            f"{m['name']} (resources: {', '.join(m['resources']) or '-'})" for m in entry["modes"]))
        if entry["presets"]:
            lines.append("Presets: " + ", ".join(p["name"] for p in entry["presets"]))
    typer.echo("\n".join(lines))


def _layers(entry: dict[str, Any]) -> dict[str, int]:
    depth: dict[str, int] = {}
    upstream: dict[str, set[str]] = {s["name"]: set() for s in entry["solids"]}
    for e in entry["edges"]:
        upstream[e["to"]].add(e["from"])
    for solid in entry["solids"]:  # execution order: parents first
        name = solid["name"]
        depth[name] = 1 + max((depth[u] for u in upstream[name]), default=-1)
    return depth


def _dot_id(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


@pipeline_app.command("graph")
def graph(
    python_file: PythonFile = None,
    module_name: ModuleName = None,
    attribute: Attribute = None,
    working_directory: WorkingDirectory = None,
    pipeline: PipelineName = None,
    dot: Annotated[bool, typer.Option("--dot", help="Graphviz DOT instead of text.")] = False,
) -> None:
    """The pipeline's DAG as text layers (or Graphviz DOT with --dot)."""
    workspace = load_in_process(make_target(python_file, module_name, attribute,
                                            working_directory))
    entry = _entry(choose(workspace, pipeline))
    if dot:
        lines = [f"digraph {_dot_id(entry['name'])} {{", "  rankdir=LR;",
                 '  node [shape=box, fontname="Helvetica"];']
        for solid in entry["solids"]:
            attrs = ', shape=box3d' if solid["is_composite"] else ""
            lines.append(f"  {_dot_id(solid['name'])} [label={_dot_id(solid['name'])}{attrs}];")
        for e in entry["edges"]:
            label = e["input"] if e["output"] == "result" else f"{e['output']} → {e['input']}"
            lines.append(f"  {_dot_id(e['from'])} -> {_dot_id(e['to'])} "
                         f"[label={_dot_id(label)}];")
        lines.append("}")
        typer.echo("\n".join(lines))
        return
    depth = _layers(entry)
    width = max((len(s["name"]) for s in entry["solids"]), default=0) + 12
    lines = [f"{entry['name']}"]
    for level in sorted(set(depth.values())):
        lines.append(f"  layer {level}")
        for solid in entry["solids"]:
            if depth[solid["name"]] != level:
                continue
            label = solid["name"] + (" (composite)" if solid["is_composite"] else "")
            inputs = _inputs_text(solid)
            lines.append(f"    {label:<{width}}{'← ' + inputs if inputs else ''}".rstrip())
    typer.echo("\n".join(lines))


@pipeline_app.command("snapshot")
def snapshot(
    python_file: PythonFile = None,
    module_name: ModuleName = None,
    attribute: Attribute = None,
    working_directory: WorkingDirectory = None,
    timeout: Annotated[float, typer.Option("--timeout",
                                           help="Seconds the load may take.")] = 60.0,
) -> None:
    """Load the code in a subprocess and print its repository snapshot as JSON."""
    from orch.core.workspace import WorkspaceLoadError, load_repository_snapshot

    target = make_target(python_file, module_name, attribute, working_directory)
    try:
        snap = load_repository_snapshot(target, timeout=timeout)
    except WorkspaceLoadError as e:
        if e.error.output.strip() and e.error.kind != "timeout":
            sys.stderr.write(e.error.output.rstrip()[-2000:] + "\n")
        fail(e.error.format())
    typer.echo(json.dumps(snap.to_dict(), indent=1, default=str))
