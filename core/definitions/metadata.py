"""Metadata attached to events (LEGACY_API.md: Dagster 0.15's ``MetadataValue`` /
``MetadataEntry``, also exported under their legacy names ``EventMetadata`` /
``EventMetadataEntry``).

A ``MetadataEntry`` is a label, an optional description and a typed ``MetadataValue``
(``entry_data``). Storage keeps an entry as a plain dict (``to_dict``): its label,
description, ``entry_type`` and a JSON value, from which ``MetadataEntry.from_dict`` rebuilds
the typed entry.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import DagsterInvalidMetadata

if TYPE_CHECKING:
    from .events import AssetKey


class MetadataValue:
    """Base of the typed metadata values; its static constructors build each kind
    (``EventMetadata.int(3)``, ``MetadataValue.path("out.csv")``)."""

    __slots__ = ()
    entry_type = "text"

    @property
    def value(self) -> Any:
        return self

    def plain(self) -> Any:
        """The JSON form storage keeps."""
        return self.value

    @staticmethod
    def text(text: str) -> TextMetadataValue:
        return TextMetadataValue(text)

    @staticmethod
    def url(url: str) -> UrlMetadataValue:
        return UrlMetadataValue(url)

    @staticmethod
    def path(path: str | os.PathLike) -> PathMetadataValue:
        return PathMetadataValue(path)

    @staticmethod
    def json(data: dict[str, Any]) -> JsonMetadataValue:
        return JsonMetadataValue(data)

    @staticmethod
    def md(data: str) -> MarkdownMetadataValue:
        return MarkdownMetadataValue(data)

    @staticmethod
    def python_artifact(python_artifact: Callable[..., Any]) -> PythonArtifactMetadataValue:
        return PythonArtifactMetadataValue(python_artifact.__module__, python_artifact.__name__)

    @staticmethod
    def float(value: builtins.float) -> FloatMetadataValue:
        return FloatMetadataValue(value)

    @staticmethod
    def int(value: builtins.int) -> IntMetadataValue:
        return IntMetadataValue(value)

    @staticmethod
    def bool(value: builtins.bool) -> BoolMetadataValue:
        return BoolMetadataValue(value)

    @staticmethod
    def pipeline_run(run_id: str) -> DagsterRunMetadataValue:
        return DagsterRunMetadataValue(run_id)

    @staticmethod
    def dagster_run(run_id: str) -> DagsterRunMetadataValue:
        return DagsterRunMetadataValue(run_id)

    @staticmethod
    def asset(asset_key: AssetKey) -> DagsterAssetMetadataValue:
        return DagsterAssetMetadataValue(asset_key)


# The fields text/url/path shadow MetadataValue's constructors of the same names, as in Dagster
# (MetadataValue.text("x").text == "x"): mypy's [misc] below.
class TextMetadataValue(NamedTuple("_TextMetadataValue", [("text", str)]), MetadataValue):  # type: ignore[misc]
    def __new__(cls, text: str | None) -> TextMetadataValue:
        return super().__new__(cls, "" if text is None else text)

    @property
    def value(self) -> str:
        return self.text


class UrlMetadataValue(NamedTuple("_UrlMetadataValue", [("url", str)]), MetadataValue):  # type: ignore[misc]
    entry_type = "url"

    def __new__(cls, url: str | None) -> UrlMetadataValue:
        return super().__new__(cls, "" if url is None else url)

    @property
    def value(self) -> str:
        return self.url


class PathMetadataValue(NamedTuple("_PathMetadataValue", [("path", str)]), MetadataValue):  # type: ignore[misc]
    entry_type = "path"

    def __new__(cls, path: str | os.PathLike | None) -> PathMetadataValue:
        return super().__new__(cls, "" if path is None else os.fspath(path))

    @property
    def value(self) -> str:
        return self.path


class JsonMetadataValue(NamedTuple("_JsonMetadataValue", [("data", dict)]), MetadataValue):
    entry_type = "json"

    def __new__(cls, data: dict[str, Any] | None) -> JsonMetadataValue:
        # Whether it can be stored is checked where the event is written (a step fails
        # naming the entry: DagsterUnstorableDataError).
        return super().__new__(cls, {} if data is None else data)

    @property
    def value(self) -> dict[str, Any]:
        return self.data


class MarkdownMetadataValue(NamedTuple("_MarkdownMetadataValue", [("md_str", str)]),
                            MetadataValue):
    entry_type = "md"

    def __new__(cls, md_str: str | None) -> MarkdownMetadataValue:
        return super().__new__(cls, "" if md_str is None else md_str)

    @property
    def value(self) -> str:
        return self.md_str


class PythonArtifactMetadataValue(
        NamedTuple("_PythonArtifactMetadataValue", [("module", str), ("name", str)]),
        MetadataValue):
    """A function or class, by module and name."""

    entry_type = "python_artifact"

    def plain(self) -> dict[str, str]:
        return {"module": self.module, "name": self.name}


class FloatMetadataValue(NamedTuple("_FloatMetadataValue", [("value", float | None)]),
                         MetadataValue):
    entry_type = "float"


class IntMetadataValue(NamedTuple("_IntMetadataValue", [("value", int | None)]),
                       MetadataValue):
    entry_type = "int"


class BoolMetadataValue(NamedTuple("_BoolMetadataValue", [("value", bool | None)]),
                        MetadataValue):
    entry_type = "bool"


class DagsterRunMetadataValue(NamedTuple("_DagsterRunMetadataValue", [("run_id", str)]),
                              MetadataValue):
    """A reference to a run, by id."""

    entry_type = "pipeline_run"

    @property
    def value(self) -> str:
        return self.run_id


class DagsterAssetMetadataValue(
        NamedTuple("_DagsterAssetMetadataValue", [("asset_key", Any)]), MetadataValue):
    """A reference to an asset, by key."""

    entry_type = "asset"

    @property
    def value(self) -> AssetKey:
        return self.asset_key

    def plain(self) -> list[str]:
        return list(self.asset_key.path)


_FROM_PLAIN: dict[str, Callable[[Any], MetadataValue]] = {
    "text": TextMetadataValue, "url": UrlMetadataValue, "path": PathMetadataValue,
    "json": JsonMetadataValue, "md": MarkdownMetadataValue, "float": FloatMetadataValue,
    "int": IntMetadataValue, "bool": BoolMetadataValue,
    "pipeline_run": DagsterRunMetadataValue,
    "python_artifact": lambda d: PythonArtifactMetadataValue(d["module"], d["name"]),
    "asset": lambda path: DagsterAssetMetadataValue(_asset_key(path)),
}


def _asset_key(path: list[str]) -> AssetKey:
    from .events import AssetKey

    return AssetKey(path)


def normalize_metadata_value(raw_value: Any) -> MetadataValue:
    """A raw value (``metadata={"rows": 3}``) as its typed metadata value."""
    from .events import AssetKey

    if isinstance(raw_value, MetadataValue):
        return raw_value
    if isinstance(raw_value, str):
        return TextMetadataValue(raw_value)
    if isinstance(raw_value, bool):
        return BoolMetadataValue(raw_value)
    if isinstance(raw_value, float):
        return FloatMetadataValue(raw_value)
    if isinstance(raw_value, int):
        return IntMetadataValue(raw_value)
    if isinstance(raw_value, dict | list):  # a list is JSON too (Dagster 0.15 rejects it)
        return JsonMetadataValue(raw_value)  # type: ignore[arg-type]
    if isinstance(raw_value, os.PathLike):
        return PathMetadataValue(raw_value)
    if isinstance(raw_value, AssetKey):
        return DagsterAssetMetadataValue(raw_value)
    raise DagsterInvalidMetadata(
        f"Its type was {type(raw_value)}. Consider wrapping the value with the appropriate "
        "MetadataValue type."
    )


class MetadataEntry(NamedTuple("_MetadataEntry", [("label", str), ("description", str | None),
                                                  ("entry_data", MetadataValue)])):
    """One labelled metadata value: ``MetadataEntry("rows", value=3)`` or the legacy static
    constructors (``EventMetadataEntry.int(3, "rows")``)."""

    def __new__(cls, label: str, description: str | None = None, entry_data: Any = None,
                value: Any = None) -> MetadataEntry:
        if not isinstance(label, str):
            raise DagsterInvalidMetadata(f"A metadata entry's label must be a string, got "
                                         f"{label!r}.")
        return super().__new__(cls, label, description,
                               normalize_metadata_value(value if value is not None
                                                        else entry_data))

    @property
    def value(self) -> MetadataValue:
        """Alias of ``entry_data``."""
        return self.entry_data

    @property
    def entry_type(self) -> str:
        return self.entry_data.entry_type

    @staticmethod
    def text(text: str | None, label: str, description: str | None = None) -> MetadataEntry:
        return MetadataEntry(label, description, TextMetadataValue(text))

    @staticmethod
    def url(url: str | None, label: str, description: str | None = None) -> MetadataEntry:
        return MetadataEntry(label, description, UrlMetadataValue(url))

    @staticmethod
    def path(path: str | None, label: str, description: str | None = None) -> MetadataEntry:
        return MetadataEntry(label, description, PathMetadataValue(path))

    @staticmethod
    def fspath(path: str, label: str | None = None,
               description: str | None = None) -> MetadataEntry:
        """A path, labelled by its last component unless ``label`` is given."""
        return MetadataEntry.path(path, label or os.path.basename(os.path.normpath(path)),
                                  description)

    @staticmethod
    def json(data: dict[str, Any] | None, label: str,
             description: str | None = None) -> MetadataEntry:
        return MetadataEntry(label, description, JsonMetadataValue(data))

    @staticmethod
    def md(md_str: str | None, label: str, description: str | None = None) -> MetadataEntry:
        return MetadataEntry(label, description, MarkdownMetadataValue(md_str))

    @staticmethod
    def python_artifact(python_artifact: Callable[..., Any], label: str,
                        description: str | None = None) -> MetadataEntry:
        return MetadataEntry(label, description, MetadataValue.python_artifact(python_artifact))

    @staticmethod
    def float(value: builtins.float | None, label: str,
              description: str | None = None) -> MetadataEntry:
        return MetadataEntry(label, description, FloatMetadataValue(value))

    @staticmethod
    def int(value: builtins.int | None, label: str,
            description: str | None = None) -> MetadataEntry:
        return MetadataEntry(label, description, IntMetadataValue(value))

    @staticmethod
    def pipeline_run(run_id: str, label: str, description: str | None = None) -> MetadataEntry:
        return MetadataEntry(label, description, DagsterRunMetadataValue(run_id))

    @staticmethod
    def asset(asset_key: AssetKey, label: str, description: str | None = None) -> MetadataEntry:
        return MetadataEntry(label, description, DagsterAssetMetadataValue(asset_key))

    def to_dict(self) -> dict[str, Any]:
        value = self.entry_data.plain()
        if not isinstance(value, str | builtins.int | builtins.float | builtins.bool | list
                          | dict | type(None)):
            value = repr(value)
        return {"label": self.label, "description": self.description,
                "entry_type": self.entry_type, "value": value}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> MetadataEntry:
        """The entry ``to_dict`` stored (an unknown kind comes back as text)."""
        make = _FROM_PLAIN.get(data.get("entry_type") or "text")
        value = data.get("value")
        try:
            entry_data = make(value) if make is not None else TextMetadataValue(str(value))
        except (DagsterInvalidMetadata, KeyError, TypeError):
            entry_data = TextMetadataValue(str(value))
        return MetadataEntry(data.get("label") or "", data.get("description"), entry_data)


def normalize_metadata(metadata_entries: list[MetadataEntry] | None,
                       metadata: dict[str, Any] | None) -> list[MetadataEntry]:
    """The entries of an event given as a list (``metadata_entries=``) or as a dict
    (``metadata={"rows": 3}``), not both."""
    if metadata_entries and metadata:
        raise DagsterInvalidMetadata(
            "Attempted to provide both `metadata` and `metadata_entries` arguments to an event. "
            "Must provide only one of the two."
        )
    if metadata_entries:
        return list(metadata_entries)
    return [_entry(label, value) for label, value in (metadata or {}).items()]


def _entry(label: str, value: Any) -> MetadataEntry:
    if isinstance(value, MetadataEntry):
        raise DagsterInvalidMetadata(
            f"Expected a metadata value, found an instance of {type(value).__name__}. Consider "
            "instead using a MetadataValue wrapper for the value."
        )
    try:
        return MetadataEntry(label, value=value)
    except DagsterInvalidMetadata as exc:
        raise DagsterInvalidMetadata(
            f'Could not resolve the metadata value for "{label}" to a known type. {exc}'
        ) from None


EventMetadata = MetadataValue
EventMetadataEntry = MetadataEntry
