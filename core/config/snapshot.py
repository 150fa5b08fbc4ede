"""JSON-serialisable snapshots of config types, and config types rebuilt from them.

A snapshot lets a process that never imported the user's code (the workspace host, the TUI's
config editor) display, validate and scaffold config. Rebuilt enums map each config value to
itself, since Python values do not travel.
"""

from __future__ import annotations

import json
from typing import Any

from orch.core.config.field import Field
from orch.core.config.types import (
    Array,
    ConfigAny,
    ConfigBool,
    ConfigFloat,
    ConfigInt,
    ConfigString,
    ConfigType,
    ConfigTypeKind,
    Enum,
    EnumValue,
    Map,
    Noneable,
    Permissive,
    ScalarUnion,
    Selector,
    Shape,
)
from orch.core.config.validate import as_config_type

_SCALARS = {ct.key: ct for ct in (ConfigInt, ConfigFloat, ConfigBool, ConfigString)}


def config_type_snapshot(config_type: object) -> dict[str, Any]:
    """Describe a config type (or any schema form) as nested JSON-ready dicts.

    Every node has ``kind``, ``key``, ``name`` (given name or None) and ``description``.
    Scalars add ``scalar_kind``; arrays and noneables ``inner_type``; enums ``enum_values``
    (``config_value``, ``description``); scalar unions ``scalar_type`` and
    ``non_scalar_type``; dict-like types ``fields``: a list of ``name``, ``is_required``,
    ``default_provided``, ``default_value`` (when JSON-serialisable, else
    ``default_value_repr``), ``description`` and ``type``.
    """
    ct = as_config_type(config_type)
    snap: dict[str, Any] = {
        "kind": ct.kind.value,
        "key": ct.key,
        "name": ct.given_name,
        "description": ct.description,
    }
    kind = ct.kind
    if kind is ConfigTypeKind.SCALAR:
        snap["scalar_kind"] = ct.scalar_kind.value  # type: ignore[attr-defined]
    elif kind is ConfigTypeKind.ARRAY or kind is ConfigTypeKind.NONEABLE:
        snap["inner_type"] = config_type_snapshot(ct.inner_type)  # type: ignore[attr-defined]
    elif kind is ConfigTypeKind.MAP:
        snap["key_type"] = config_type_snapshot(ct.key_type)  # type: ignore[attr-defined]
        snap["inner_type"] = config_type_snapshot(ct.inner_type)  # type: ignore[attr-defined]
        snap["key_label_name"] = ct.key_label_name  # type: ignore[attr-defined]
    elif kind is ConfigTypeKind.ENUM:
        snap["enum_values"] = [
            {"config_value": v.config_value, "description": v.description}
            for v in ct.enum_values  # type: ignore[attr-defined]
        ]
    elif kind is ConfigTypeKind.SCALAR_UNION:
        snap["scalar_type"] = config_type_snapshot(ct.scalar_type)  # type: ignore[attr-defined]
        snap["non_scalar_type"] = config_type_snapshot(ct.non_scalar_type)  # type: ignore[attr-defined]
    elif kind.has_fields:
        snap["fields"] = [
            _field_snapshot(name, field)
            for name, field in ct.fields.items()  # type: ignore[attr-defined]
        ]
    return snap


def _field_snapshot(name: str, field: Field) -> dict[str, Any]:
    snap: dict[str, Any] = {
        "name": name,
        "is_required": field.is_required,
        "default_provided": field.default_provided,
        "description": field.description,
        "type": config_type_snapshot(field.config_type),
    }
    if field.default_provided:
        try:
            json.dumps(field.default_value, allow_nan=False)
            snap["default_value"] = field.default_value
        except (TypeError, ValueError):
            snap["default_value_repr"] = repr(field.default_value)
    return snap


def config_type_from_snapshot(snap: dict[str, Any]) -> ConfigType:
    """Rebuild a config type from :func:`config_type_snapshot` output.

    The result validates, processes and scaffolds like the original, except that enum
    values process to their config strings and defaults that were not JSON-serialisable
    are dropped (those fields become optional without a default).
    """
    from orch.core.config.sources import SOURCE_TYPES

    kind = ConfigTypeKind(snap["kind"])
    description = snap.get("description")
    if kind is ConfigTypeKind.ANY:
        return ConfigAny
    if kind is ConfigTypeKind.SCALAR:
        return _SCALARS[snap["key"]]
    if kind is ConfigTypeKind.ARRAY:
        return Array(config_type_from_snapshot(snap["inner_type"]), description=description)
    if kind is ConfigTypeKind.NONEABLE:
        return Noneable(config_type_from_snapshot(snap["inner_type"]), description=description)
    if kind is ConfigTypeKind.MAP:
        return Map(config_type_from_snapshot(snap["key_type"]),
                   config_type_from_snapshot(snap["inner_type"]),
                   key_label_name=snap.get("key_label_name"), description=description)
    if kind is ConfigTypeKind.ENUM:
        return Enum(
            snap["name"],
            [
                EnumValue(v["config_value"], description=v["description"])
                for v in snap["enum_values"]
            ],
            description=description,
        )
    if kind is ConfigTypeKind.SCALAR_UNION:
        if snap["key"] in SOURCE_TYPES:
            return SOURCE_TYPES[snap["key"]]
        return ScalarUnion(
            config_type_from_snapshot(snap["scalar_type"]),
            config_type_from_snapshot(snap["non_scalar_type"]),
            description=description,
            _name=snap.get("name"),
        )
    fields = {f["name"]: _field_from_snapshot(f) for f in snap["fields"]}
    if kind is ConfigTypeKind.STRICT_SHAPE:
        return Shape(fields, description=description)
    if kind is ConfigTypeKind.PERMISSIVE_SHAPE:
        return Permissive(fields, description=description)
    return Selector(fields, description=description)


def _field_from_snapshot(snap: dict[str, Any]) -> Field:
    if not snap["is_required"] and "default_value" in snap:
        return Field(
            config_type_from_snapshot(snap["type"]),
            default_value=snap["default_value"],
            description=snap.get("description"),
        )
    return Field(
        config_type_from_snapshot(snap["type"]),
        is_required=snap["is_required"],
        description=snap.get("description"),
    )
