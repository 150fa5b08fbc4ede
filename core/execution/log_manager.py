"""``context.log``: user log calls become structured events of the run."""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..events import EventRecord
from ..storage.compute_logs import capture_offsets


class LogManager:
    """Turns ``log.info(...)`` into EventRecords (event_type None) handed to ``emit``.

    ``emit`` is the step's (or run's) event buffer; the engine drains it in order with the
    step's structured events, so a log line appears where it was written.
    """

    def __init__(self, run_id: str, pipeline_name: str, emit: Callable[[EventRecord], None],
                 step_key: str | None = None):
        self.run_id = run_id
        self.pipeline_name = pipeline_name
        self.step_key = step_key
        self._emit = emit

    def with_step(self, step_key: str | None) -> LogManager:
        return LogManager(self.run_id, self.pipeline_name, self._emit, step_key)

    def log(self, level: int | str, msg: str, *args: object) -> None:
        if isinstance(level, str):
            level = logging.getLevelName(level.upper())
        message = str(msg) % args if args else str(msg)
        data = {}
        if self.step_key is not None:
            offsets = capture_offsets(self.run_id, self.step_key)
            if offsets is not None:  # where the line falls in the step's captured output
                data["log_offsets"] = offsets
        self._emit(EventRecord(self.run_id, self.pipeline_name, None, message,
                               self.step_key, int(level), data=data))

    def debug(self, msg: str, *args: object, **_: object) -> None:
        self.log(logging.DEBUG, msg, *args)

    def info(self, msg: str, *args: object, **_: object) -> None:
        self.log(logging.INFO, msg, *args)

    def warning(self, msg: str, *args: object, **_: object) -> None:
        self.log(logging.WARNING, msg, *args)

    warn = warning

    def error(self, msg: str, *args: object, **_: object) -> None:
        self.log(logging.ERROR, msg, *args)

    def critical(self, msg: str, *args: object, **_: object) -> None:
        self.log(logging.CRITICAL, msg, *args)

    def exception(self, msg: str, *args: object, **_: object) -> None:
        self.log(logging.ERROR, msg, *args)
