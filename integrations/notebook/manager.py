"""The kernel's side of a notebook solid (legacy ``dagstermill.manager``): ``get_context``,
``yield_result`` and ``yield_event``, and the hand-over with the step that runs the notebook.

The step writes ``step.pkl`` (pickle, or dill) into a private folder and injects a cell tagged
``injected-parameters`` that calls :func:`_reconstitute` with its path: from then on
``get_context()`` is the step's context (solid config, resources, log, run information) and each
input is a variable named after it. ``yield_result`` and ``yield_event`` pickle what they are
given into the same folder; ``context.log`` appends records there. The step reads them back
when the notebook has run. Outside a run (a notebook opened in Jupyter) ``get_context`` builds
an ephemeral context and the ``yield_*`` functions return their argument.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import pickle
import sys
from pathlib import Path
from typing import Any

from .errors import DagstermillError

STEP_FILE = "step.pkl"
LOG_FILE = "log.jsonl"
EPHEMERAL_PIPELINE = "ephemeral_dagstermill_pipeline"
_ALLOWED_EVENTS = ("Materialization", "AssetMaterialization", "ExpectationResult", "TypeCheck",
                   "Failure", "RetryRequested")

_current: NotebookContext | None = None


class _NotebookLog:
    """``context.log`` in the kernel: each record goes back to the step (an event of the run)
    and is printed, so the notebook and the live compute log show it too."""

    def __init__(self, log_file: Path | None, name: str = "dagstermill") -> None:
        self._file = log_file
        self._logger = logging.getLogger(name)

    def log(self, level: int, msg: Any) -> None:
        if self._file is None:
            if not self._logger.handlers:
                self._logger.addHandler(logging.StreamHandler(sys.stdout))
                self._logger.setLevel(logging.DEBUG)
            self._logger.log(level, str(msg))
            return
        with open(self._file, "a") as f:
            f.write(json.dumps({"level": level, "message": str(msg)}) + "\n")
        print(f"{logging.getLevelName(level)} - {msg}", flush=True)

    def debug(self, msg: Any) -> None:
        self.log(logging.DEBUG, msg)

    def info(self, msg: Any) -> None:
        self.log(logging.INFO, msg)

    def warning(self, msg: Any) -> None:
        self.log(logging.WARNING, msg)

    warn = warning

    def error(self, msg: Any) -> None:
        self.log(logging.ERROR, msg)

    def critical(self, msg: Any) -> None:
        self.log(logging.CRITICAL, msg)

    def exception(self, msg: Any) -> None:
        self.log(logging.ERROR, msg)


class NotebookContext:
    """What ``get_context()`` returns (legacy ``DagstermillExecutionContext``)."""

    def __init__(self, payload: dict[str, Any], resources: Any, log: _NotebookLog) -> None:
        self._payload = payload
        self.resources = resources
        self.log = log

    solid_config = property(lambda self: self._payload.get("solid_config"))
    op_config = solid_config
    run_id = property(lambda self: self._payload["run_id"])
    run_config = property(lambda self: self._payload.get("run_config") or {})
    pipeline_name = property(lambda self: self._payload["pipeline_name"])
    job_name = pipeline_name
    step_key = property(lambda self: self._payload.get("step_key"))
    mode = property(lambda self: self._payload.get("mode", "default"))
    logging_tags = property(lambda self: {"pipeline_name": self.pipeline_name,
                                          "run_id": self.run_id,
                                          "solid": self._payload.get("solid_name"),
                                          "step_key": self.step_key})

    @property
    def solid_def(self) -> Any:
        return _SolidInfo(self._payload.get("solid_name") or "", self._payload.get("outputs", []))

    solid = solid_def
    op_def = solid_def

    @property
    def pipeline_run(self) -> Any:
        return _RunInfo(self.run_id, self.pipeline_name, self.run_config,
                        self._payload.get("tags") or {}, self.mode)

    def has_tag(self, key: str) -> bool:
        return key in (self._payload.get("tags") or {})

    def get_tag(self, key: str) -> str | None:
        return (self._payload.get("tags") or {}).get(key)


class _SolidInfo:
    def __init__(self, name: str, outputs: list[str]) -> None:
        self.name = name
        self.output_names = outputs

    def __repr__(self) -> str:
        return f"<solid {self.name}>"


class _RunInfo:
    def __init__(self, run_id: str, pipeline_name: str, run_config: dict[str, Any],
                 tags: dict[str, str], mode: str) -> None:
        self.run_id, self.pipeline_name, self.run_config = run_id, pipeline_name, run_config
        self.tags, self.mode = tags, mode


class _Resources:
    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __getattr__(self, key: str) -> Any:
        try:
            return self.__dict__["_values"][key]
        except KeyError:
            raise DagstermillError(
                f"No resource {key!r} in this notebook's context: the solid requires "
                f"{sorted(self.__dict__['_values']) or 'none'} (required_resource_keys)."
            ) from None

    def __contains__(self, key: str) -> bool:
        return key in self._values


def get_context(solid_config: Any = None, mode_def: Any = None, run_config: Any = None,
                op_config: Any = None) -> NotebookContext:
    """Inside a run: the step's context. Outside: an ephemeral one with ``solid_config`` and
    the resources of ``mode_def`` that ``run_config`` configures."""
    if _current is not None:
        return _current
    resources: dict[str, Any] = {}
    if mode_def is not None:
        configs = {k: (v or {}).get("config")
                   for k, v in ((run_config or {}).get("resources") or {}).items()}
        resources = _build_resources(mode_def.resource_defs, set(mode_def.resource_defs),
                                     configs, {})
    payload = {"solid_config": solid_config if solid_config is not None else op_config,
               "run_id": "ephemeral", "pipeline_name": EPHEMERAL_PIPELINE,
               "run_config": run_config or {}, "solid_name": "this_solid"}
    return NotebookContext(payload, _Resources(resources), _NotebookLog(None))


def yield_result(value: Any, output_name: str = "result") -> Any:
    """Return ``value`` as the solid's output ``output_name`` (outside a run: ``value``)."""
    if _current is None:
        return value
    outputs = _current._payload["outputs"]
    if output_name not in outputs:
        raise DagstermillError(
            f"Solid {_current._payload['solid_name']} does not have output named "
            f"{output_name!r}. Expected one of {outputs}")
    _dump(Path(_current._payload["work_dir"]) / f"output-{output_name}.pkl", value)
    return None


def yield_event(dagster_event: Any) -> Any:
    """Send an AssetMaterialization, ExpectationResult, TypeCheck, Failure or RetryRequested
    to the step (outside a run: return it)."""
    if _current is None:
        return dagster_event
    if type(dagster_event).__name__ not in _ALLOWED_EVENTS:
        raise DagstermillError(
            f"yield_event takes one of {', '.join(_ALLOWED_EVENTS)}, got "
            f"{type(dagster_event).__name__}.")
    work = Path(_current._payload["work_dir"])
    count = len(list(work.glob("event-*.pkl")))
    _dump(work / f"event-{count:06d}.pkl", dagster_event)
    return None


# -- the hand-over ------------------------------------------------------------------------------
def dumps(value: Any) -> bytes:
    """pickle, or dill for what pickle cannot take (a lambda, a class of the notebook); a
    dill pickle loads with plain pickle, which imports dill then."""
    try:
        return pickle.dumps(value)
    except Exception:
        import dill

        return dill.dumps(value)


def _dump(path: Path, value: Any) -> None:
    data = dumps(value)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
        f.write(data)


def _load(path: Path) -> Any:
    with open(path, "rb") as f:
        return pickle.load(f)


def _reconstitute(step_file: str, paths: tuple[str, ...] = ()) -> NotebookContext:
    """Called by the injected cell: the step's context, with its resources. ``paths`` (the
    run's working directory and code folder) go on sys.path first, so the user's classes in
    the inputs and resources unpickle."""
    global _current
    sys.path[:0] = [p for p in paths if p not in sys.path]
    payload = _load(Path(step_file))
    values = dict(payload.pop("resources"))
    rebuild = payload.pop("rebuild")
    if rebuild:
        values.update(_rebuild_resources(payload, rebuild, values))
    if payload.get("cwd"):
        os.chdir(payload["cwd"])
    _current = NotebookContext(payload, _Resources(values),
                               _NotebookLog(Path(payload["work_dir"]) / LOG_FILE))
    return _current


def _load_input(name: str) -> Any:
    assert _current is not None, "_load_input is called by the injected cell"
    return _current._payload["inputs"][name]


def _rebuild_resources(payload: dict[str, Any], rebuild: dict[str, Any],
                       have: dict[str, Any]) -> dict[str, Any]:
    """Resources that could not be pickled: built again here from the pipeline's mode, with
    the config the step resolved (torn down by :func:`_teardown`)."""
    from orch.core.workspace import load_pipeline_from_origin

    origin = payload.get("origin")
    if not origin:
        raise DagstermillError(
            f"The resources {sorted(rebuild)} cannot be sent to the notebook (they do not "
            "pickle) and the run has no code origin to build them from: run the pipeline from "
            "a file or module (orch run -f / -m).")
    pipeline_def = load_pipeline_from_origin(origin, payload["pipeline_name"])
    mode_def = pipeline_def.get_mode_definition(payload.get("mode"))
    log = _NotebookLog(Path(payload["work_dir"]) / LOG_FILE)  # the resources' log: the step's
    return _build_resources(mode_def.resource_defs, set(rebuild), rebuild, have, log)


# The teardowns of the resources built in this process (generator resources), last built first.
_teardowns: list[Any] = []


def _teardown() -> None:
    """Run the teardown of each resource built here (a Spark session is stopped, a connection
    closed). The step runs it in a last cell (``injected-teardown``), even after a failing
    cell: when papermill shuts the kernel down, ipykernel terminates its child processes (a
    JVM) first and the kernel may be killed before its ``atexit`` hooks run. Outside a run it
    is an ``atexit`` hook."""
    errors: list[BaseException] = []
    while _teardowns:
        generator = _teardowns.pop()
        try:
            next(generator, None)
        except Exception as e:  # the others still run; the first error is raised
            errors.append(e)
    if errors:
        raise errors[0]


def _build_resources(resource_defs: dict[str, Any], keys: set[str], configs: dict[str, Any],
                     have: dict[str, Any], log: Any = None) -> dict[str, Any]:
    from orch.core.execution.context import InitResourceContext, Resources

    built: dict[str, Any] = {}
    for key in sorted(keys):
        resource_def = resource_defs[key]
        config = configs.get(key)  # as the step resolved it
        init = InitResourceContext(resource_config=config, resources=Resources({**have, **built}),
                                   resource_def=resource_def, log=log)
        produced = resource_def.resource_fn(init)
        if resource_def.is_generator:
            generator = produced
            produced = next(generator)
            _teardowns.append(generator)
            atexit.unregister(_teardown)  # registered once
            atexit.register(_teardown)
        built[key] = produced
    return built
