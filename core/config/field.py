"""``Field`` and the resolution of user-written schemas into config types."""

from __future__ import annotations

import enum as _py_enum
import types as _pytypes
from collections.abc import Mapping
from typing import Any

from orch.core.config.errors import DagsterInvalidConfigDefinitionError
from orch.core.config.evaluation import PathEntry, stack_str
from orch.core.config.types import (
    Array,
    ConfigAny,
    ConfigBool,
    ConfigFloat,
    ConfigInt,
    ConfigString,
    ConfigType,
    ConfigTypeKind,
    Permissive,
    Shape,
)
from orch.core.errors import DagsterInvalidDefinitionError


class _NoDefault:
    """Sentinel type for "no default_value given" (None is a legitimate default)."""

    _instance: _NoDefault | None = None

    def __new__(cls) -> _NoDefault:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "FIELD_NO_DEFAULT_PROVIDED"

    def __reduce__(self) -> str:
        return "FIELD_NO_DEFAULT_PROVIDED"


FIELD_NO_DEFAULT_PROVIDED: Any = _NoDefault()

_BUILTINS: dict[type, ConfigType] = {
    int: ConfigInt,
    float: ConfigFloat,
    bool: ConfigBool,
    str: ConfigString,
}

_VALID_FORMS = (
    "A config schema is one of: int, float, bool, str; a config type (Int, Float, Bool, "
    "String, Any, StringSource, IntSource, BoolSource, Shape, Permissive, Selector, Array, "
    "Noneable, Enum, ScalarUnion); a dict mapping field names to schemas or Fields; or a "
    "list holding exactly one schema, e.g. [int]."
)


class Field:
    """One entry of a dict-like schema: its type plus default, requiredness and description.

    When ``is_required`` is omitted, the field is optional if it has a default, is
    ``Noneable``, or its type has only optional fields; such implicitly optional fields get
    an implicit default (None, or the type's nested defaults) that processing fills in.
    ``is_required=False`` given explicitly makes the field optional with no default: left
    out of config, it is left out of the resolved value too.
    A default together with ``is_required=True`` is a definition error, and defaults are
    validated against the type here, at definition time.
    """

    def __init__(
        self,
        config: object,
        default_value: Any = FIELD_NO_DEFAULT_PROVIDED,
        is_required: bool | None = None,
        description: str | None = None,
    ):
        if isinstance(config, Field):
            raise DagsterInvalidConfigDefinitionError(
                "Field(...) was given another Field as its config. Pass the inner field's type "
                "instead, e.g. Field(int, default_value=1) rather than Field(Field(int))."
            )
        self.config_type: ConfigType = resolve_config_type(config)
        if is_required is not None and not isinstance(is_required, bool):
            raise DagsterInvalidConfigDefinitionError(
                f"Field is_required must be True, False or None, got {is_required!r}."
            )
        if description is not None and not isinstance(description, str):
            raise DagsterInvalidConfigDefinitionError(
                f"Field description must be a string, got {description!r}."
            )
        self.description = description

        explicit_default = default_value is not FIELD_NO_DEFAULT_PROVIDED
        if explicit_default:
            if is_required is True:
                raise DagsterInvalidConfigDefinitionError(
                    "A Field cannot both have a default_value and be is_required=True: a "
                    f"required field's default would never be used (default_value="
                    f"{default_value!r}, type {self._display()}). Drop one of the two."
                )
            self._check_default(default_value)

        # Only a field whose is_required is left out is implicitly optional and gets the
        # implicit default; Field(T, is_required=False) has no default, so a missing value
        # stays missing (Dagster 0.15.10; conformance case config_optional_fields).
        self.default_is_implicit = False
        if is_required is None:
            implicit = not explicit_default and has_implicit_default(self.config_type)
            is_required = not (explicit_default or implicit)
            if implicit:
                from orch.core.config.process import resolve_defaults

                default_value = resolve_defaults(self.config_type, None)
                self.default_is_implicit = True
        self.is_required: bool = is_required
        self._default_value = default_value

    def _display(self) -> str:
        from orch.core.config.display import type_display

        return f'"{type_display(self.config_type)}"'

    def _check_default(self, default_value: object) -> None:
        if callable(default_value):
            raise DagsterInvalidConfigDefinitionError(
                f"A Field's default_value cannot be a callable, got {default_value!r}."
            )
        if self.config_type.kind is ConfigTypeKind.ENUM and isinstance(
            default_value, _py_enum.Enum
        ):
            values = self.config_type.config_values  # type: ignore[attr-defined]
            raise DagsterInvalidConfigDefinitionError(
                f"The default_value {default_value!r} of a Field of config enum type "
                f'"{self.config_type.given_name}" is a Python enum member. Defaults are written '
                f"as the config string instead: one of {values}."
            )
        from orch.core.config.validate import validate_config

        result = validate_config(self.config_type, default_value)
        if not result.success:  # the class Dagster raises, with each problem by path
            from orch.core.config.errors import DagsterInvalidConfigError

            raise DagsterInvalidConfigError(
                f"Invalid default_value for Field of type {self._display()}: "
                f"{default_value!r}.", result.errors, default_value)

    @property
    def default_provided(self) -> bool:
        """True when the field has a default, explicit or implicit."""
        return self._default_value is not FIELD_NO_DEFAULT_PROVIDED

    @property
    def default_value(self) -> Any:
        """The default in config form (enum strings, ``{env: VAR}`` left unresolved)."""
        if not self.default_provided:
            raise ValueError("This Field has no default value; check default_provided first.")
        return self._default_value

    def __repr__(self) -> str:
        default = repr(self._default_value) if self.default_provided else "<none>"
        return (
            f"Field({self.config_type!r}, default_value={default}, is_required={self.is_required})"
        )


def has_implicit_default(config_type: ConfigType) -> bool:
    """Whether a field of this type is optional even without an explicit default."""
    kind = config_type.kind
    if kind is ConfigTypeKind.NONEABLE:
        return True
    if kind.is_shape:
        return not config_type.required_field_names  # type: ignore[attr-defined]
    if kind is ConfigTypeKind.SELECTOR:
        fields = config_type.fields  # type: ignore[attr-defined]
        return len(fields) == 1 and not next(iter(fields.values())).is_required
    return False


def resolve_config_type(obj: object) -> ConfigType:
    """Turn any accepted schema form into a config type.

    Accepted: a config type; ``int``/``float``/``bool``/``str`` (and ``list``/``dict``,
    meaning ``[Any]`` and ``Permissive()``); a dict of field names to schemas or Fields
    (a Shape); a one-element list (an Array); or any object with a ``to_config_type()``
    method. Anything else raises :class:`DagsterInvalidConfigDefinitionError` naming the
    bad piece and its path in the schema.
    """
    if isinstance(obj, ConfigType):
        return obj
    return _resolve(obj, obj, [])


def convert_potential_field(obj: object) -> Field:
    """Return ``obj`` if it is a Field, else a Field wrapping the resolved schema."""
    if isinstance(obj, Field):
        return obj
    if obj is None:
        raise _definition_error("None is not a config schema.", obj, [])
    return Field(_resolve(obj, obj, []))


def expand_fields(fields: object) -> dict[str, Field]:
    """Resolve a mapping of field names to schemas/Fields into a mapping of Fields."""
    return _expand_fields(fields, fields, [])


def _expand_fields(fields: object, root: object, path: list[PathEntry]) -> dict[str, Field]:
    if not isinstance(fields, Mapping):
        raise _definition_error(
            f"Expected a dict of field names to config schemas, got {_short(fields)}.",
            root,
            path,
        )
    expanded: dict[str, Field] = {}
    for name, value in fields.items():
        if not isinstance(name, str):
            raise _definition_error(
                f"Field names must be strings, got {name!r} ({type(name).__name__}).",
                root,
                path,
            )
        child_path = [*path, name]
        if isinstance(value, Field):
            expanded[name] = value
        elif value is None:
            raise _definition_error(
                "Fields cannot be None. Use Noneable(T) for a value that may be None, or Any.",
                root,
                child_path,
            )
        else:
            expanded[name] = Field(_resolve(value, root, child_path))
    return expanded


def _resolve(obj: object, root: object, path: list[PathEntry], depth: int = 0) -> ConfigType:
    if isinstance(obj, ConfigType):
        return obj
    if isinstance(obj, type):
        builtin = _BUILTINS.get(obj)
        if builtin is not None:
            return builtin
        if obj is list:
            return Array(ConfigAny)
        if obj is dict:
            return Permissive()
        if issubclass(obj, _py_enum.Enum):
            raise _definition_error(
                f"{obj.__name__} is a Python enum class; wrap it for config with "
                f"Enum.from_python_enum({obj.__name__}).",
                root,
                path,
            )
        if issubclass(obj, ConfigType):
            raise _definition_error(
                f"{obj.__name__} is a config type class; pass an instance instead, e.g. "
                f"{obj.__name__}(...).",
                root,
                path,
            )
    if isinstance(obj, dict):
        return Shape(_expand_fields(obj, root, path))
    if isinstance(obj, list):
        if len(obj) != 1:
            raise _definition_error(
                "A list in a config schema declares an Array and must hold exactly one "
                f"config type, e.g. [int]; got a list of {len(obj)} items: {_short(obj)}.",
                root,
                path,
            )
        if isinstance(obj[0], Field):
            raise _definition_error(
                "The element of an Array cannot be a Field; write its type, e.g. [int].",
                root,
                [*path, 0],
            )
        return Array(_resolve(obj[0], root, [*path, 0], depth))
    if isinstance(obj, Field):
        raise _definition_error(
            "A Field was given where a config type is expected. Fields belong inside a dict "
            "schema, e.g. {'name': Field(str)}; elsewhere pass the type itself.",
            root,
            path,
        )
    if obj is None:
        raise _definition_error("None is not a config schema.", root, path)
    if _is_typing_type(obj):  # a DagsterInvalidDefinitionError proper, as Dagster raises
        raise DagsterInvalidDefinitionError(str(_definition_error(_typing_message(obj), root,
                                                                  path)))

    to_config_type = getattr(obj, "to_config_type", None)
    if callable(to_config_type) and not isinstance(obj, type) and depth < 8:
        try:
            converted = to_config_type()
        except DagsterInvalidDefinitionError as exc:  # a runtime type with no config form
            raise DagsterInvalidDefinitionError(str(_definition_error(
                f"{_short(obj)} cannot be used in a config schema: {exc}", root, path))) from None
        except Exception as exc:
            raise _definition_error(
                f"{_short(obj)}.to_config_type() raised {type(exc).__name__}: {exc}",
                root,
                path,
            ) from exc
        if converted is None:
            raise _definition_error(
                f"{_short(obj)} has no config equivalent and cannot be used in a config schema.",
                root,
                path,
            )
        return _resolve(converted, root, path, depth + 1)

    raise _definition_error(
        f"{_short(obj)} (of type {type(obj).__name__}) cannot be resolved to a config type. "
        + _VALID_FORMS,
        root,
        path,
    )


def _is_typing_type(obj: object) -> bool:
    if isinstance(obj, (_pytypes.GenericAlias, _pytypes.UnionType)):
        return True
    return type(obj).__module__ in ("typing", "typing_extensions") or (
        isinstance(obj, type) and obj.__module__ in ("typing", "typing_extensions")
    )


def _typing_message(obj: object) -> str:
    import typing

    origin = typing.get_origin(obj)
    if origin in (list, tuple, set, frozenset) or obj in (typing.List, typing.Tuple, typing.Set):  # noqa: UP006
        hint = "write [T] or Array(T) instead, e.g. [int]."
    elif origin is typing.Union or origin is _pytypes.UnionType:
        hint = "write Noneable(T) for an optional value, or ScalarUnion(scalar, schema)."
    elif origin is dict or obj is typing.Dict:  # noqa: UP006
        hint = "write a dict of fields, e.g. {'name': str}, or Permissive() for free-form keys."
    else:
        hint = "use int, float, bool, str or the config types (Int, String, Any, Shape, ...)."
    return (
        f"{obj!r} is a type from Python's typing module, which the config system does not "
        f"accept; {hint}"
    )


def _short(obj: object, limit: int = 200) -> str:
    text = repr(obj)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _definition_error(
    reason: str, root: object, path: list[PathEntry]
) -> DagsterInvalidConfigDefinitionError:
    where = f"at path {stack_str(path)}" if path else "at the root"
    message = (
        f"Error defining config. Original value passed: {_short(root)}. Error {where}: {reason}"
    )
    return DagsterInvalidConfigDefinitionError(message, path=path, original_root=root)
