"""``orch.seven``: the legacy ``dagster.seven`` helpers that pipeline files and test suites
import (``seven.json``, ``get_system_temp_directory``, ``IS_WINDOWS``, process and import
helpers), with Dagster 0.15.10's names and behaviour."""

from __future__ import annotations

import importlib.util
import inspect
import multiprocessing
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

from . import json
from .json import JSONDecodeError, dump, dumps

__all__ = [
    "IS_WINDOWS", "JSONDecodeError", "builtin_print", "dump", "dumps", "funcsigs",
    "get_arg_names", "get_current_datetime_in_utc", "get_import_error_message",
    "get_system_temp_directory", "get_timestamp_from_utc_datetime", "import_module_from_path",
    "is_ascii", "is_function_or_decorator_instance_of", "is_lambda", "is_module_available",
    "is_subclass", "json", "kill_process", "nullcontext", "qualname_differs", "time_fn",
    "wait_for_process", "xplat_shlex_split",
]

IS_WINDOWS = os.name == "nt"
funcsigs = inspect
time_fn = time.perf_counter


def get_system_temp_directory() -> str:
    """``/tmp`` on Unix (a directory that outlives the process), the user's temp dir on
    Windows."""
    return tempfile.gettempdir() if sys.platform == "win32" else "/tmp"


def import_module_from_path(module_name: str, path_to_file: str) -> ModuleType:
    """Import the file as ``module_name`` (reusing the module already imported from it)."""
    spec = importlib.util.spec_from_file_location(module_name, path_to_file)
    if spec is None or spec.loader is None:
        raise Exception(
            f"Can not import module {module_name} from path {path_to_file}, unable to load spec."
        )
    loaded = sys.modules.get(spec.name)
    if loaded is not None and spec.origin and \
            getattr(loaded, "__file__", None) == os.path.abspath(spec.origin):
        return loaded
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def is_ascii(text: str) -> bool:
    return text.isascii()


def get_arg_names(callable_: Callable[..., Any]) -> list[str]:
    """The names of the positional-or-keyword parameters."""
    return [p.name for p in inspect.signature(callable_).parameters.values()
            if p.kind == inspect.Parameter.POSITIONAL_OR_KEYWORD]


def wait_for_process(process: subprocess.Popen, timeout: float | None = 30) -> None:
    """Wait for the subprocess to finish (``communicate``, which cannot deadlock on full
    pipes); ``subprocess.TimeoutExpired`` after ``timeout`` seconds (none when falsy)."""
    process.communicate(timeout=timeout or None)


def kill_process(process: multiprocessing.Process) -> None:
    if not isinstance(process, multiprocessing.Process):
        raise Exception("invalid process argument passed to kill_process")
    process.kill()


def is_module_available(module_name: str) -> bool:
    return importlib.util.find_spec(module_name) is not None


def builtin_print() -> str:
    """The target to patch to capture ``print`` (``mock.patch(seven.builtin_print())``)."""
    return "builtins.print"


def get_current_datetime_in_utc() -> datetime:
    return datetime.now(UTC)


def get_timestamp_from_utc_datetime(utc_datetime: datetime) -> float:
    """The UNIX timestamp of a datetime whose tzinfo is ``timezone.utc`` (or of a pendulum
    datetime); any other datetime is an error."""
    if not type(utc_datetime).__module__.startswith("pendulum") and \
            utc_datetime.tzinfo != UTC:
        raise Exception("Must pass in a UTC timezone to compute UNIX timestamp")
    return utc_datetime.timestamp()


def is_lambda(target: Any) -> bool:
    return callable(target) and getattr(target, "__name__", None) == "<lambda>"


def is_function_or_decorator_instance_of(target: Any, kls: type) -> bool:
    return inspect.isfunction(target) or (isinstance(target, kls) and hasattr(target, "__name__"))


def qualname_differs(target: Any) -> bool:
    return hasattr(target, "__qualname__") and target.__qualname__ != target.__name__


def xplat_shlex_split(s: str) -> list[str]:
    return shlex.split(s, posix=not IS_WINDOWS)


def get_import_error_message(import_error: ImportError) -> str | None:
    return import_error.msg


@contextmanager
def nullcontext() -> Iterator[None]:
    yield


def is_subclass(child_type: Any, parent_type: Any) -> bool:
    """``issubclass`` that is False (not an error) for non-classes such as ``list[str]``."""
    if not inspect.isclass(child_type):
        return False
    try:
        return issubclass(child_type, parent_type)
    except TypeError:
        return False
