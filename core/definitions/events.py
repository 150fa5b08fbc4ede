"""Objects a compute function returns, yields or raises: outputs, materializations,
expectations, metadata, and the structured failure / retry signals."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..errors import DagsterInvalidDefinitionError, DagsterInvariantViolationError

VALID_NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")


class EventMetadataEntry(NamedTuple):
    """One labelled metadata value attached to an event."""

    label: str
    description: str | None
    entry_type: str
    value: Any

    @staticmethod
    def text(text: str, label: str, description: str | None = None) -> EventMetadataEntry:
        return EventMetadataEntry(label, description, "text", text)

    @staticmethod
    def url(url: str, label: str, description: str | None = None) -> EventMetadataEntry:
        return EventMetadataEntry(label, description, "url", url)

    @staticmethod
    def path(path: str, label: str, description: str | None = None) -> EventMetadataEntry:
        return EventMetadataEntry(label, description, "path", path)

    @staticmethod
    def json(data: Any, label: str, description: str | None = None) -> EventMetadataEntry:
        return EventMetadataEntry(label, description, "json", data)

    @staticmethod
    def md(md_str: str, label: str, description: str | None = None) -> EventMetadataEntry:
        return EventMetadataEntry(label, description, "md", md_str)

    @staticmethod
    def float(value: float, label: str, description: str | None = None) -> EventMetadataEntry:
        return EventMetadataEntry(label, description, "float", value)

    @staticmethod
    def int(value: int, label: str, description: str | None = None) -> EventMetadataEntry:
        return EventMetadataEntry(label, description, "int", value)

    def to_dict(self) -> dict[str, Any]:
        value = self.value
        if not isinstance(value, str | int | float | bool | list | dict | type(None)):
            value = repr(value)
        return {
            "label": self.label,
            "description": self.description,
            "entry_type": self.entry_type,
            "value": value,
        }


def normalize_metadata(
    metadata_entries: list[EventMetadataEntry] | None, metadata: dict[str, Any] | None
) -> list[EventMetadataEntry]:
    """Merge the list form and the dict form (``metadata={"rows": 3}``) into entries."""
    entries = list(metadata_entries or [])
    for label, value in (metadata or {}).items():
        if isinstance(value, EventMetadataEntry):
            entries.append(value._replace(label=label))
        elif isinstance(value, bool) or isinstance(value, str):
            entries.append(EventMetadataEntry.text(str(value), label))
        elif isinstance(value, int):
            entries.append(EventMetadataEntry.int(value, label))
        elif isinstance(value, float):
            entries.append(EventMetadataEntry.float(value, label))
        else:
            entries.append(EventMetadataEntry.json(value, label))
    return entries


class AssetKey:
    """A path identifying an asset: ``AssetKey("orders")`` or ``AssetKey(["warehouse", "orders"])``;
    ``path`` is a list, as in the legacy API."""

    __slots__ = ("path",)

    def __init__(self, path: str | list[str] | tuple[str, ...]):
        self.path: list[str] = [path] if isinstance(path, str) else list(path)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AssetKey) and self.path == other.path

    def __hash__(self) -> int:
        return hash(tuple(self.path))

    def __repr__(self) -> str:
        return f"AssetKey({self.path!r})"

    @staticmethod
    def from_coerceable(value: str | list[str] | tuple[str, ...] | AssetKey) -> AssetKey:
        return value if isinstance(value, AssetKey) else AssetKey(value)

    def to_string(self) -> str:
        return "/".join(self.path)


@dataclass(frozen=True)
class Output:
    """A value for one of a solid's outputs."""

    value: Any
    output_name: str = "result"
    metadata_entries: list[EventMetadataEntry] = field(default_factory=list)
    metadata: dict[str, Any] | None = None

    @property
    def all_metadata(self) -> list[EventMetadataEntry]:
        return normalize_metadata(self.metadata_entries, self.metadata)


@dataclass(frozen=True)
class DynamicOutput:
    """One keyed value of a dynamic output; each key becomes a mapped copy downstream."""

    value: Any
    mapping_key: str
    output_name: str = "result"
    metadata_entries: list[EventMetadataEntry] = field(default_factory=list)
    metadata: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.mapping_key, str) or not VALID_NAME_RE.match(self.mapping_key):
            raise DagsterInvalidDefinitionError(
                f'Invalid mapping_key "{self.mapping_key}": a mapping key may only contain '
                "letters, digits and underscores."
            )

    @property
    def all_metadata(self) -> list[EventMetadataEntry]:
        return normalize_metadata(self.metadata_entries, self.metadata)


@dataclass(frozen=True)
class AssetMaterialization:
    """Records that a solid wrote (materialized) an asset."""

    asset_key: Any
    description: str | None = None
    metadata_entries: list[EventMetadataEntry] = field(default_factory=list)
    partition: str | None = None
    metadata: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "asset_key", AssetKey.from_coerceable(self.asset_key))

    @property
    def key(self) -> AssetKey:
        return self.asset_key

    @property
    def label(self) -> str:
        return " ".join(self.asset_key.path)

    @staticmethod
    def file(path: str, description: str | None = None) -> AssetMaterialization:
        return AssetMaterialization(
            asset_key=path,
            description=description,
            metadata_entries=[EventMetadataEntry.path(path, "path")],
        )

    def to_data(self) -> dict[str, Any]:
        return {
            "asset_key": list(self.key.path),
            "description": self.description,
            "partition": self.partition,
            "metadata": [
                e.to_dict() for e in normalize_metadata(self.metadata_entries, self.metadata)
            ],
        }


Materialization = AssetMaterialization


@dataclass(frozen=True)
class ExpectationResult:
    """The outcome of a data-quality expectation a solid checked."""

    success: bool
    label: str | None = None
    description: str | None = None
    metadata_entries: list[EventMetadataEntry] = field(default_factory=list)
    metadata: dict[str, Any] | None = None

    def to_data(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "label": self.label,
            "description": self.description,
            "metadata": [
                e.to_dict() for e in normalize_metadata(self.metadata_entries, self.metadata)
            ],
        }


@dataclass(frozen=True)
class TypeCheck:
    """The result of a type check, with an optional description and metadata."""

    success: bool
    description: str | None = None
    metadata_entries: list[EventMetadataEntry] = field(default_factory=list)
    metadata: dict[str, Any] | None = None

    def to_data(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "description": self.description,
            "metadata": [
                e.to_dict() for e in normalize_metadata(self.metadata_entries, self.metadata)
            ],
        }


class Failure(Exception):
    """Raise from a compute function to fail the step with a description and metadata."""

    def __init__(
        self,
        description: str | None = None,
        metadata_entries: list[EventMetadataEntry] | None = None,
        metadata: dict[str, Any] | None = None,
    ):
        super().__init__(description)
        self.description = description
        self.metadata_entries = normalize_metadata(metadata_entries, metadata)


class RetryRequested(Exception):
    """Raise from a compute function to ask for the step to be retried."""

    def __init__(self, max_retries: int = 1, seconds_to_wait: float | None = None):
        super().__init__()
        if max_retries < 0:
            raise DagsterInvariantViolationError("max_retries must be >= 0")
        self.max_retries = max_retries
        self.seconds_to_wait = seconds_to_wait
