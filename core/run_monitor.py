"""Run monitoring: a run that can no longer finish on its own is ended, with an event that
says why, instead of staying STARTING or STARTED for ever (LEGACY_ORCHESTRATION.md §4.3).

One pass (:func:`monitor_runs`) looks at the instance's in-progress runs:

- A run **STARTING** for longer than ``start_timeout_seconds`` (since the event that made it
  STARTING) never got a worker to start it: a launcher that died between launch and start, a
  worker stuck importing user code. Its worker, if it has one, is terminated through the run
  launcher, and the run fails: "took longer than 180 seconds to start".
- A run whose **worker is gone** (the recorded process exited, or its pid now belongs to
  another process) fails, its open steps closed, exactly as crash recovery does; that is the
  same function, so a pass and a command that opens the instance never both fail a run.
- With ``max_resume_run_attempts`` > 0, a run whose worker died is **resumed from failure**:
  a child run (``orch/parent_run_id``, ``orch/is_resume_retry``) re-executes the steps that
  did not succeed, loading the others' outputs, until that many resumes of the same root run
  were made; the process that failed the run (one commit decides which) resumes it, so a
  command that noticed first resumes it as a pass would. Dagster resumes in the same run, and
  only with container launchers; orch's
  resume is a re-execution, so it works with every launcher and keeps each attempt's events.
  The resumed run's worker chooses its steps when it has loaded the code (the monitor never
  imports user code).
- CANCELING runs are left to their worker (a gone worker is crash recovery's).

Dagster's monitoring is off by default and refuses the default launcher; orch's is on (a pass
reads one indexed query and one ``/proc`` file per run) and every launcher's
``check_health`` answers it. Passes run inside long-lived orch processes (``orch dev``,
``orch queue run``) every ``poll_interval_seconds``; ``orch runs monitor`` runs one.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from .events import EventRecord, EventType
from .runs import (
    IS_RESUME_RETRY_TAG,
    LEGACY_SYSTEM_TAG_PREFIX,
    PARENT_RUN_ID_TAG,
    RESUME_ATTEMPT_TAG,
    RESUME_FROM_FAILURE_TAG,
    ROOT_RUN_ID_TAG,
    SYSTEM_TAG_PREFIX,
    PipelineRun,
    PipelineRunStatus,
)

if TYPE_CHECKING:
    from .instance import Instance

_STARTING_EVENTS = (EventType.PIPELINE_STARTING, EventType.PIPELINE_DEQUEUED)


class RunMonitoringConfigError(ValueError):
    """orch.yaml ``run_monitoring`` is not valid."""


@dataclass(frozen=True)
class RunMonitoringConfig:
    """orch.yaml ``run_monitoring:`` (every key optional)."""

    enabled: bool = True
    start_timeout_seconds: float = 180.0
    poll_interval_seconds: float = 30.0
    max_resume_run_attempts: int = 0

    @classmethod
    def from_instance_config(cls, config: dict[str, Any]) -> RunMonitoringConfig:
        section = config.get("run_monitoring")
        if section is None:
            return cls()
        if not isinstance(section, dict):
            raise RunMonitoringConfigError("orch.yaml: `run_monitoring` must be a mapping")
        known = {f.name: f.type for f in fields(cls)}
        unknown = sorted(set(section) - set(known))
        if unknown:
            raise RunMonitoringConfigError(
                f"orch.yaml: run_monitoring: unknown key {unknown[0]!r}; valid keys: "
                + ", ".join(sorted(known)))
        values: dict[str, Any] = {}
        for key, value in section.items():
            default = getattr(cls, key)
            ok = isinstance(value, bool) if isinstance(default, bool) else (
                isinstance(value, int | float) and not isinstance(value, bool) and value >= 0)
            if not ok:
                want = "true or false" if isinstance(default, bool) else "a number ≥ 0"
                raise RunMonitoringConfigError(
                    f"orch.yaml: run_monitoring: {key}: expected {want}, got {value!r}")
            values[key] = value
        if "max_resume_run_attempts" in values:
            values["max_resume_run_attempts"] = int(values["max_resume_run_attempts"])
        return cls(**values)


@dataclass
class MonitorPass:
    """What one pass did: runs failed for a start timeout, for a gone worker, and the
    resumed runs created (``{failed run id: resumed run id}``)."""

    timed_out: list[str] = field(default_factory=list)
    worker_gone: list[str] = field(default_factory=list)
    resumed: dict[str, str] = field(default_factory=dict)

    @property
    def acted(self) -> bool:
        return bool(self.timed_out or self.worker_gone or self.resumed)


def monitor_runs(instance: Instance, config: RunMonitoringConfig | None = None,
                 now: float | None = None) -> MonitorPass:
    """One monitoring pass over the instance's in-progress runs (see the module docstring)."""
    config = config or instance.run_monitoring
    done = MonitorPass()
    if not config.enabled:
        return done
    # Opening the instance already recovered some: they are this pass's to report.
    done.worker_gone = instance.recovered_on_open + instance.recover_crashed_runs()
    instance.recovered_on_open = []
    now = time.time() if now is None else now
    for run in instance.get_runs(statuses=[PipelineRunStatus.STARTING]):
        since = _starting_since(instance, run)
        if since is not None and now - since >= config.start_timeout_seconds:
            if _fail_start_timeout(instance, run, config.start_timeout_seconds, since):
                done.timed_out.append(run.run_id)
    for run_id in done.worker_gone:  # recovery resumed those it may resume
        children = instance.get_runs(parent_run_id=run_id, tags={RESUME_FROM_FAILURE_TAG: "true"},
                                     limit=1)
        if children:
            done.resumed[run_id] = children[0].run_id
    return done


def _starting_since(instance: Instance, run: PipelineRun) -> float | None:
    events = instance.get_logs_for_run(run.run_id, of_type=_STARTING_EVENTS)
    return events[-1].timestamp if events else None


def _fail_start_timeout(instance: Instance, run: PipelineRun, timeout: float,
                        since: float) -> bool:
    """Fail a run still STARTING (compare-and-set: a worker that starts it meanwhile wins),
    then stop whatever worker it has so it cannot start it later."""
    waited = time.strftime("%H:%M:%S", time.localtime(since))
    reason = (f"Run {run.run_id} took longer than {timeout:g} seconds to start (STARTING "
              f"since {waited}); marking it failed.")
    data = {"reason": "start_timeout", "start_timeout_seconds": timeout}
    events = [
        EventRecord(run.run_id, run.pipeline_name, EventType.ENGINE_EVENT, reason,
                    level=logging.ERROR, pid=os.getpid(), data=data),
        EventRecord(run.run_id, run.pipeline_name, EventType.PIPELINE_FAILURE,
                    f"Run failed: {reason}", level=logging.ERROR, pid=os.getpid(),
                    data={**data, "error": {"cls_name": "RunStartTimeout", "message": reason,
                                            "stack": []}}),
    ]
    if not instance.storage.store_events_if_status(run.run_id, [PipelineRunStatus.STARTING],
                                                   events):
        return False
    if run.worker_pid and run.worker_pid != os.getpid():
        try:
            os.kill(run.worker_pid, 15)
        except (ProcessLookupError, PermissionError):
            pass
    return True


def resume_run(instance: Instance, run_id: str, max_attempts: int) -> PipelineRun | None:
    """Submit a child run that re-executes ``run_id`` from failure, unless its root run has
    been resumed ``max_attempts`` times already; returns the submitted run."""
    failed = instance.get_run(run_id)
    if failed is None or failed.status is not PipelineRunStatus.FAILURE:
        return None
    attempt = int(failed.tags.get(RESUME_ATTEMPT_TAG, "0")) + 1
    if attempt > max_attempts:
        return None
    root = failed.root_run_id or failed.run_id
    inherited = {k: v for k, v in failed.tags.items()
                 if not k.startswith((SYSTEM_TAG_PREFIX, LEGACY_SYSTEM_TAG_PREFIX))}
    child = PipelineRun(
        pipeline_name=failed.pipeline_name, run_config=failed.run_config, mode=failed.mode,
        solid_selection=failed.solid_selection, solids_to_execute=failed.solids_to_execute,
        parent_run_id=failed.run_id, root_run_id=root,
        pipeline_origin=failed.pipeline_origin,
        pipeline_snapshot_id=failed.pipeline_snapshot_id,
        tags={**inherited, PARENT_RUN_ID_TAG: failed.run_id, ROOT_RUN_ID_TAG: root,
              IS_RESUME_RETRY_TAG: "true", RESUME_FROM_FAILURE_TAG: "true",
              RESUME_ATTEMPT_TAG: str(attempt)})
    child = instance.create_run(child)
    instance.handle_new_event(EventRecord(
        failed.run_id, failed.pipeline_name, EventType.ENGINE_EVENT,
        f"Resuming run {failed.run_id} from failure in run {child.run_id} (attempt {attempt} "
        f"of {max_attempts}).", pid=os.getpid(),
        data={"resumed_run_id": child.run_id, "attempt": attempt}))
    return instance.submit_run(child)


def run_monitor(instance: Instance, stop: threading.Event, *,
                interval: float | None = None,
                on_pass: Callable[[MonitorPass], None] | None = None) -> None:
    """Monitoring passes every ``interval`` seconds (orch.yaml ``poll_interval_seconds``)
    until ``stop`` is set; ``on_pass`` hears each pass that acted."""
    config = instance.run_monitoring
    if not config.enabled:
        return
    every = config.poll_interval_seconds if interval is None else interval
    while not stop.is_set():
        done = monitor_runs(instance, config)
        if done.acted and on_pass is not None:
            on_pass(done)
        stop.wait(every)
