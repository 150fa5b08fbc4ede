"""Entry points: how orch finds executors, storages, compute-log managers, run coordinators,
launchers and metrics reporters by name without core importing the packages that provide
them.

One policy for every group: a name is looked up first among **orch's own** entry points,
read straight from its distribution's ``entry_points.txt`` (a directory listing of each
``sys.path`` entry and one small file: well under a millisecond), and only then among
**every installed distribution's** through ``importlib.metadata``. Importing
``importlib.metadata`` alone costs ~10 ms (it brings in ``email``), and its full scan reads
every package's metadata (20-30 ms with the extras installed), which every command that
opens an instance on PostgreSQL, or runs on the Dask executor, paid before. A listing of a
group's names (the choices an error offers) always includes every distribution's.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from dataclasses import dataclass
from typing import Any

DISTRIBUTION = "orch"


@dataclass(frozen=True)
class Plugin:
    """One entry point: ``value`` is ``module:attr.path``, as in ``entry_points.txt``."""

    group: str
    name: str
    value: str

    def load(self) -> Any:
        module, _, attrs = self.value.partition(":")
        target: Any = importlib.import_module(module.strip())
        for attr in filter(None, attrs.strip().split(".")):
            target = getattr(target, attr)
        return target


def find(group: str, name: str) -> Plugin | None:
    """The entry point ``name`` of ``group``: orch's own first, then any distribution's."""
    own = _own().get(group, {}).get(name)
    if own is not None:
        return own
    return everyones(group).get(name)


def own(group: str) -> dict[str, Plugin]:
    """orch's own entry points of ``group`` (no scan of other distributions)."""
    return dict(_own().get(group, {}))


def everyones(group: str) -> dict[str, Plugin]:
    """Every installed distribution's entry points of ``group``, orch's among them, by name
    (orch's win a clash)."""
    from importlib.metadata import entry_points

    found = {ep.name: Plugin(group, ep.name, ep.value) for ep in entry_points(group=group)}
    return {**found, **_own().get(group, {})}


@functools.cache
def _own() -> dict[str, dict[str, Plugin]]:
    """orch's own entry points by group, from the first ``orch-*.dist-info`` on ``sys.path``
    (where ``importlib.metadata.distribution("orch")`` finds it too); empty when orch runs
    from a source tree that is not installed."""
    path = _own_entry_points_file()
    if path is None:
        return {}
    try:
        with open(path, encoding="utf-8") as file:
            return parse_entry_points(file.read())
    except OSError:
        return {}


def _own_entry_points_file() -> str | None:
    prefix = f"{DISTRIBUTION}-"
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.startswith(prefix) and name.endswith(".dist-info") \
                    and name[len(prefix):-len(".dist-info")].split("-")[0][:1].isdigit():
                return os.path.join(entry or ".", name, "entry_points.txt")
    return None


def parse_entry_points(text: str) -> dict[str, dict[str, Plugin]]:
    """``entry_points.txt`` (an INI file: ``[group]`` then ``name = module:attr`` lines,
    ``#`` comments) as {group: {name: Plugin}}; a line that is neither is skipped, as
    ``importlib.metadata`` skips what it cannot parse."""
    groups: dict[str, dict[str, Plugin]] = {}
    group: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1].strip()
            groups.setdefault(group, {})
            continue
        name, sep, value = line.partition("=")
        if group is None or not sep or not name.strip() or not value.strip():
            continue
        groups[group][name.strip()] = Plugin(group, name.strip(), value.strip())
    return groups
