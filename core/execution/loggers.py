"""Loggers: where a run's events are printed. The default console logger writes the legacy
one-line format to stderr at or above ``log_level`` (DEBUG)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..events import EventRecord

EventLogger = Callable[[EventRecord], None]


class LoggerDefinition:
    """``@logger``: ``fn(init_context) -> logging.Logger``; the logger receives every event."""

    def __init__(self, logger_fn: Callable[[Any], logging.Logger], config_schema: Any = None,
                 description: str | None = None):
        self.logger_fn = logger_fn
        self.config_schema = config_schema
        self.description = description

    def __call__(self, init_context: Any) -> logging.Logger:
        """Called directly in a test: the logger for ``init_context``'s config, defaults
        filled and checked against the schema."""
        config = getattr(init_context, "logger_config", None)
        if self.config_schema is not None:  # checked as run config's loggers.<name> is
            from ..config import (
                DagsterInvalidConfigError,
                Shape,
                convert_potential_field,
                process_config,
            )

            given = {} if config is None else {"config": config}
            result = process_config(Shape({"config": convert_potential_field(
                self.config_schema)}), given)
            if not result.success:
                raise DagsterInvalidConfigError("Error in config for logger", result.errors,
                                                config)
            config = (result.value or {}).get("config")
        return self.logger_fn(InitLoggerContext(config, self))


def logger(config_schema: Any = None, description: str | None = None):
    def wrap(fn: Callable[[Any], logging.Logger]) -> LoggerDefinition:
        return LoggerDefinition(fn, config_schema, description or fn.__doc__)

    if callable(config_schema) and not isinstance(config_schema, type | dict):
        fn, config_schema = config_schema, None
        return wrap(fn)
    return wrap


def _level(value: Any) -> int:
    if isinstance(value, int):
        return value
    level = logging.getLevelName(str(value).upper())
    return level if isinstance(level, int) else logging.DEBUG


class _ConsoleStream:
    """The process's stderr as it was when the run started.

    Compute-log capture points fd 2 at a step's log file while the step runs; the console
    logger keeps writing to the terminal through its own duplicate of the original fd, so
    structured lines do not leak into the step's captured stderr."""

    def __init__(self) -> None:
        self._fd: int | None = None
        self._file: Any = None

    def write(self, text: str) -> None:
        if self._file is None:
            try:
                sys.stderr.flush()
                self._fd = os.dup(sys.stderr.fileno())
                self._file = os.fdopen(self._fd, "w", buffering=1, encoding="utf-8",
                                       errors="backslashreplace")
            except (AttributeError, OSError, ValueError):  # no real fd (pytest capture...)
                self._file = sys.stderr
        self._file.write(text)

    def close(self) -> None:
        if self._fd is not None and self._file is not None:
            self._file.close()
            self._fd = self._file = None


class ConsoleEventLogger:
    """Writes the one-line console form of each event at or above ``log_level``."""

    def __init__(self, log_level: Any = "DEBUG", stream: Any = None):
        self.threshold = _level(log_level)
        self.out = stream or _ConsoleStream()

    def __call__(self, event: EventRecord) -> None:
        if event.level >= self.threshold:
            self.out.write(event.console_line() + "\n")

    def close(self) -> None:
        close = getattr(self.out, "close", None)
        if isinstance(self.out, _ConsoleStream) and close is not None:
            close()


console_event_logger = ConsoleEventLogger


@dataclass
class InitLoggerContext:
    logger_config: Any
    logger_def: LoggerDefinition | None = None
    run_id: str | None = None


def _python_logger_sink(py_logger: logging.Logger) -> EventLogger:
    def log(event: EventRecord) -> None:
        py_logger.log(event.level, event.console_line(), extra={"orch_event": event.to_dict()})

    return log


def build_event_loggers(run_config: dict[str, Any], logger_defs: dict[str, Any] | None = None,
                        run_id: str | None = None, console: bool = True) -> list[EventLogger]:
    """The run's loggers from ``loggers:`` run config: the console logger by default, and
    any ``@logger`` of the mode that run config names. ``console=False`` leaves the console
    logger out (a run worker whose output nobody reads as events: ``orch run`` shows the
    events from storage and drops their console echo)."""
    configured = run_config.get("loggers") or {"console": {}}
    loggers: list[EventLogger] = []
    for name, body in configured.items():
        config = (body or {}).get("config") or {}
        if logger_defs and name in logger_defs:
            definition = logger_defs[name]
            py_logger = definition.logger_fn(InitLoggerContext(config, definition, run_id))
            loggers.append(_python_logger_sink(py_logger))
        elif name == "console" and console:
            loggers.append(console_event_logger(config.get("log_level", "DEBUG")))
    return loggers


def _console_logger_schema() -> dict[str, Any]:
    from ..config import Field

    return {
        "log_level": Field(str, is_required=False, default_value="INFO",
                           description="The logger's threshold."),
        "name": Field(str, is_required=False, default_value="dagster",
                      description="The name of your logger."),
    }


def _stderr_logger(init_context: InitLoggerContext, formatter: logging.Formatter
                   ) -> logging.Logger:
    config = init_context.logger_config or {}
    level = _level(config.get("log_level", "INFO"))
    py_logger = logging.getLoggerClass()(config.get("name", "dagster"), level=level)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    py_logger.addHandler(handler)
    return py_logger


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        import json

        return json.dumps(record.__dict__, sort_keys=True, default=str)


colored_console_logger = LoggerDefinition(
    lambda init_context: _stderr_logger(init_context, logging.Formatter(
        "%(asctime)s - %(name)s - %(levelname)s - %(message)s", "%Y-%m-%d %H:%M:%S %z")),
    _console_logger_schema(),
    "The default console logger: the run's events on stderr at or above log_level.",
)
json_console_logger = LoggerDefinition(
    lambda init_context: _stderr_logger(init_context, _JsonFormatter()),
    _console_logger_schema(),
    "A JSON-formatted console logger: one JSON object per log record on stderr.",
)


def default_loggers() -> dict[str, LoggerDefinition]:
    """The loggers a mode has when it names none (legacy ``default_loggers()``)."""
    return {"console": colored_console_logger}


def build_init_logger_context(logger_config: Any = None, pipeline_def: Any = None,
                              job_def: Any = None) -> InitLoggerContext:
    """An init context for calling a logger directly in a test:
    ``my_logger(build_init_logger_context({"log_level": "INFO"}))``."""
    return InitLoggerContext(logger_config)
