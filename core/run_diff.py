"""Two runs of a pipeline side by side: what ``orch runs diff A B`` prints and the app's ``d``
shows.

- **Config**: a unified diff of the two run configs as YAML.
- **Steps**: each step's status and duration in both runs; a step is *slower* or *faster* when
  its duration changed by more than :data:`SLOWER` (and by at least :data:`MIN_SECONDS`, so
  millisecond noise is not a finding).
- **Metadata**: numeric and text metadata of each step's outputs and materializations that
  differ (rows 1,000 → 1,200).
- **Code**: the solids whose code hash differs between the two runs' pipeline snapshots (the
  hashes the dev loop computes).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .events import EventType
from .runs import StepStatus

if TYPE_CHECKING:
    from .instance import Instance
    from .runs import PipelineRun

SLOWER = 0.25  # a quarter longer or shorter
MIN_SECONDS = 0.05
METADATA_EVENTS = (EventType.ASSET_MATERIALIZATION, EventType.HANDLED_OUTPUT,
                   EventType.STEP_OUTPUT)


@dataclass(frozen=True)
class StepComparison:
    step_key: str
    status_a: StepStatus | None  # None: not in that run
    status_b: StepStatus | None
    seconds_a: float | None
    seconds_b: float | None

    @property
    def change(self) -> str:
        """``slower``, ``faster``, ``status`` (it ended differently), ``only in A/B`` or ``""``."""
        if self.status_a is None:
            return "only in B"
        if self.status_b is None:
            return "only in A"
        if self.status_a is not self.status_b:
            return "reused in A" if self.status_a is StepStatus.REUSED else \
                "reused in B" if self.status_b is StepStatus.REUSED else "status"
        a, b = self.seconds_a, self.seconds_b
        if a is None or b is None or abs(b - a) < MIN_SECONDS:
            return ""
        if b > a * (1 + SLOWER):
            return "slower"
        if b < a * (1 - SLOWER):
            return "faster"
        return ""


@dataclass(frozen=True)
class MetadataChange:
    step_key: str
    label: str  # "<output or asset> / <entry label>"
    value_a: Any
    value_b: Any


@dataclass(frozen=True)
class RunDiff:
    run_a: PipelineRun
    run_b: PipelineRun
    config_diff: list[str]
    steps: list[StepComparison]
    metadata: list[MetadataChange] = field(default_factory=list)
    changed_solids: list[str] = field(default_factory=list)

    @property
    def same_config(self) -> bool:
        return not self.config_diff


def diff_runs(instance: Instance, run_a: PipelineRun, run_b: PipelineRun) -> RunDiff:
    return RunDiff(run_a, run_b, _config_diff(run_a, run_b), _steps(instance, run_a, run_b),
                   _metadata(instance, run_a, run_b), _changed_solids(instance, run_a, run_b))


def _config_diff(run_a: PipelineRun, run_b: PipelineRun) -> list[str]:
    import yaml

    def text(run: PipelineRun) -> list[str]:
        dumped = yaml.safe_dump(run.run_config or {}, sort_keys=True, default_flow_style=False)
        return dumped.splitlines()

    return list(difflib.unified_diff(text(run_a), text(run_b), f"run {run_a.run_id[:8]}",
                                     f"run {run_b.run_id[:8]}", lineterm="", n=2))


def _steps(instance: Instance, run_a: PipelineRun, run_b: PipelineRun) -> list[StepComparison]:
    a = {s.step_key: s for s in instance.get_step_stats(run_a.run_id)}
    b = {s.step_key: s for s in instance.get_step_stats(run_b.run_id)}
    order = list(a) + [k for k in b if k not in a]

    def status(run: PipelineRun, stats: dict[str, Any], key: str) -> StepStatus | None:
        if key in stats:
            return stats[key].status
        # A re-execution loaded the outputs of the steps it did not run from its parent.
        return StepStatus.REUSED if run.step_keys_to_execute is not None \
            and run.parent_run_id else None

    return [StepComparison(k, status(run_a, a, k), status(run_b, b, k),
                           a[k].duration if k in a else None, b[k].duration if k in b else None)
            for k in order]


def _entries(instance: Instance, run: PipelineRun) -> dict[tuple[str, str], Any]:
    """(step, "<output or asset> / <label>") → value, for the run's metadata entries."""
    out: dict[tuple[str, str], Any] = {}
    for e in instance.get_logs_for_run(run.run_id, of_type=METADATA_EVENTS):
        data = e.data or {}
        if e.event_type is EventType.ASSET_MATERIALIZATION:
            owner = "/".join(data.get("asset_key") or []) or "asset"
        else:
            owner = str(data.get("output_name") or "result")
        for entry in data.get("metadata") or data.get("metadata_entries") or []:
            if isinstance(entry, dict) and "label" in entry:
                out[(e.step_key or "", f"{owner} / {entry['label']}")] = entry.get("value")
    return out


def _metadata(instance: Instance, run_a: PipelineRun, run_b: PipelineRun
              ) -> list[MetadataChange]:
    a, b = _entries(instance, run_a), _entries(instance, run_b)
    keys = list(a) + [k for k in b if k not in a]
    return [MetadataChange(step, label, a.get((step, label)), b.get((step, label)))
            for step, label in keys if a.get((step, label)) != b.get((step, label))]


def _changed_solids(instance: Instance, run_a: PipelineRun, run_b: PipelineRun) -> list[str]:
    def hashes(run: PipelineRun) -> dict[str, str]:
        snapshot = instance.get_run_snapshot(run.pipeline_snapshot_id) \
            if run.pipeline_snapshot_id else None
        return dict((snapshot or {}).get("code_hashes") or {})

    a, b = hashes(run_a), hashes(run_b)
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
