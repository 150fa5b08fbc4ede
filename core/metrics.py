"""Run metrics out of the box: an optional instance-level reporter, chosen in orch.yaml::

    metrics:
      name: dogstatsd              # registered under the `orch.metrics_reporters` entry points
      config: {host: 127.0.0.1, port: 8125, prefix: orch, tags: [team:data]}

Core only defines what a reporter is told and when; the reporters live in integrations (the
DogStatsD one in ``orch.integrations.datadog.reporter``). It is told

* each step outcome and each run outcome, as the run's single event writer (the run worker, or
  the process calling ``execute_pipeline`` on a persistent instance) writes them:
  :meth:`RunMetricsReporter.handle_event` gets the STEP_SUCCESS / STEP_FAILURE / STEP_SKIPPED /
  STEP_UP_FOR_RETRY and PIPELINE_* events;
* the queue's depth (runs QUEUED) when a run is queued and after each dequeue pass:
  :meth:`RunMetricsReporter.queue_depth`.

A reporter never fails a run: its errors are logged and dropped (see :func:`safely`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

from .events import EventRecord

_log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "orch.metrics_reporters"


class RunMetricsReporter:
    """Base class of the reporters named in orch.yaml ``metrics``."""

    @classmethod
    def from_config(cls, config: dict[str, Any], root: Path) -> Self:
        return cls(**config)

    def handle_event(self, event: EventRecord) -> None:
        """A step or run outcome (or another run event) was written."""

    def queue_depth(self, depth: int) -> None:
        """``depth`` runs wait in the queue."""

    def close(self) -> None:
        """Release what the reporter holds (a socket)."""


def safely(fn: Callable[..., None], *args: Any) -> None:
    """Call a reporter method; log and drop its errors: metrics never fail a run."""
    try:
        fn(*args)
    except Exception as e:  # a full socket buffer, a bad host name, a reporter bug
        _log.warning("the metrics reporter failed (%s: %s); dropped", type(e).__name__, e)
