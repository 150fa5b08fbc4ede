"""Human-facing renderings of config types: ``{ a: Int b?: String }`` and minimal configs."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from orch.core.config.types import ConfigType, ConfigTypeKind

# Placeholders used by the legacy "Minimal acceptable config" message; each is a valid value.
_SCALAR_PLACEHOLDERS = {"String": "...", "Int": 0, "Float": 0.0, "Bool": True}


def _as_type(schema: object) -> ConfigType:
    if isinstance(schema, ConfigType):
        return schema
    from orch.core.config.field import Field, resolve_config_type

    if isinstance(schema, Field):
        return schema.config_type
    return resolve_config_type(schema)


def type_display(config_type: object, max_depth: int | None = None) -> str:
    """Render a config type on one line, the way error messages show it.

    Fields are sorted, optional ones marked with ``?``: ``{ a: Int b?: [String] }``;
    ``Int?`` is ``Noneable(Int)``; source types show their name (``StringSource``).
    Dicts nested deeper than ``max_depth`` show as ``{...}``.
    """
    ct = _as_type(config_type)
    kind = ct.kind
    deeper = None if max_depth is None else max_depth - 1
    if kind is ConfigTypeKind.ARRAY:
        return f"[{type_display(ct.inner_type, max_depth)}]"  # type: ignore[attr-defined]
    if kind is ConfigTypeKind.NONEABLE:
        return f"{type_display(ct.inner_type, max_depth)}?"  # type: ignore[attr-defined]
    if kind is ConfigTypeKind.MAP:
        label = f"{ct.key_label_name}: " if ct.key_label_name else ""  # type: ignore[attr-defined]
        return (f"{{ [{label}{type_display(ct.key_type)}]: "  # type: ignore[attr-defined]
                f"{type_display(ct.inner_type, max_depth)} }}")  # type: ignore[attr-defined]
    if kind is ConfigTypeKind.SCALAR_UNION:
        if ct.given_name:
            return ct.given_name
        scalar = type_display(ct.scalar_type)  # type: ignore[attr-defined]
        return f"({scalar} | {type_display(ct.non_scalar_type)})"  # type: ignore[attr-defined]
    if kind.has_fields:
        fields = ct.fields  # type: ignore[attr-defined]
        if not fields:
            return "{}"
        if max_depth is not None and max_depth <= 0:
            return "{...}"
        entries = [
            f"{name}{'' if fields[name].is_required else '?'}: "
            f"{type_display(fields[name].config_type, deeper)}"
            for name in sorted(fields)
        ]
        return "{ " + " ".join(entries) + " }"
    return ct.given_name or ct.key


def minimal_config(schema: object) -> Any:
    """The smallest value that validates against ``schema``: only required entries, each
    filled with a placeholder (``'...'``, ``0``, ``0.0``, ``True``, the first enum value, the
    first selector option, ``[]``)."""
    ct = _as_type(schema)
    kind = ct.kind
    if kind.has_fields:
        fields = ct.fields  # type: ignore[attr-defined]
        if kind is ConfigTypeKind.SELECTOR:
            name, field = next(iter(fields.items()))
            return {name: minimal_config(field.config_type)}
        return {
            name: minimal_config(field.config_type)
            for name, field in fields.items()
            if field.is_required
        }
    if kind is ConfigTypeKind.SCALAR:
        return _SCALAR_PLACEHOLDERS[ct.given_name or "String"]
    if kind is ConfigTypeKind.ANY:
        return "AnyType"
    if kind is ConfigTypeKind.ENUM:
        return ct.enum_values[0].config_value  # type: ignore[attr-defined]
    if kind is ConfigTypeKind.ARRAY:
        return []
    if kind is ConfigTypeKind.MAP:
        return {}
    if kind is ConfigTypeKind.NONEABLE:
        return None
    if kind is ConfigTypeKind.SCALAR_UNION:
        return minimal_config(ct.scalar_type)  # type: ignore[attr-defined]
    raise AssertionError(f"unhandled config type kind {kind}")


def suggest(word: object, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``word`` (case-insensitive match first, then difflib)."""
    text = str(word)
    options = list(candidates)
    lowered = text.lower()
    for option in options:
        if option.lower() == lowered:
            return option
    matches = difflib.get_close_matches(text, options, n=1, cutoff=0.6)
    return matches[0] if matches else None


def short_repr(value: object, limit: int = 120) -> str:
    """``str(value)`` cut to ``limit`` characters, for embedding values in messages."""
    try:
        text = str(value)
    except Exception:  # a user object with a broken __str__ must not break validation
        text = object.__repr__(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
