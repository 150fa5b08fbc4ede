"""The DogStatsD run metrics reporter (orch.yaml ``metrics: {name: dogstatsd, config: ...}``;
see ``orch.core.metrics``). What it sends, each metric name after ``prefix`` (default ``orch``):

=========================  =======  ===========================================================
``step.duration``          timing   ms of each step attempt that ended; tags ``pipeline``,
                                    ``step``, ``outcome`` (success, failure, up_for_retry)
``step.finished``          counter  one per step outcome, same tags (skipped steps included)
``run.finished``           counter  one per run outcome; tags ``pipeline``, ``status``
                                    (success, failure, canceled)
``run.duration``           timing   ms from the run's start to its outcome, same tags (runs
                                    whose start this reporter saw)
``runs.queued``            gauge    runs waiting in the queue (when one is queued and after each
                                    dequeue pass)
=========================  =======  ===========================================================

Config: ``host`` / ``port`` (default ``$DD_AGENT_HOST`` / ``$DD_DOGSTATSD_PORT``, else
localhost:8125), ``prefix``, ``tags`` (added to every metric).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

from orch.core.errors import DagsterError
from orch.core.events import EventRecord, EventType
from orch.core.metrics import RunMetricsReporter

_STEP_OUTCOMES = {EventType.STEP_SUCCESS: "success", EventType.STEP_FAILURE: "failure",
                  EventType.STEP_UP_FOR_RETRY: "up_for_retry", EventType.STEP_SKIPPED: "skipped"}
_RUN_OUTCOMES = {EventType.PIPELINE_SUCCESS: "success", EventType.PIPELINE_FAILURE: "failure",
                 EventType.PIPELINE_CANCELED: "canceled"}


class DogStatsDReporter(RunMetricsReporter):
    def __init__(self, host: str | None = None, port: int | None = None,
                 prefix: str | None = "orch", tags: Sequence[str] | None = None) -> None:
        try:
            from datadog import DogStatsd
        except ImportError:
            raise DagsterError("orch.yaml `metrics: {name: dogstatsd}` needs the datadog "
                               "package: pip install 'orch[datadog]'") from None
        self.statsd = DogStatsd(host=host, port=int(port) if port is not None else None,
                                namespace=prefix or None, constant_tags=list(tags or []) or None,
                                disable_buffering=True, disable_telemetry=True,
                                origin_detection_enabled=False)
        self._started: dict[str, float] = {}  # run id -> PIPELINE_START timestamp

    @classmethod
    def from_config(cls, config: dict[str, Any], root: Path) -> Self:
        unknown = set(config) - {"host", "port", "prefix", "tags"}
        if unknown:
            raise DagsterError(f"unknown keys {sorted(unknown)}; valid: host, port, prefix, "
                               "tags")
        return cls(**config)

    def handle_event(self, event: EventRecord) -> None:
        kind = event.event_type
        if kind is EventType.PIPELINE_START:
            self._started[event.run_id] = event.timestamp
        elif kind in _STEP_OUTCOMES:
            tags = [f"pipeline:{event.pipeline_name}", f"step:{event.step_key}",
                    f"outcome:{_STEP_OUTCOMES[kind]}"]
            duration = (event.data or {}).get("duration_ms")
            if duration is not None:
                self.statsd.timing("step.duration", duration, tags=tags)
            self.statsd.increment("step.finished", tags=tags)
        elif kind in _RUN_OUTCOMES:
            tags = [f"pipeline:{event.pipeline_name}", f"status:{_RUN_OUTCOMES[kind]}"]
            self.statsd.increment("run.finished", tags=tags)
            started = self._started.pop(event.run_id, None)
            if started is not None:
                self.statsd.timing("run.duration", (event.timestamp - started) * 1000,
                                   tags=tags)

    def queue_depth(self, depth: int) -> None:
        self.statsd.gauge("runs.queued", depth)

    def close(self) -> None:
        self.statsd.close_socket()
