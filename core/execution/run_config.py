"""Run config for a pipeline: the schema derived from the pipeline and mode, and processing
(validation of every error at once, defaults, env sources) before any run record exists.

Schema (LEGACY_API.md §5)::

    solids:    {<solid>: {config, inputs: {<unconnected input>: ...}, solids: {...nested}}}
    resources: {<key needed by the selected steps>: {config}}
    execution: Selector {<executor>: {config}}
    loggers:   {<logger>: {config}}

Only what the selected solids need is demanded; config for solids outside the selection is
accepted and ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..config import Any as ConfigAny
from ..config import (
    Array,
    DagsterInvalidConfigError,
    Field,
    Selector,
    Shape,
    convert_potential_field,
    has_implicit_default,
    process_config,
)
from ..config import String as ConfigString
from ..definitions.dependency import Graph
from ..definitions.pipeline import PipelineDefinition
from ..errors import DagsterConfigMappingFunctionError
from .executor import executor_names_for, get_executor_def, registered_executor_names

_OPTIONAL_ANY = Field(ConfigAny, is_required=False)


def _optional_section(config_type: Any) -> Field:
    """An optional section of run config that, when its type requires nothing, resolves to
    its defaults when left out. ``Field`` gives that implicit default only when
    ``is_required`` is left out (as Dagster 0.15.10: ``is_required=False`` means "may be
    absent"), so the field is written without it then, and explicitly optional otherwise."""
    if has_implicit_default(config_type):
        return Field(config_type)
    return Field(config_type, is_required=False)


def _input_field(input_def: Any) -> Field:
    loader = input_def.dagster_type.loader
    schema = loader.config_schema if loader is not None else ConfigAny
    optional = input_def.has_default_value or input_def.root_manager_key is not None
    return Field(schema, is_required=not optional)


def _outputs_field(definition: Any) -> Field | None:
    """``outputs: [{<output>: <its type's materializer config>}]`` for a solid with outputs
    whose types can be materialized from config."""
    if definition.is_composite:
        return None
    fields = {o.name: Field(o.dagster_type.materializer.config_schema, is_required=False)
              for o in definition.output_defs
              if getattr(o.dagster_type, "materializer", None) is not None}
    if not fields:
        return None
    return Field(Array(Shape(fields)), is_required=False)


def _unconnected_inputs(graph: Graph, node_name: str, mapped_inputs: set[tuple[str, str]]):
    node = graph.nodes[node_name]
    deps = graph.deps.get(node_name, {})
    return [d for d in node.definition.input_defs
            if d.name not in deps and (node_name, d.name) not in mapped_inputs
            and not d.is_nothing]


def _solid_fields(graph: Graph, mapped_inputs: set[tuple[str, str]]) -> dict[str, Field]:
    fields: dict[str, Field] = {}
    for node_name in graph.order:
        node = graph.nodes[node_name]
        definition = node.definition
        entry: dict[str, Field] = {}
        if definition.is_composite:
            if definition.config_fn is not None:  # no schema: configured, config ignored
                entry["config"] = (convert_potential_field(definition.config_schema)
                                   if definition.config_schema is not None else _OPTIONAL_ANY)
            else:
                inner = definition.graph
                inner_mapped = {t for targets in inner.input_mappings.values() for t in targets}
                inner_fields = _solid_fields(inner, inner_mapped)
                if inner_fields:
                    entry["solids"] = Field(Shape(inner_fields))
        elif definition.config_schema is not None:
            entry["config"] = convert_potential_field(definition.config_schema)
        else:
            entry["config"] = _OPTIONAL_ANY
        inputs = {d.name: _input_field(d)
                  for d in _unconnected_inputs(graph, node_name, mapped_inputs)}
        if inputs:
            entry["inputs"] = Field(Shape(inputs))
        outputs = _outputs_field(definition)
        if outputs is not None:
            entry["outputs"] = outputs
        fields[node_name] = Field(Shape(entry))
    return fields


def _needed_resource_keys(pipeline_def: PipelineDefinition, mode_def: Any) -> set[str]:
    keys: set[str] = set()
    for _, solid_def in pipeline_def.iterate_leaf_solids():
        keys |= set(solid_def.required_resource_keys)
        keys |= {o.io_manager_key for o in solid_def.output_defs}
        keys |= {i.root_manager_key for i in solid_def.input_defs if i.root_manager_key}
    for hook in pipeline_def.hook_defs:
        keys |= set(hook.required_resource_keys)
    pending = list(keys)
    while pending:
        for dep in mode_def.resource_defs[pending.pop()].required_resource_keys:
            if dep not in keys:
                keys.add(dep)
                pending.append(dep)
    return keys


def _resource_config_schema(resource_def: Any) -> Any:
    if resource_def.is_configured:
        if callable(resource_def.configured_value):
            return getattr(resource_def, "configured_schema", None)
        return None
    return resource_def.config_schema


def _resource_fields(pipeline_def: PipelineDefinition, mode_def: Any) -> dict[str, Field]:
    fields: dict[str, Field] = {}
    for key in sorted(_needed_resource_keys(pipeline_def, mode_def)):
        schema = _resource_config_schema(mode_def.resource_defs[key])
        config = convert_potential_field(schema) if schema is not None else _OPTIONAL_ANY
        fields[key] = Field(Shape({"config": config}))
    return fields


def _executor_field(mode_def: Any, wanted: Sequence[str] | None) -> Field:
    """``execution``: a choice of the mode's executors (every registered one when it names
    none). ``wanted``: the names the run config being checked uses; then only those
    executors (and a sole choice, whose defaults fill an absent section) are loaded for
    their config schemas, the others offered by name (loading orch's multiprocess and Dask
    executors imports the step machinery a run's CLI never runs: ~25 ms)."""
    if mode_def.executor_defs is not None:
        names = [getattr(d, "name", d) for d in mode_def.executor_defs]
    elif wanted is None:
        names = registered_executor_names()
    else:
        names = executor_names_for(wanted)
    # A config naming an unknown executor gets every choice's real schema in its error.
    chosen = set(wanted or ())
    lazy = mode_def.executor_defs is None and wanted is not None and len(names) > 1 \
        and chosen <= set(names)
    options: dict[str, Field] = {}
    for name in names:
        if lazy and name not in chosen:
            options[name] = Field(Shape({"config": _OPTIONAL_ANY}))  # not chosen: unchecked
            continue
        schema = get_executor_def(name, mode_def.executor_defs).config_schema
        options[name] = Field(Shape({
            "config": convert_potential_field(schema) if schema is not None else _OPTIONAL_ANY
        }))
    return _optional_section(Selector(options))  # one executor needing nothing: its defaults


def _logger_fields(mode_def: Any) -> dict[str, Field]:
    console = Shape({"log_level": Field(ConfigString, default_value="DEBUG"),
                     "name": Field(ConfigString, default_value="orch")})
    # The console logger always resolves (to its defaults when not configured); a mode's
    # other loggers are optional with no default, as Dagster's def_config_field(logger,
    # is_required=False): one that run config does not name is not built.
    fields = {"console": _optional_section(Shape({"config": Field(console)}))}
    for name, logger_def in (mode_def.logger_defs or {}).items():
        schema = logger_def.config_schema
        config = convert_potential_field(schema) if schema is not None else _OPTIONAL_ANY
        section = Shape({"config": config})
        fields[name] = (_optional_section(section) if name == "console"
                        else Field(section, is_required=False))
    return fields


def run_config_schema(pipeline_def: PipelineDefinition, mode_def: Any,
                      executors: Sequence[str] | None = None) -> Shape:
    """The config type a run of ``pipeline_def`` (a subset, maybe) in ``mode_def`` accepts.
    ``executors``: the names a run config's ``execution`` section uses, when the schema only
    checks that config (every registered executor is offered otherwise)."""
    solid_fields = _solid_fields(pipeline_def.graph, set())
    root = pipeline_def.parent_pipeline
    if root is not None:  # config aimed at unselected solids is accepted and ignored
        for name in root.graph.nodes:
            solid_fields.setdefault(name, _OPTIONAL_ANY)
    return Shape({
        "solids": Field(Shape(solid_fields)),
        "resources": Field(Shape(_resource_fields(pipeline_def, mode_def))),
        "execution": _executor_field(mode_def, executors),
        "loggers": _optional_section(Shape(_logger_fields(mode_def))),
    })


def _apply_config_fns(graph: Graph, solids_config: dict[str, Any], pipeline_name: str,
                      path: str) -> dict[str, Any]:
    """Replace each composite's ``config`` by its children's config from ``config_fn``."""
    out = dict(solids_config)
    for node_name in graph.order:
        definition = graph.nodes[node_name].definition
        if not definition.is_composite or node_name not in out:
            continue
        entry = dict(out[node_name] or {})
        inner = definition.graph
        if definition.config_fn is not None:
            children = _mapped_config(definition, entry.pop("config", None), pipeline_name,
                                      f"{path}{node_name}")
            inner_mapped = {t for targets in inner.input_mappings.values() for t in targets}
            result = process_config(Shape(_solid_fields(inner, inner_mapped)), children or {})
            if not result.success:
                raise DagsterInvalidConfigError(
                    f'Error in config mapping for composite solid "{path}{node_name}" of '
                    f"pipeline {pipeline_name}: its config_fn returned config the inner solids "
                    "reject", result.errors, children,
                )
            entry["solids"] = result.value
        entry["solids"] = _apply_config_fns(inner, entry.get("solids") or {}, pipeline_name,
                                            f"{path}{node_name}.")
        out[node_name] = entry
    return out


def resolve_run_config(pipeline_def: PipelineDefinition, mode_def: Any,
                       run_config: dict[str, Any] | None) -> dict[str, Any]:
    """Validate ``run_config`` (every error at once) and return the processed config the
    engine reads: defaults filled, ``{env: VAR}`` resolved, composite config mapped."""
    execution = (run_config or {}).get("execution")
    wanted = [str(name) for name in execution] if isinstance(execution, dict) else []
    schema = run_config_schema(pipeline_def, mode_def, wanted)
    result = process_config(schema, run_config or {})
    if not result.success:
        raise DagsterInvalidConfigError(
            f"Error in config for pipeline {pipeline_def.name}", result.errors, run_config
        )
    processed = dict(result.value)
    processed["solids"] = _apply_config_fns(pipeline_def.graph, processed.get("solids") or {},
                                            pipeline_def.name, "")
    return processed



def scaffold_run_config(pipeline_def: PipelineDefinition, mode: str | None = None,
                        required_only: bool = False) -> str:
    """A YAML template of the pipeline's run config: defaults filled in, required entries
    marked. Used by ``orch config scaffold`` and the app's launchpad."""
    from ..config import scaffold_config

    mode_def = pipeline_def.get_mode_definition(mode)
    return scaffold_config(run_config_schema(pipeline_def, mode_def), required_only=required_only)


def _mapped_config(definition: Any, config: Any, pipeline_name: str, handle: str) -> Any:
    """The composite's config_fn applied to its config; what it raises is the user's error,
    wrapped as Dagster wraps it."""
    try:
        return definition.config_fn(config)
    except Exception as exc:
        raise DagsterConfigMappingFunctionError(
            f"The config mapping function on composite solid '{definition.name}' in pipeline "
            f"'{pipeline_name}' has thrown an unexpected error during its execution "
            f"({type(exc).__name__}: {exc}). The definition is instantiated at stack "
            f'"{handle}".', exc) from exc
