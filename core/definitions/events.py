"""Objects a compute function returns, yields or raises: outputs, materializations,
expectations, metadata, and the structured failure / retry signals."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import DagsterInvalidDefinitionError, DagsterInvariantViolationError
from .metadata import EventMetadataEntry as EventMetadataEntry  # re-exported (legacy path)
from .metadata import normalize_metadata as normalize_metadata

VALID_NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")


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


_ASSET_KEY_SPLIT = re.compile(r"[^a-zA-Z0-9_]")


def parse_asset_key_string(value: str) -> list[str]:
    """The parts of a string asset key as Dagster 0.15 reads one given to
    ``AssetMaterialization``: ``"s3://bucket/a.csv"`` is ``["s3", "bucket", "a", "csv"]``."""
    return [part for part in _ASSET_KEY_SPLIT.split(value) if part]


def _normalize_metadata_fields(event: Any) -> None:
    """``metadata_entries`` of a frozen event: the given list or the ``metadata`` dict as
    entries (as Dagster's ``.metadata_entries``); ``metadata`` is folded into it."""
    entries = normalize_metadata(event.metadata_entries, event.metadata)
    object.__setattr__(event, "metadata_entries", entries)
    object.__setattr__(event, "metadata", None)


@dataclass(frozen=True)
class Output:
    """A value for one of a solid's outputs."""

    value: Any
    output_name: str = "result"
    metadata_entries: list[EventMetadataEntry] = field(default_factory=list)
    metadata: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        _normalize_metadata_fields(self)

    @property
    def all_metadata(self) -> list[EventMetadataEntry]:
        return self.metadata_entries


@dataclass(frozen=True)
class DynamicOutput:
    """One keyed value of a dynamic output; each key becomes a mapped copy downstream."""

    value: Any
    mapping_key: str
    output_name: str = "result"
    metadata_entries: list[EventMetadataEntry] = field(default_factory=list)
    metadata: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        _normalize_metadata_fields(self)
        if not isinstance(self.mapping_key, str) or not VALID_NAME_RE.match(self.mapping_key):
            raise DagsterInvalidDefinitionError(
                f'Invalid mapping_key "{self.mapping_key}": a mapping key may only contain '
                "letters, digits and underscores."
            )

    @property
    def all_metadata(self) -> list[EventMetadataEntry]:
        return self.metadata_entries


@dataclass(frozen=True)
class AssetMaterialization:
    """Records that a solid wrote (materialized) an asset."""

    asset_key: Any
    description: str | None = None
    metadata_entries: list[EventMetadataEntry] = field(default_factory=list)
    partition: str | None = None
    metadata: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        key = self.asset_key
        if isinstance(key, str):  # as Dagster: a string key is split into its words
            key = AssetKey(parse_asset_key_string(key))
        object.__setattr__(self, "asset_key", AssetKey.from_coerceable(key))
        _normalize_metadata_fields(self)

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
            "metadata": [e.to_dict() for e in self.metadata_entries],
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

    def __post_init__(self) -> None:
        _normalize_metadata_fields(self)

    def to_data(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "label": self.label,
            "description": self.description,
            "metadata": [e.to_dict() for e in self.metadata_entries],
        }


@dataclass(frozen=True)
class TypeCheck:
    """The result of a type check, with an optional description and metadata."""

    success: bool
    description: str | None = None
    metadata_entries: list[EventMetadataEntry] = field(default_factory=list)
    metadata: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        _normalize_metadata_fields(self)

    def to_data(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "description": self.description,
            "metadata": [e.to_dict() for e in self.metadata_entries],
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
