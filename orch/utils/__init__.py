"""``orch.utils``: the legacy ``dagster.utils`` helpers that pipeline files and their tests
import: paths relative to a file, small dict and filesystem helpers, YAML loading."""

from __future__ import annotations

import contextlib
import datetime
import errno
import glob
import inspect
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from orch.core.definitions.preset import deep_merge
from orch.core.errors import DagsterInvariantViolationError
from orch.core.legacy_helpers import file_relative_path
from orch.seven import IS_WINDOWS

__all__ = [
    "IS_WINDOWS", "PICKLE_PROTOCOL", "all_none", "camelcase", "datetime_as_float",
    "dict_without_keys", "ensure_dir", "ensure_file", "ensure_single_item", "file_relative_path",
    "frozendict", "get_prop_or_key", "list_pull", "load_yaml_from_glob_list",
    "load_yaml_from_globs", "load_yaml_from_path", "merge_dicts", "mkdir_p", "pushd",
    "safe_isfile", "safe_tempfile_path", "safe_tempfile_path_unmanaged", "script_relative_path",
    "touch_file", "utc_datetime_from_timestamp",
]

PICKLE_PROTOCOL = 4
EPOCH = datetime.datetime.fromtimestamp(0, datetime.UTC).replace(tzinfo=None)


def script_relative_path(file_path: str) -> str:
    """A path relative to the file of the caller (legacy; prefer ``file_relative_path``)."""
    caller = inspect.stack()[1].filename
    return os.path.join(os.path.dirname(os.path.abspath(caller)), file_path)


# -- dicts --------------------------------------------------------------------------------

def merge_dicts(*dicts: Mapping[Any, Any]) -> dict[Any, Any]:
    """A new dict with every key of the dicts (shallow); a later dict's value wins."""
    if len(dicts) < 2:
        raise DagsterInvariantViolationError(
            f"Expected 2 or more args to merge_dicts, found {len(dicts)}")
    result: dict[Any, Any] = {}
    for d in dicts:
        result.update(d)
    return result


def dict_without_keys(ddict: Mapping[Any, Any], *keys: Any) -> dict[Any, Any]:
    return {key: value for key, value in ddict.items() if key not in set(keys)}


def ensure_single_item(ddict: Mapping[Any, Any]) -> tuple[Any, Any]:
    """The only (key, value) of a one-item dict."""
    if len(ddict) != 1:
        raise DagsterInvariantViolationError("Expected dict with single item")
    return next(iter(ddict.items()))


def all_none(kwargs: Mapping[Any, Any]) -> bool:
    return all(value is None for value in kwargs.values())


def get_prop_or_key(elem: Any, key: str) -> Any:
    return elem.get(key) if isinstance(elem, Mapping) else getattr(elem, key)


def list_pull(alist: list[Any], key: str) -> list[Any]:
    return [get_prop_or_key(elem, key) for elem in alist]


class frozendict(dict):
    """A dict that cannot be changed (hashable; pickles)."""

    def __readonly__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Cannot modify ReadOnlyDict")

    def __reduce__(self) -> Any:
        return (frozendict, (), dict(self))

    def __setstate__(self, state: dict[Any, Any]) -> None:
        dict.__init__(self, state)

    __setitem__ = __readonly__
    __delitem__ = __readonly__
    pop = __readonly__
    popitem = __readonly__
    clear = __readonly__
    update = __readonly__
    setdefault = __readonly__

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items())))


def camelcase(string: str) -> str:
    """``"my_solid_name"`` -> ``"MySolidName"``."""
    string = re.sub(r"^[\-_\.]", "", str(string))
    if not string:
        return string
    return string[0].upper() + re.sub(r"[\-_\.\s]([a-z])",
                                      lambda matched: matched.group(1).upper(), string[1:])


# -- files --------------------------------------------------------------------------------

def mkdir_p(path: str) -> str | None:
    """Make the directory and its parents; fine if it exists (returns the path if made)."""
    try:
        os.makedirs(path)
        return path
    except OSError as exc:
        if exc.errno == errno.EEXIST and os.path.isdir(path):
            return None
        raise


def ensure_dir(file_path: str) -> None:
    os.makedirs(file_path, exist_ok=True)


def touch_file(path: str) -> None:
    ensure_dir(os.path.dirname(path))
    with open(path, "a", encoding="utf8"):
        os.utime(path, None)


def ensure_file(path: str) -> None:
    ensure_dir(os.path.dirname(path))
    if not os.path.exists(path):
        touch_file(path)


def safe_isfile(path: str) -> bool:
    """``os.path.isfile`` that is False, not an error, for a path it cannot check."""
    try:
        return os.path.isfile(path)
    except ValueError:
        return False


@contextlib.contextmanager
def pushd(path: str) -> Iterator[str]:
    """Run the block in directory ``path``."""
    old_cwd = os.getcwd()
    os.chdir(path)
    try:
        yield path
    finally:
        os.chdir(old_cwd)


def safe_tempfile_path_unmanaged() -> str:
    """A fresh temporary file path (the file itself does not exist)."""
    with tempfile.NamedTemporaryFile() as fd:
        path = fd.name
    return Path(path).as_posix()


@contextlib.contextmanager
def safe_tempfile_path() -> Iterator[str]:
    """A fresh temporary file path, removed after the block if something created it."""
    path = safe_tempfile_path_unmanaged()
    try:
        yield path
    finally:
        if os.path.exists(path):
            os.unlink(path)


# -- yaml and time --------------------------------------------------------------------------

def load_yaml_from_path(path: str) -> Any:
    import yaml

    with open(path, encoding="utf8") as f:
        return yaml.safe_load(f)


def load_yaml_from_glob_list(glob_list: list[str]) -> dict[str, Any]:
    """The YAML files the patterns match, deep-merged (later files win); none is ``{}``."""
    merged: dict[str, Any] = {}
    for pattern in glob_list:
        for path in glob.glob(pattern):
            data = load_yaml_from_path(path) or {}
            if not isinstance(data, dict):
                raise ValueError(f"Expected YAML from file {path} to parse to dictionary, "
                                 f'instead got: "{data}"')
            merged = deep_merge(merged, data)
    return merged


def load_yaml_from_globs(*globs: str) -> dict[str, Any]:
    return load_yaml_from_glob_list(list(globs))


def datetime_as_float(dt: datetime.datetime) -> float:
    return float((dt - EPOCH).total_seconds())


def utc_datetime_from_timestamp(timestamp: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)
