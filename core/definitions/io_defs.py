"""Input and output definitions of a solid."""

from __future__ import annotations

import keyword
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..errors import DagsterInvalidDefinitionError
from ..sentinel import Sentinel
from .events import VALID_NAME_RE
from .types import Any as Any_
from .types import DagsterType, resolve_dagster_type

NO_DEFAULT: Any = Sentinel("NO_DEFAULT", __name__)


def check_valid_name(name: str, what: str = "name") -> str:
    """Names of solids, inputs, outputs, resources and modes: ``^[A-Za-z0-9_]+$``, no keywords."""
    if not isinstance(name, str) or not VALID_NAME_RE.match(name):
        raise DagsterInvalidDefinitionError(
            f'{what} "{name}" is not valid: use only letters, digits and underscores '
            "(regex ^[A-Za-z0-9_]+$)."
        )
    if keyword.iskeyword(name):
        raise DagsterInvalidDefinitionError(
            f'{what} "{name}" is a Python keyword and cannot be used as a name.'
        )
    return name


def _resolve_or_any(dagster_type: Any) -> DagsterType:
    """``None`` means "not given" (Any); an annotation of ``None`` arrives as ``type(None)``."""
    return Any_ if dagster_type is None else resolve_dagster_type(dagster_type)


class InputDefinition:
    """One input of a solid: a name, a type, and optionally a default or a root manager."""

    def __init__(
        self,
        name: str,
        dagster_type: Any = None,
        description: str | None = None,
        default_value: Any = NO_DEFAULT,
        root_manager_key: str | None = None,
        metadata: dict[str, Any] | None = None,
        asset_key: Any = None,
        asset_partitions: Any = None,
    ):
        self.name = check_valid_name(name, "Input name")
        self._explicit_type = dagster_type is not None
        self.dagster_type: DagsterType = _resolve_or_any(dagster_type)
        self.description = description
        self._default_value = default_value
        self.root_manager_key = root_manager_key
        self.metadata = metadata or {}
        self.asset_key = asset_key
        if default_value is not NO_DEFAULT and not self.dagster_type.is_any:
            check = self.dagster_type.type_check(None, default_value)
            if not check.success:
                raise DagsterInvalidDefinitionError(
                    f'Type check failed for the default_value of InputDefinition "{name}" '
                    f'of type "{self.dagster_type.display_name}". {check.description or ""}'
                )

    @property
    def has_default_value(self) -> bool:
        return self._default_value is not NO_DEFAULT

    @property
    def default_value(self) -> Any:
        if not self.has_default_value:
            raise DagsterInvalidDefinitionError(f'Input "{self.name}" has no default value.')
        return self._default_value

    @property
    def is_nothing(self) -> bool:
        return self.dagster_type.is_nothing

    def with_inferred_type(self, annotation: Any) -> InputDefinition:
        """Copy with the type taken from the compute function's annotation if none was given."""
        if self._explicit_type:
            return self
        return InputDefinition(
            self.name, annotation, self.description, self._default_value,
            self.root_manager_key, self.metadata, self.asset_key,
        )

    def snapshot(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.dagster_type.display_name,
            "description": self.description,
            "has_default": self.has_default_value,
            "is_nothing": self.is_nothing,
            "root_manager_key": self.root_manager_key,
        }

    def __repr__(self) -> str:
        return f"InputDefinition({self.name!r}, {self.dagster_type.display_name})"

    def mapping_to(self, solid_name: str, input_name: str,
                   fan_in_index: int | None = None) -> InputMapping:
        """This (composite) input feeds ``input_name`` of the inner solid ``solid_name``."""
        return InputMapping(self, solid_name, input_name, fan_in_index)


class OutputDefinition:
    """One output of a solid."""

    is_dynamic = False

    def __init__(
        self,
        dagster_type: Any = None,
        name: str = "result",
        description: str | None = None,
        is_required: bool = True,
        io_manager_key: str = "io_manager",
        metadata: dict[str, Any] | None = None,
        asset_key: Any = None,
    ):
        self.name = check_valid_name(name, "Output name")
        self._explicit_type = dagster_type is not None
        self.dagster_type: DagsterType = _resolve_or_any(dagster_type)
        self.description = description
        self.is_required = is_required
        self.io_manager_key = io_manager_key
        self.metadata = metadata or {}
        self.asset_key = asset_key

    @property
    def optional(self) -> bool:
        return not self.is_required

    def mapping_from(self, solid_name: str, output_name: str = "result") -> OutputMapping:
        """This (composite) output is ``output_name`` of the inner solid ``solid_name``."""
        return OutputMapping(self, solid_name, output_name)

    def with_inferred_type(self, annotation: Any) -> OutputDefinition:
        if self._explicit_type:
            return self
        return type(self)(
            annotation, self.name, self.description, self.is_required,
            self.io_manager_key, self.metadata, self.asset_key,
        )

    def snapshot(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.dagster_type.display_name,
            "description": self.description,
            "is_required": self.is_required,
            "is_dynamic": self.is_dynamic,
            "io_manager_key": self.io_manager_key,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.dagster_type.display_name}, {self.name!r})"


class DynamicOutputDefinition(OutputDefinition):
    """An output that yields any number of keyed :class:`DynamicOutput` values."""

    is_dynamic = True


@dataclass(frozen=True)
class InputMapping:
    """A composite input (``definition``) mapped onto an inner solid's input."""

    definition: InputDefinition
    solid_name: str
    input_name: str
    fan_in_index: int | None = None

    @property
    def maps_to(self) -> InputPointer | FanInInputPointer:
        """The inner input (legacy ``InputMapping.maps_to``)."""
        if self.fan_in_index is None:
            return InputPointer(self.solid_name, self.input_name)
        return FanInInputPointer(self.solid_name, self.input_name, self.fan_in_index)

    @property
    def maps_to_fan_in(self) -> bool:
        return self.fan_in_index is not None

    def describe(self) -> str:
        index = "" if self.fan_in_index is None else self.fan_in_index
        return f"{self.definition.name} -> {self.solid_name}:{self.input_name}{index}"


class InputPointer(NamedTuple):
    """An inner solid's input that a composite input maps to."""

    solid_name: str
    input_name: str


class FanInInputPointer(NamedTuple):
    """One position of an inner solid's fanned-in input that a composite input maps to."""

    solid_name: str
    input_name: str
    fan_in_index: int


@dataclass(frozen=True)
class OutputMapping:
    """A composite output (``definition``) mapped from an inner solid's output."""

    definition: OutputDefinition
    solid_name: str
    output_name: str = "result"
