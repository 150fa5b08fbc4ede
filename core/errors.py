"""orch's error hierarchy (legacy Dagster names kept)."""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Mapping
from typing import Any


class DagsterError(Exception):
    """Base class for every error orch raises on purpose."""


class DagsterInvalidDefinitionError(DagsterError):
    """A solid, pipeline, type or other definition is malformed."""


class DagsterInvariantViolationError(DagsterError):
    """An API was used in a way its contract forbids."""


class DagsterInvalidSubsetError(DagsterError):
    """A solid or step selection selects nothing, or names something that does not exist."""


class DagsterExecutionStepNotFoundError(DagsterError):
    """A step selection names a step the execution plan does not contain."""


class DagsterInvalidMetadata(DagsterError):
    """A metadata value or entry that is not one of the supported kinds."""


class DagsterInvalidInvocationError(DagsterError):
    """A solid was invoked directly with arguments that do not fit its definition."""


class DagsterUnknownResourceError(DagsterError, AttributeError):
    """A solid used a resource it did not declare in required_resource_keys."""

    def __init__(self, resource_name: str, available: list[str] | None = None):
        self.resource_name = resource_name
        hint = (
            f" Declared resources: {sorted(available)}." if available is not None else ""
        )
        super().__init__(
            f"Unknown resource `{resource_name}`. Specify `{resource_name}` as a required "
            f"resource on the compute / config function that accessed it.{hint}"
        )


class DagsterTypeCheckDidNotPass(DagsterError):
    """A value failed the type check of an input or output."""

    def __init__(self, description: str, metadata_entries: list | None = None, dagster_type=None):
        super().__init__(description)
        self.description = description
        self.metadata_entries = metadata_entries or []
        self.dagster_type = dagster_type


class DagsterStepOutputNotFoundError(DagsterError):
    """A step finished without producing a required output."""

    def __init__(self, message: str, step_key: str, output_name: str):
        super().__init__(message)
        self.step_key = step_key
        self.output_name = output_name


class DagsterExecutionInterruptedError(BaseException):
    """The run was interrupted (SIGINT/SIGTERM or a cancel request).

    A BaseException, like KeyboardInterrupt, so ``except Exception`` in user code and in the
    step runner does not swallow it."""


class DagsterRunNotFoundError(DagsterError):
    """No run with the given id exists in the instance."""


class DagsterUserCodeExecutionError(DagsterError):
    """User code raised; the original exception is ``user_exception``."""

    def __init__(self, message: str, user_exception: BaseException):
        super().__init__(message)
        self.user_exception = user_exception


class DagsterExecutionStepExecutionError(DagsterUserCodeExecutionError):
    """User code in a step's compute function raised."""


class DagsterConfigMappingFunctionError(DagsterUserCodeExecutionError):
    """A composite solid's config_fn raised while mapping its config to its children's."""


class DagsterTypeLoadingError(DagsterUserCodeExecutionError):
    """A type's loader raised while turning input config into a value."""


class DagsterTypeCheckError(DagsterUserCodeExecutionError):
    """A type's check function itself raised (it did not return a verdict)."""


class DagsterUnmetExecutorRequirementsError(DagsterError):
    """The chosen executor cannot run this pipeline as given (not reconstructable, in-memory
    outputs, ephemeral instance)."""


class DagsterResourceFunctionError(DagsterUserCodeExecutionError):
    """A resource's initialisation function raised."""


class DagsterMissingInputError(DagsterInvariantViolationError):
    """A solid input has no dependency, config value, default or root input manager."""


# -- errors as data, and as the user's traceback -----------------------------------------------
# An error payload (``serializable_error_info``) is what STEP_FAILURE, STEP_UP_FOR_RETRY,
# PIPELINE_FAILURE and friends carry in ``data["error"]``; ``format_error`` renders one for
# every view (``orch run``, ``orch runs show``/``logs``, the app), so they read alike.
USER, LIBRARY, ORCH = "user", "library", "orch"
_MAX_CHAIN = 5
_STACK_FRAME = re.compile(r'\s*File "([^"]+)", line (\d+), in ([^\n]+)\n?(?:\s*([^\n]*))?')


@functools.lru_cache(maxsize=1)
def _orch_roots() -> tuple[str, ...]:
    """The folders of orch's own packages (core/, executors/, orch/, ...: the checkout maps
    each into ``orch.*`` separately)."""
    import importlib.util

    core_dir = os.path.dirname(os.path.abspath(__file__))
    roots = {core_dir}
    for name in ("orch", "orch.executors", "orch.integrations", "orch.tui"):
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        for location in (spec.submodule_search_locations or []) if spec else []:
            roots.add(os.path.abspath(location))
    return tuple(sorted(root + os.sep for root in roots))


@functools.lru_cache(maxsize=1)
def _library_roots() -> tuple[str, ...]:
    import sysconfig

    paths = {sysconfig.get_path(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix}:
        paths.add(os.path.join(prefix, "lib"))
    return tuple(sorted(os.path.abspath(p) + os.sep for p in paths if p))


def frame_kind(filename: str) -> str:
    """``orch`` (orch's own code), ``library`` (the standard library, installed packages,
    frozen modules) or ``user``."""
    if filename.startswith(_orch_roots()):
        return ORCH
    if not os.path.isabs(filename) or filename.startswith(_library_roots()) \
            or f"{os.sep}site-packages{os.sep}" in filename:  # <frozen ...>, Cython sources
        return LIBRARY
    return USER


def missing_mode_message(pipeline_name: str, modes: list[str], presets: list[str]) -> str:
    """What a command says when a pipeline with several modes is run or inspected without
    one (the legacy API keeps Dagster's own wording for ``execute_pipeline``)."""
    hint = f", or a preset: {', '.join(f'--preset {p}' for p in presets)}" if presets else ""
    return (f'Pipeline "{pipeline_name}" has several modes ({", ".join(modes)}): choose one '
            f"with --mode, e.g. --mode {modes[0]}{hint}.")


def serializable_error_info(exc: BaseException) -> dict:
    """An exception as JSON-friendly data: class, message, the frames (each marked user /
    library / orch), ``location`` (the innermost user frame, ``file:line``), its chained
    causes, and ``stack`` (the traceback lines, as before)."""
    return _error_info(exc, set(), 0)


def _error_info(exc: BaseException, seen: set[int], depth: int) -> dict:
    import traceback

    seen.add(id(exc))
    summary = traceback.extract_tb(exc.__traceback__)
    frames = [{"file": f.filename, "line": f.lineno, "name": f.name, "code": f.line or "",
               "kind": frame_kind(f.filename)} for f in summary]
    if isinstance(exc, SyntaxError) and exc.filename and exc.lineno:
        frames.append({"file": exc.filename, "line": exc.lineno, "name": "<module>",
                       "code": (exc.text or "").strip(), "kind": frame_kind(exc.filename)})
    info: dict = {
        "cls_name": type(exc).__name__,
        "message": f"{type(exc).__name__}: {exc}",
        "stack": traceback.format_list(summary),
        "frames": frames,
        "location": _location(frames),
    }
    cause, link = (exc.__cause__, "cause") if exc.__cause__ is not None else \
        (None if exc.__suppress_context__ else exc.__context__, "context")
    if cause is not None and id(cause) not in seen and depth < _MAX_CHAIN:
        info["cause"] = {**_error_info(cause, seen, depth + 1), "link": link}
    return info


def _location(frames: list[dict]) -> str | None:
    user = [f for f in frames if f["kind"] == USER]
    return f"{user[-1]['file']}:{user[-1]['line']}" if user else None


def error_frames(error: Mapping[str, Any]) -> list[dict]:
    """The frames of a payload; payloads stored before frames were recorded have only
    ``stack`` lines, which are parsed."""
    if error.get("frames") is not None:
        return list(error["frames"])
    frames = []
    for text in error.get("stack") or []:
        match = _STACK_FRAME.match(text)
        if match:
            file, line, name, code = match.groups()
            frames.append({"file": file, "line": int(line), "name": name.strip(),
                           "code": (code or "").strip(), "kind": frame_kind(file)})
    return frames


def error_location(error: Mapping[str, Any] | None) -> str | None:
    """``file:line`` of the innermost frame in user code, or None."""
    if not error:
        return None
    return error.get("location") or _location(error_frames(error))


def format_error(error: Mapping[str, Any] | None, *, verbose: bool = False,
                 user_frames: int = 3) -> str:
    """An error payload as the user's traceback: the message, then the frames (outermost
    first, like Python), orch's own frames collapsed to a count, then each chained cause.

    By default only the last ``user_frames`` frames of user code are shown (or, with none,
    the library frame that raised); ``verbose`` shows every user and library frame.
    """
    if not error:
        return ""
    blocks: list[str] = []
    current: Mapping[str, Any] | None = error
    for depth in range(_MAX_CHAIN + 1):
        if current is None:
            break
        if depth:
            blocks.append("Caused by:" if current.get("link", "cause") == "cause"
                          else "Raised while handling:")
        blocks.append(str(current.get("message") or current.get("cls_name") or "error"))
        blocks.extend(_frame_lines(error_frames(current), verbose, user_frames))
        current = current.get("cause")
    return "\n".join(blocks)


def _frame_lines(frames: list[dict], verbose: bool, user_frames: int) -> list[str]:
    shown = _shown_frames(frames, verbose, user_frames)
    lines: list[str] = []
    hidden: list[dict] = []

    def note() -> None:
        # orch's frames that call into user code (the step runner) go without a word
        if hidden and (lines or any(f["kind"] != ORCH for f in hidden)):
            lines.append(f"  ... {len(hidden)} frame{'s' if len(hidden) != 1 else ''} hidden")
        hidden.clear()

    for i, frame in enumerate(frames):
        if i not in shown:
            hidden.append(frame)
            continue
        note()
        lines.append(f'  File "{frame["file"]}", line {frame["line"]}, in {frame["name"]}')
        if frame.get("code"):
            lines.append(f"    {frame['code']}")
    if lines:
        note()
    return lines


def _shown_frames(frames: list[dict], verbose: bool, user_frames: int) -> set[int]:
    """Indexes of the frames to show. orch's frames never (unless the error has no other
    frame: then its innermost, where orch raised it)."""
    outside = [i for i, f in enumerate(frames) if f["kind"] != ORCH]
    if not outside:
        return {len(frames) - 1} if frames and verbose else set()
    if verbose:
        return set(outside)
    shown = {i for i in outside if frames[i]["kind"] == USER}
    shown = set(sorted(shown)[-user_frames:]) if user_frames > 0 else set()
    if not shown and frames[-1]["kind"] == LIBRARY:
        shown.add(len(frames) - 1)
    return shown
