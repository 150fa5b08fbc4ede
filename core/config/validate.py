"""Validation of config values against config types, collecting every error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orch.core.config import messages
from orch.core.config.evaluation import EvaluationError, EvaluationResult, PathEntry
from orch.core.config.types import ConfigScalarKind, ConfigType, ConfigTypeKind

K = ConfigTypeKind


def as_config_type(schema: object) -> ConfigType:
    """Accept a config type, a Field (its type is used) or any schema form."""
    if isinstance(schema, ConfigType):
        return schema
    from orch.core.config.field import Field, resolve_config_type

    if isinstance(schema, Field):
        return schema.config_type
    return resolve_config_type(schema)


def validate_config(config_type_or_schema: object, value: Any) -> EvaluationResult:
    """Check ``value`` against a config type or schema without changing it.

    Returns an :class:`EvaluationResult` whose ``value`` is ``value`` itself on success and
    whose ``errors`` list every problem (never just the first) otherwise. Defaults are not
    filled in and sources are not resolved: that is :func:`process_config`'s job.
    """
    ct = as_config_type(config_type_or_schema)
    errors: list[EvaluationError] = []
    _validate(ct, value, [], errors)
    if errors:
        return EvaluationResult.for_errors(errors)
    return EvaluationResult.for_value(value)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_float(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_str(value: object) -> bool:
    return isinstance(value, str)


def _is_bool(value: object) -> bool:
    return isinstance(value, bool)


_SCALAR_CHECKS: dict[ConfigScalarKind, Callable[[object], bool]] = {
    ConfigScalarKind.INT: _is_int,
    ConfigScalarKind.FLOAT: _is_float,
    ConfigScalarKind.STRING: _is_str,
    ConfigScalarKind.BOOL: _is_bool,
}


def _validate(
    ct: ConfigType, value: Any, path: list[PathEntry], errors: list[EvaluationError]
) -> None:
    # ``path`` is pushed/popped in place; messages copy it when they need it.
    kind = ct.kind
    while kind is K.NONEABLE:
        if value is None:
            return
        ct = ct.inner_type  # type: ignore[attr-defined]
        kind = ct.kind
    if kind is K.ANY:
        _check_plain_data(value, path, errors)
        return
    if value is None:
        errors.append(messages.none_not_allowed(ct, path))
    elif kind is K.SCALAR:
        if not _SCALAR_CHECKS[ct.scalar_kind](value):  # type: ignore[attr-defined]
            errors.append(messages.scalar_mismatch(ct, path, value))
    elif kind is K.STRICT_SHAPE or kind is K.PERMISSIVE_SHAPE:
        _validate_shape(ct, value, path, errors)
    elif kind is K.SELECTOR:
        _validate_selector(ct, value, path, errors)
    elif kind is K.ARRAY:
        if not isinstance(value, list):
            errors.append(messages.list_mismatch(ct, path, value))
            return
        inner = ct.inner_type  # type: ignore[attr-defined]
        for index, item in enumerate(value):
            path.append(index)
            _validate(inner, item, path, errors)
            path.pop()
    elif kind is K.MAP:
        _validate_map(ct, value, path, errors)
    elif kind is K.ENUM:
        if not isinstance(value, str):
            errors.append(messages.enum_not_string(ct, path, value))
        elif not ct.is_valid_config_value(value):  # type: ignore[attr-defined]
            errors.append(messages.enum_value_missing(ct, path, value))
    elif kind is K.SCALAR_UNION:
        if isinstance(value, (dict, list)):
            _validate(ct.non_scalar_type, value, path, errors)  # type: ignore[attr-defined]
        else:
            _validate(ct.scalar_type, value, path, errors)  # type: ignore[attr-defined]
    else:  # pragma: no cover - every kind is handled above
        raise AssertionError(f"unhandled config type kind {kind}")


def _validate_map(
    ct: ConfigType, value: Any, path: list[PathEntry], errors: list[EvaluationError]
) -> None:
    """Every key against the key type and every value against the inner type; a problem's
    path names the entry as Dagster does (``counts:'a':value``, ``counts:3:key``)."""
    if not isinstance(value, dict):
        errors.append(messages.dict_mismatch(ct, path, value))
        return
    for key, item in value.items():
        path.append(repr(key))
        for part, checked, of_type in (("key", key, ct.key_type),  # type: ignore[attr-defined]
                                       ("value", item, ct.inner_type)):  # type: ignore[attr-defined]
            path.append(part)
            _validate(of_type, checked, path, errors)
            path.pop()
        path.pop()


def _validate_shape(
    ct: ConfigType, value: Any, path: list[PathEntry], errors: list[EvaluationError]
) -> None:
    if not isinstance(value, dict):
        errors.append(messages.dict_mismatch(ct, path, value))
        return
    fields = ct.fields  # type: ignore[attr-defined]
    if ct.kind is K.STRICT_SHAPE:
        unexpected = [key for key in value if key not in fields]
        if unexpected:
            unused = [name for name in fields if name not in value]
            errors.append(messages.unexpected_entries(ct, path, unexpected, unused))
    missing = [name for name in ct.required_field_names if name not in value]  # type: ignore[attr-defined]
    if missing:
        errors.append(messages.missing_entries(ct, path, missing))
    for key, item in value.items():
        field = fields.get(key)
        path.append(key)
        if field is not None:
            _validate(field.config_type, item, path, errors)
        elif ct.kind is K.PERMISSIVE_SHAPE:
            _check_plain_data(item, path, errors)
        path.pop()


MAX_FREE_FORM_DEPTH = 500


def _check_plain_data(value: Any, path: list[PathEntry], errors: list[EvaluationError]) -> None:
    """A free-form value (under Any or a Permissive's extra keys) must be finite plain data:
    no container inside itself, at most MAX_FREE_FORM_DEPTH levels deep. Walked without
    recursion, so a pathological value is an error here rather than a RecursionError later."""
    if not isinstance(value, dict | list | tuple):
        return
    on_path: set[int] = set()
    stack: list[tuple[Any, list[PathEntry], bool]] = [(value, [], False)]
    while stack:
        item, rel, leaving = stack.pop()
        if leaving:
            on_path.discard(id(item))
            continue
        if id(item) in on_path:
            errors.append(messages.unstorable_value(
                [*path, *rel], "contains itself (a cyclic reference)"))
            return
        if len(rel) >= MAX_FREE_FORM_DEPTH:
            errors.append(messages.unstorable_value(
                path, f"is nested more than {MAX_FREE_FORM_DEPTH} levels deep"))
            return
        on_path.add(id(item))
        stack.append((item, rel, True))
        children = item.items() if isinstance(item, dict) else enumerate(item)
        for key, child in children:
            if isinstance(child, dict | list | tuple):
                stack.append((child, [*rel, key], False))


def _validate_selector(
    ct: ConfigType, value: Any, path: list[PathEntry], errors: list[EvaluationError]
) -> None:
    if not isinstance(value, dict):
        errors.append(messages.selector_not_dict(ct, path, value))
        return
    fields = ct.fields  # type: ignore[attr-defined]
    if not value:
        if len(fields) > 1:
            errors.append(messages.selector_none_selected(ct, path))
        elif next(iter(fields.values())).is_required:
            errors.append(messages.selector_required_unspecified(ct, path))
        return
    if len(value) > 1:
        errors.append(messages.selector_multiple(ct, path, list(value)))
        return
    ((key, item),) = value.items()
    field = fields.get(key)
    if field is None:
        errors.append(messages.unexpected_entries(ct, path, [key], list(fields)))
        return
    # ``execution: {in_process: }`` in YAML gives None: select the option, fill its defaults.
    if item is None and field.config_type.kind.has_fields:
        item = {}
    path.append(key)
    _validate(field.config_type, item, path, errors)
    path.pop()
