"""The asset catalog: what a pipeline's runs materialized, read from the instance.

Each ``ASSET_MATERIALIZATION`` is indexed by key in storage (``asset_materializations``,
written with the event), so an asset's history is an index range however large the event log.
Lineage comes from the runs themselves: the step that materialized an asset, that step's
upstream and downstream steps in the run's execution plan, and the assets *those* steps
materialized in the same run (over the latest few runs that materialized it). A step that materialized nothing is walked through, so
``raw → clean (no asset) → report`` still shows ``raw`` upstream of ``report``.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import DagsterError
from .events import EventRecord

if TYPE_CHECKING:
    from .instance import Instance
    from .storage.base import AssetSummary

HISTORY_LIMIT = 50


class AssetNotFound(DagsterError):
    """No asset with that key is in the instance."""


def parse_asset_key(text: str) -> list[str]:
    """``a/b/c`` or a JSON list (``["a", "b"]``) as the key's path."""
    text = text.strip()
    if text.startswith("["):
        try:
            path = json.loads(text)
        except ValueError as e:
            raise DagsterError(f"Asset key {text!r} is not a JSON list of strings: {e}") from e
        if not isinstance(path, list) or not all(isinstance(p, str) and p for p in path):
            raise DagsterError(f"Asset key {text!r} is not a JSON list of strings.")
        return path
    path = [part for part in text.split("/") if part]
    if not path:
        raise DagsterError("An asset key needs at least one part (a/b/c).")
    return path


def key_text(path: list[str]) -> str:
    return "/".join(path)


@dataclass(frozen=True)
class Materialization:
    """One materialization of an asset, as the history shows it."""

    event_id: int
    run_id: str
    step_key: str | None
    pipeline_name: str | None
    timestamp: float
    partition: str | None
    description: str | None
    metadata: list[dict[str, Any]]  # entries: {"label", "entry_type", "value", "description"}

    @classmethod
    def from_event(cls, e: EventRecord) -> Materialization:
        partition = e.data.get("partition")
        return cls(int(e.storage_id or 0), e.run_id, e.step_key, e.pipeline_name, e.timestamp,
                   None if partition is None else str(partition), e.data.get("description"),
                   list(e.data.get("metadata") or []))

    def numbers(self) -> dict[str, float]:
        """Its numeric metadata (rows, bytes, durations) by label."""
        out = {}
        for entry in self.metadata:
            value = entry.get("value")
            if entry.get("entry_type") in ("int", "float") and isinstance(value, int | float) \
                    and not isinstance(value, bool):
                out[str(entry.get("label"))] = float(value)
        return out


@dataclass(frozen=True)
class Lineage:
    producers: list[tuple[str, str]] = field(default_factory=list)  # (pipeline, solid)
    upstream: list[list[str]] = field(default_factory=list)
    downstream: list[list[str]] = field(default_factory=list)


@dataclass(frozen=True)
class AssetDetail:
    summary: AssetSummary
    history: list[Materialization]  # newest first
    lineage: Lineage

    @property
    def key(self) -> list[str]:
        return self.summary.asset_key

    def series(self) -> dict[str, list[float]]:
        """Each numeric metadata label's values, oldest first (for a plot)."""
        out: dict[str, list[float]] = {}
        for m in reversed(self.history):
            for label, value in m.numbers().items():
                out.setdefault(label, []).append(value)
        return out


def list_assets(instance: Instance, prefix: list[str] | None = None) -> list[AssetSummary]:
    return instance.storage.get_asset_summaries(prefix or [])


def find_asset(instance: Instance, path: list[str]) -> AssetSummary:
    """The asset's summary, or :class:`AssetNotFound` naming the close ones."""
    summaries = instance.storage.get_asset_summaries(path)
    for s in summaries:
        if s.asset_key == path:
            return s
    known = [key_text(s.asset_key) for s in instance.storage.get_asset_summaries()]
    close = difflib.get_close_matches(key_text(path), known, n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else \
        (f" Assets: {', '.join(known[:10])}{' …' if len(known) > 10 else ''}." if known
         else " The instance has no assets yet.")
    raise AssetNotFound(f"No asset {key_text(path)} in the instance.{hint}")


def asset_detail(instance: Instance, path: list[str], limit: int = HISTORY_LIMIT) -> AssetDetail:
    summary = find_asset(instance, path)
    history = [Materialization.from_event(e)
               for e in instance.storage.get_asset_materializations(path, limit=limit)]
    return AssetDetail(summary, history, lineage(instance, path, history))


LINEAGE_RUNS = 5  # how many of the latest runs lineage is read from


def lineage(instance: Instance, path: list[str], history: list[Materialization]) -> Lineage:
    """Producers from every materialization shown; neighbours from the plans of the latest
    few runs that materialized it (a re-execution of its solid alone materializes no
    neighbour, so one run is not enough)."""
    producers = sorted({(m.pipeline_name or "?", (m.step_key or "?").split("[")[0])
                        for m in history})
    upstream: list[list[str]] = []
    downstream: list[list[str]] = []
    seen_runs: list[str] = []
    for m in history:
        if m.run_id in seen_runs or m.step_key is None:
            continue
        seen_runs.append(m.run_id)
        if len(seen_runs) > LINEAGE_RUNS:
            break
        up, down = _neighbours(instance, m.run_id, m.step_key, path)
        upstream += [k for k in up if k not in upstream]
        downstream += [k for k in down if k not in downstream]
    return Lineage(producers, sorted(upstream), sorted(downstream))


def _neighbours(instance: Instance, run_id: str, step_key: str, path: list[str]
                ) -> tuple[list[list[str]], list[list[str]]]:
    run = instance.get_run(run_id)
    plan = instance.get_run_snapshot(run.execution_plan_snapshot_id) \
        if run is not None and run.execution_plan_snapshot_id else None
    if plan is None:
        return [], []
    upstream_of = {s["key"]: [u for i in s.get("inputs") or [] for u in i.get("upstream") or []]
                   for s in plan["steps"]}
    downstream_of: dict[str, list[str]] = {}
    for key, ups in upstream_of.items():
        for u in ups:
            downstream_of.setdefault(u, []).append(key)
    produced = instance.storage.get_run_assets(run_id)
    return (_nearest_assets(step_key, upstream_of, produced, [path]),
            _nearest_assets(step_key, downstream_of, produced, [path]))


def _nearest_assets(start: str, edges: dict[str, list[str]],
                    produced: dict[str, list[list[str]]], own: list[list[str]]
                    ) -> list[list[str]]:
    """Walk ``edges`` from ``start``; stop at each step that materialized an asset."""
    found: list[list[str]] = []
    seen = {start}
    frontier = list(edges.get(start, []))
    while frontier:
        step = frontier.pop()
        if step in seen:
            continue
        seen.add(step)
        assets = [a for a in produced.get(step, []) if a not in own]
        if assets:
            found += [a for a in assets if a not in found]
        else:
            frontier += edges.get(step, [])
    return sorted(found)


def wipe_assets(instance: Instance, paths: list[list[str]]) -> dict[str, int]:
    """Forget each asset (key and index); the events stay in their runs' logs."""
    for path in paths:
        find_asset(instance, path)  # every key must exist before any is wiped
    return {key_text(p): instance.storage.wipe_asset(p) for p in paths}
