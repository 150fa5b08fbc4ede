"""``.configured(...)``: a copy of a solid or resource with its config fixed or mapped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..config import DagsterInvalidConfigError, process_config
from ..errors import DagsterInvalidDefinitionError


def validated_config(schema: Any, value: Any, what: str) -> Any:
    """``value`` processed against ``schema`` (defaults filled); raises listing every error."""
    if schema is None:
        return value
    result = process_config(schema, value)
    if not result.success:
        raise DagsterInvalidConfigError(f"Error in config for {what}", result.errors, value)
    return result.value


def _constant(value: Any) -> Callable[[Any], Any]:
    return lambda _cfg: value


def configure_solid(solid_def: Any, config_or_fn: Any, name: str | None,
                    config_schema: Any) -> Any:
    """A new SolidDefinition whose ``context.solid_config`` is the configured value (or the
    function of the new, smaller config)."""
    from .solid import SolidDefinition

    if not name:
        raise DagsterInvalidDefinitionError(
            f'Configuring solid "{solid_def.name}" needs a new name: '
            f'{solid_def.name}.configured(config, name="{solid_def.name}_configured").'
        )
    original_schema = solid_def.config_schema
    mapping: Callable[[Any], Any]
    if callable(config_or_fn):
        fn: Callable[[Any], Any] = config_or_fn

        def mapping(cfg: Any) -> Any:
            return validated_config(original_schema, fn(cfg), f'solid "{name}"')
        new_schema = config_schema
    else:
        fixed = validated_config(original_schema, config_or_fn, f'solid "{name}"')
        mapping = _constant(fixed)
        new_schema = None
    configured = SolidDefinition(
        name=name, input_defs=solid_def.input_defs, compute_fn=solid_def.compute_fn,
        output_defs=solid_def.output_defs, config_schema=new_schema,
        description=solid_def.description, tags=solid_def.tags,
        required_resource_keys=set(solid_def.required_resource_keys),
        version=solid_def.version, retry_policy=solid_def.retry_policy,
        source_fn=solid_def.source_fn,
    )
    configured._takes_context = solid_def._takes_context
    configured.config_mapping = mapping
    return configured
