"""Processing of validated config: fill in defaults, then post-process.

Post-processing resolves ``{env: VAR}`` sources and maps enum config strings to their Python
values. Processing builds new containers and never mutates the value it is given, so the raw
config (with ``{env: VAR}`` references, not secrets) is what callers should store.
"""

from __future__ import annotations

import copy
from typing import Any

from orch.core.config import messages
from orch.core.config.errors import PostProcessingError
from orch.core.config.evaluation import EvaluationError, EvaluationResult, PathEntry
from orch.core.config.types import ConfigType, ConfigTypeKind
from orch.core.config.validate import as_config_type, validate_config

K = ConfigTypeKind


def process_config(schema: object, value: Any) -> EvaluationResult:
    """Validate ``value``, fill in defaults, then post-process it.

    On success ``result.value`` is the config user code sees: every default present, every
    ``{env: VAR}`` replaced by the variable's value (converted for IntSource/BoolSource),
    every enum string replaced by its Python value. Validation errors are returned as they
    are; post-processing failures (an unset variable, say) come back as
    FAILED_POST_PROCESSING errors, all of them. ``value`` itself is left untouched.
    """
    ct = as_config_type(schema)
    validated = validate_config(ct, value)
    if not validated.success:
        return validated
    errors: list[EvaluationError] = []
    processed = _Processor(post_process=True, errors=errors).run(ct, value, [])
    if errors:
        return EvaluationResult.for_errors(errors)
    return EvaluationResult.for_value(processed)


def resolve_defaults(schema: object, value: Any) -> Any:
    """Fill defaults into an already valid ``value`` without post-processing.

    The result is still config-form (enum strings, ``{env: VAR}`` unresolved), so it holds no
    secret and is safe to store or display as the "effective" config. ``None`` for a dict-like
    type means "nothing given": the type's defaults.
    """
    ct = as_config_type(schema)
    if value is None and ct.kind.has_fields:
        value = {}
    return _Processor(post_process=False, errors=[]).run(ct, value, [])


class _Processor:
    def __init__(self, post_process: bool, errors: list[EvaluationError]):
        self.post_process = post_process
        self.errors = errors

    def run(self, ct: ConfigType, value: Any, path: list[PathEntry]) -> Any:
        kind = ct.kind
        while kind is K.NONEABLE:
            if value is None:
                return None
            ct = ct.inner_type  # type: ignore[attr-defined]
            kind = ct.kind
        if kind is K.ANY or kind is K.SCALAR:
            return value
        if kind is K.STRICT_SHAPE or kind is K.PERMISSIVE_SHAPE:
            return self._shape(ct, value, path)
        if kind is K.SELECTOR:
            return self._selector(ct, value, path)
        if kind is K.ARRAY:
            inner = ct.inner_type  # type: ignore[attr-defined]
            items = []
            for index, item in enumerate(value):
                path.append(index)
                items.append(self.run(inner, item, path))
                path.pop()
            return items
        if kind is K.MAP:
            inner = ct.inner_type  # type: ignore[attr-defined]
            processed = {}
            for key, item in value.items():
                path.extend([repr(key), "value"])
                processed[key] = self.run(inner, item, path)
                del path[-2:]
            return processed
        if kind is K.ENUM:
            return ct.to_python_value(value) if self.post_process else value  # type: ignore[attr-defined]
        if kind is K.SCALAR_UNION:
            branch = ct.non_scalar_type if isinstance(value, (dict, list)) else ct.scalar_type  # type: ignore[attr-defined]
            result = self.run(branch, value, path)
            if not self.post_process:
                return result
            try:
                return ct.post_process(result)  # type: ignore[attr-defined]
            except PostProcessingError as exc:
                self.errors.append(messages.post_processing_failed(path, value, exc))
                return None
        raise AssertionError(f"unhandled config type kind {kind}")  # pragma: no cover

    def _default(self, field: Any, path: list[PathEntry]) -> Any:
        default = field.default_value
        if isinstance(default, (dict, list)):
            # Defaults are shared by every run: never hand out the schema's own object.
            default = copy.deepcopy(default)
        return self.run(field.config_type, default, path)

    def _shape(self, ct: ConfigType, value: dict, path: list[PathEntry]) -> dict:
        fields = ct.fields  # type: ignore[attr-defined]
        out: dict = {}
        for name, field in fields.items():
            path.append(name)
            if name in value:
                out[name] = self.run(field.config_type, value[name], path)
            elif field.default_provided:
                out[name] = self._default(field, path)
            path.pop()
        if ct.kind is K.PERMISSIVE_SHAPE:
            for key, item in value.items():
                if key not in fields:
                    out[key] = item
        return out

    def _selector(self, ct: ConfigType, value: dict, path: list[PathEntry]) -> dict:
        fields = ct.fields  # type: ignore[attr-defined]
        if value:
            ((name, item),) = value.items()
            field = fields[name]
        else:
            # Validation only lets {} through for a single optional option.
            name, field = next(iter(fields.items()))
            if field.default_provided:
                path.append(name)
                result = {name: self._default(field, path)}
                path.pop()
                return result
            item = None
        if item is None and field.config_type.kind.has_fields:
            item = {}
        elif item is None and not value:
            return {}
        path.append(name)
        result = {name: self.run(field.config_type, item, path)}
        path.pop()
        return result
