"""Config types: the vocabulary config schemas are built from.

A config type describes the shape of a config *value* (plain dicts, lists and scalars, as
loaded from YAML). Schemas written by users (``{"name": str}``, ``[int]``, ``Field(...)``) are
turned into these objects by :func:`orch.core.config.field.resolve_config_type`.
"""

from __future__ import annotations

import enum as _py_enum
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from orch.core.config.errors import DagsterInvalidConfigDefinitionError

if TYPE_CHECKING:
    from orch.core.config.field import Field


class ConfigTypeKind(_py_enum.Enum):
    """The structural family of a config type; validation dispatches on it."""

    ANY = "ANY"
    SCALAR = "SCALAR"
    ENUM = "ENUM"
    SELECTOR = "SELECTOR"
    STRICT_SHAPE = "STRICT_SHAPE"
    PERMISSIVE_SHAPE = "PERMISSIVE_SHAPE"
    SCALAR_UNION = "SCALAR_UNION"
    ARRAY = "ARRAY"
    NONEABLE = "NONEABLE"
    MAP = "MAP"

    @property
    def has_fields(self) -> bool:
        return self in _FIELD_KINDS

    @property
    def is_shape(self) -> bool:
        return self is ConfigTypeKind.STRICT_SHAPE or self is ConfigTypeKind.PERMISSIVE_SHAPE


_FIELD_KINDS = frozenset(
    {ConfigTypeKind.SELECTOR, ConfigTypeKind.STRICT_SHAPE, ConfigTypeKind.PERMISSIVE_SHAPE}
)


class ConfigScalarKind(_py_enum.Enum):
    INT = "INT"
    FLOAT = "FLOAT"
    STRING = "STRING"
    BOOL = "BOOL"


class ConfigType:
    """Base class of every config type.

    Two config types are equal when their ``key`` is equal; the key is derived from the
    type's structure (field names, defaults, inner types), so equal schemas written twice
    compare equal.
    """

    kind: ConfigTypeKind

    def __init__(
        self,
        kind: ConfigTypeKind,
        given_name: str | None = None,
        description: str | None = None,
    ):
        if description is not None and not isinstance(description, str):
            raise DagsterInvalidConfigDefinitionError(
                f"The description of a config type must be a string, got {description!r}."
            )
        self.kind = kind
        self.given_name = given_name
        self.description = description
        self._key: str | None = None

    @property
    def key(self) -> str:
        """A stable identifier for this type's structure."""
        if self._key is None:
            self._key = self._compute_key()
        return self._key

    def _compute_key(self) -> str:
        raise NotImplementedError

    @property
    def type_params(self) -> tuple[ConfigType, ...]:
        """The config types directly nested in this one (not the fields' types)."""
        return ()

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return isinstance(other, ConfigType) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        from orch.core.config.display import type_display

        return f"{type(self).__name__}({type_display(self)})"


# --- scalars -------------------------------------------------------------------------------


class ConfigScalar(ConfigType):
    """One of the four built-in scalars: ``Int``, ``Float``, ``Bool``, ``String``."""

    def __init__(self, scalar_kind: ConfigScalarKind, name: str):
        super().__init__(ConfigTypeKind.SCALAR, given_name=name)
        self.scalar_kind = scalar_kind

    def _compute_key(self) -> str:
        return self.given_name or self.scalar_kind.value


class ConfigAnyType(ConfigType):
    """Accepts any value, including None; nothing is checked or converted."""

    def __init__(self) -> None:
        super().__init__(ConfigTypeKind.ANY, given_name="Any")

    def _compute_key(self) -> str:
        return "Any"


ConfigInt = ConfigScalar(ConfigScalarKind.INT, "Int")
ConfigFloat = ConfigScalar(ConfigScalarKind.FLOAT, "Float")
ConfigBool = ConfigScalar(ConfigScalarKind.BOOL, "Bool")
ConfigString = ConfigScalar(ConfigScalarKind.STRING, "String")
ConfigAny = ConfigAnyType()


# --- wrappers ------------------------------------------------------------------------------


def _resolve(schema: object) -> ConfigType:
    # field.py imports this module, so resolve lazily.
    from orch.core.config.field import resolve_config_type

    return resolve_config_type(schema)


class Array(ConfigType):
    """A list whose every item is of ``inner_type`` (also written ``[inner_type]``)."""

    def __init__(self, inner_type: object, description: str | None = None):
        super().__init__(ConfigTypeKind.ARRAY, description=description)
        self.inner_type = _resolve(inner_type)

    def _compute_key(self) -> str:
        return f"Array.{self.inner_type.key}"

    @property
    def type_params(self) -> tuple[ConfigType, ...]:
        return (self.inner_type,)


class Map(ConfigType):
    """A dict of any keys of the scalar ``key_type`` to values of ``inner_type``:
    ``Map(str, int)`` accepts ``{"a": 1, "b": 2}``."""

    def __init__(self, key_type: object, inner_type: object,
                 key_label_name: str | None = None, description: str | None = None):
        super().__init__(ConfigTypeKind.MAP, description=description)
        self.key_type = _resolve(key_type)
        if self.key_type.kind is not ConfigTypeKind.SCALAR:
            raise DagsterInvalidConfigDefinitionError(
                f"Map's key type must be a scalar (str, int, float or bool), got "
                f"{key_type!r}."
            )
        self.inner_type = _resolve(inner_type)
        self.key_label_name = key_label_name

    def _compute_key(self) -> str:
        label = f".{self.key_label_name}" if self.key_label_name else ""
        return f"Map.{self.key_type.key}.{self.inner_type.key}{label}"

    @property
    def type_params(self) -> tuple[ConfigType, ...]:
        return (self.key_type, self.inner_type)


class Noneable(ConfigType):
    """``inner_type`` or None. A field of this type is implicitly optional, defaulting to None."""

    def __init__(self, inner_type: object, description: str | None = None):
        super().__init__(ConfigTypeKind.NONEABLE, description=description)
        self.inner_type = _resolve(inner_type)

    def _compute_key(self) -> str:
        return f"Noneable.{self.inner_type.key}"

    @property
    def type_params(self) -> tuple[ConfigType, ...]:
        return (self.inner_type,)


# --- enums ---------------------------------------------------------------------------------


class EnumValue:
    """One allowed value of an :class:`Enum`.

    ``config_value`` is the string written in config; processing turns it into
    ``python_value`` (which defaults to ``config_value``).
    """

    def __init__(
        self,
        config_value: str,
        python_value: object = None,
        description: str | None = None,
    ):
        if not isinstance(config_value, str):
            raise DagsterInvalidConfigDefinitionError(
                f"EnumValue config_value must be a string, got {config_value!r}."
            )
        if description is not None and not isinstance(description, str):
            raise DagsterInvalidConfigDefinitionError(
                f"EnumValue description must be a string, got {description!r}."
            )
        self.config_value = config_value
        self.python_value = config_value if python_value is None else python_value
        self.description = description

    def __repr__(self) -> str:
        return f"EnumValue({self.config_value!r}, python_value={self.python_value!r})"


class Enum(ConfigType):
    """A string chosen from a fixed set, mapped to a Python value by processing.

    Defaults of enum fields are written as the config string, not the Python value.
    """

    def __init__(
        self,
        name: str,
        enum_values: Sequence[EnumValue],
        description: str | None = None,
    ):
        if not isinstance(name, str) or not name:
            raise DagsterInvalidConfigDefinitionError(
                f"An Enum needs a non-empty string name, got {name!r}."
            )
        if isinstance(enum_values, (str, bytes)) or not isinstance(enum_values, Sequence):
            raise DagsterInvalidConfigDefinitionError(
                f'Enum "{name}" needs a list of EnumValue, got {enum_values!r}.'
            )
        if not enum_values:
            raise DagsterInvalidConfigDefinitionError(
                f'Enum "{name}" needs at least one EnumValue.'
            )
        by_config: dict[str, EnumValue] = {}
        for value in enum_values:
            if not isinstance(value, EnumValue):
                raise DagsterInvalidConfigDefinitionError(
                    f'Enum "{name}" values must be EnumValue instances, got {value!r}. '
                    f"Write EnumValue({value!r}) instead."
                )
            if value.config_value in by_config:
                raise DagsterInvalidConfigDefinitionError(
                    f'Enum "{name}" lists the config value "{value.config_value}" twice.'
                )
            by_config[value.config_value] = value
        super().__init__(ConfigTypeKind.ENUM, given_name=name, description=description)
        self.enum_values: list[EnumValue] = list(enum_values)
        self._by_config = by_config

    @classmethod
    def from_python_enum(cls, enum_type: type[_py_enum.Enum], name: str | None = None) -> Enum:
        """Build a config Enum whose config values are the member names of ``enum_type``."""
        if not (isinstance(enum_type, type) and issubclass(enum_type, _py_enum.Enum)):
            raise DagsterInvalidConfigDefinitionError(
                f"Enum.from_python_enum expects a Python enum class, got {enum_type!r}."
            )
        return cls(
            name or enum_type.__name__,
            [EnumValue(member.name, python_value=member) for member in enum_type],
        )

    @property
    def config_values(self) -> list[str]:
        return [value.config_value for value in self.enum_values]

    def is_valid_config_value(self, value: object) -> bool:
        return isinstance(value, str) and value in self._by_config

    def to_python_value(self, config_value: str) -> object:
        return self._by_config[config_value].python_value

    def _compute_key(self) -> str:
        digest = _digest(
            [self.given_name, self.description]
            + [[v.config_value, v.description] for v in self.enum_values]
        )
        return f"Enum.{self.given_name}.{digest}"


# --- unions --------------------------------------------------------------------------------


class ScalarUnion(ConfigType):
    """Either a scalar (``scalar_type``) or a dict/list (``non_scalar_schema``).

    A value that is a dict or a list is checked against the non-scalar side, anything else
    against the scalar side.
    """

    def __init__(
        self,
        scalar_type: object,
        non_scalar_schema: object,
        description: str | None = None,
        _name: str | None = None,
    ):
        super().__init__(ConfigTypeKind.SCALAR_UNION, given_name=_name, description=description)
        self.scalar_type = _resolve(scalar_type)
        self.non_scalar_type = _resolve(non_scalar_schema)
        if self.scalar_type.kind not in (ConfigTypeKind.SCALAR, ConfigTypeKind.ENUM):
            raise DagsterInvalidConfigDefinitionError(
                "ScalarUnion's scalar_type must be a scalar (Int, Float, Bool, String) or an "
                f"Enum, got {self.scalar_type!r}."
            )
        if not (
            self.non_scalar_type.kind.has_fields
            or self.non_scalar_type.kind is ConfigTypeKind.ARRAY
        ):
            raise DagsterInvalidConfigDefinitionError(
                "ScalarUnion's non_scalar_schema must be a dict-like schema (Shape, Permissive, "
                f"Selector) or an Array, got {self.non_scalar_type!r}."
            )

    def post_process(self, value: object) -> object:
        """Turn a validated value into the value handed to user code (identity here)."""
        return value

    def _compute_key(self) -> str:
        if self.given_name:
            return self.given_name
        return f"ScalarUnion.{self.scalar_type.key}-{self.non_scalar_type.key}"

    @property
    def type_params(self) -> tuple[ConfigType, ...]:
        return (self.scalar_type, self.non_scalar_type)


# --- dict-like types -----------------------------------------------------------------------


class _FieldsType(ConfigType):
    """Common base of Shape, Permissive and Selector: a mapping of names to Fields."""

    def __init__(
        self,
        kind: ConfigTypeKind,
        fields: Mapping[str, object],
        description: str | None,
    ):
        from orch.core.config.field import expand_fields

        super().__init__(kind, description=description)
        self.fields: dict[str, Field] = expand_fields(fields)
        # Precomputed because validation checks it on every value.
        self.required_field_names: tuple[str, ...] = tuple(
            name for name, field in self.fields.items() if field.is_required
        )

    def _compute_key(self) -> str:
        prefix = {
            ConfigTypeKind.STRICT_SHAPE: "Shape",
            ConfigTypeKind.PERMISSIVE_SHAPE: "Permissive",
            ConfigTypeKind.SELECTOR: "Selector",
        }[self.kind]
        parts: list[object] = [self.description]
        for name in sorted(self.fields):
            field = self.fields[name]
            parts.append(
                [
                    name,
                    field.is_required,
                    field.default_provided,
                    field.default_value if field.default_provided else None,
                    field.description,
                    field.config_type.key,
                ]
            )
        return f"{prefix}.{_digest(parts)}"


class Shape(_FieldsType):
    """A dict with a fixed set of keys; unknown keys are errors. A dict literal means this."""

    def __init__(self, fields: Mapping[str, object], description: str | None = None):
        super().__init__(ConfigTypeKind.STRICT_SHAPE, fields, description)


class Permissive(_FieldsType):
    """A dict whose declared keys are checked and whose other keys pass through unchecked."""

    def __init__(self, fields: Mapping[str, object] | None = None, description: str | None = None):
        super().__init__(ConfigTypeKind.PERMISSIVE_SHAPE, fields or {}, description)


class Selector(_FieldsType):
    """A dict with exactly one of the declared keys (a tagged union)."""

    def __init__(self, fields: Mapping[str, object], description: str | None = None):
        if isinstance(fields, Mapping) and not fields:
            raise DagsterInvalidConfigDefinitionError(
                "A Selector needs at least one field to choose from."
            )
        super().__init__(ConfigTypeKind.SELECTOR, fields, description)


def _digest(parts: object) -> str:
    try:
        text = json.dumps(parts, sort_keys=True, default=repr)
    except (TypeError, ValueError):  # e.g. a default dict mixing int and str keys
        text = repr(parts)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()
