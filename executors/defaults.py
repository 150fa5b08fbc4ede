"""The executors every mode offers by default (legacy ``default_executors``), for
``ModeDefinition(executor_defs=default_executors + [my_executor])``."""

from __future__ import annotations

from .in_process import in_process_executor
from .multiprocess import multiprocess_executor

default_executors = [in_process_executor, multiprocess_executor]

__all__ = ["default_executors", "in_process_executor", "multiprocess_executor"]
