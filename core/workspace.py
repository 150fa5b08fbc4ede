"""Loading user code: a Python file, a module or a directory, the pipelines and repositories in
it, and the JSON :class:`RepositorySnapshot` other processes draw and decide from.

Two ways in:

* in this process — :func:`load_workspace` imports the target and returns live definitions
  (what ``orch run`` validates with before it creates a run, and what a run worker uses);
* in a fresh subprocess — :func:`load_repository_snapshot` (and :class:`CodeServer`) start
  ``python -m orch.core.workspace_server``, which imports the code and answers with a JSON
  snapshot. User code that fails to import comes back as a structured :class:`LoadError` with
  the user's traceback (the caller never crashes); a load that exceeds its timeout names the
  module that was still importing. ``orch dev`` and ``orch run --watch`` only load this way.

A target is ``-f file.py``, ``-m module`` or ``-f directory`` (its top-level ``.py`` files that
define pipelines or repositories), with an optional ``-a attribute`` (a pipeline, a
repository, or a function returning one) and ``-d working_directory`` (put on ``sys.path``;
runs execute there; default: the current directory).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import datetime

    from .definitions.schedules import RunRequest
    from .scheduling.preview import Preview

from .errors import (
    ORCH,
    DagsterError,
    DagsterInvariantViolationError,
    error_location,
    frame_kind,
    serializable_error_info,
)
from .zygote_start import SERVER_MODULE

DEFAULT_LOAD_TIMEOUT = 60.0
SNAPSHOT_FORMAT = 1

# Files a directory target never imports (scripts and test scaffolding, not definitions).
_SKIPPED_FILES = {"setup.py", "conftest.py", "noxfile.py", "manage.py"}
_DEFINES_SOMETHING = re.compile(
    r"@pipeline\b|@repository\b|\bPipelineDefinition\(|\bRepositoryDefinition\(|"
    r"\bpipeline\(|\brepository\("
)


class WorkspaceLoadError(DagsterError):
    """User code could not be loaded; ``.error`` is the structured :class:`LoadError`."""

    def __init__(self, error: LoadError):
        super().__init__(error.format())
        self.error = error


@dataclass
class LoadError:
    """Why a load failed, as data (JSON round-trips through :meth:`to_dict`).

    ``kind``: ``import_error`` (the user's code raised while importing, syntax errors
    included), ``not_found`` (no such file/module/attribute/pipeline), ``timeout``,
    ``crash`` (the loader process died), ``invalid`` (the run request was rejected).
    ``traceback`` is the user's part of the traceback; ``location`` where in the user's code
    (``file:line`` for an import error); ``module``/``import_chain`` say which module was
    importing (outermost first) when a timeout struck.
    """

    kind: str
    message: str
    traceback: str = ""
    cls_name: str | None = None
    module: str | None = None
    import_chain: list[str] = field(default_factory=list)
    location: str | None = None
    output: str = ""
    file: str | None = None  # for a directory target: the one file that did not load

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoadError:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    def format(self) -> str:
        """Human text: the message, then the user's traceback (when there is one)."""
        parts = [self.message]
        if self.traceback and self.traceback.strip() not in self.message:
            parts.append(self.traceback.rstrip())
        return "\n".join(parts)


# -- targets ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class WorkspaceTarget:
    """Where user code lives. Paths are absolute once built with :meth:`from_options`."""

    python_file: str | None = None
    module_name: str | None = None
    directory: str | None = None
    attribute: str | None = None
    working_directory: str | None = None

    @classmethod
    def from_options(cls, python_file: str | None = None, module_name: str | None = None,
                     attribute: str | None = None, working_directory: str | None = None,
                     directory: str | None = None) -> WorkspaceTarget:
        """From CLI flags: ``-f`` may name a file or a directory. Raises on a bad combination."""
        given = [x for x in (python_file, module_name, directory) if x]
        if len(given) > 1:
            raise DagsterInvariantViolationError(
                "Give one code location: -f FILE.py, -f DIRECTORY or -m MODULE, not several."
            )
        if not given:
            raise DagsterInvariantViolationError(
                "No code location: pass -f FILE.py, -f DIRECTORY or -m MODULE."
            )
        wd = os.path.abspath(working_directory) if working_directory else os.getcwd()
        if not os.path.isdir(wd):
            raise DagsterInvariantViolationError(
                f'Working directory "{working_directory}" does not exist.'
            )
        if python_file:
            path = Path(python_file) if os.path.isabs(python_file) else Path(wd) / python_file
            if not path.exists() and not os.path.isabs(python_file):
                path = Path(python_file).absolute()
            if not path.exists():
                raise DagsterInvariantViolationError(f'"{python_file}" does not exist.')
            if path.is_dir():
                directory, python_file = str(path.resolve()), None
            else:
                python_file = str(path.resolve())
        elif directory:
            directory = str(Path(directory).resolve())
        return cls(python_file, module_name, directory, attribute, wd)

    @classmethod
    def from_origin(cls, origin: dict[str, Any]) -> WorkspaceTarget:
        """The target that loads a run's ``pipeline_origin`` (whose attribute may be a
        pipeline or a repository; either way the whole location is loaded)."""
        return cls(origin.get("python_file"), origin.get("module_name"), None, None,
                   origin.get("working_directory"))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WorkspaceTarget:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    @property
    def root(self) -> str:
        """The directory to watch for changes: the file's or the directory itself; for a
        module, the working directory."""
        if self.python_file:
            return str(Path(self.python_file).parent)
        if self.directory:
            return self.directory
        return self.working_directory or os.getcwd()

    def describe(self) -> str:
        where = self.python_file or self.directory or f"module {self.module_name}"
        return f"{where}{f' (attribute {self.attribute})' if self.attribute else ''}"


# -- importing -------------------------------------------------------------------------------
# A process that loads code once and then executes a run from it (the workspace server) turns
# this cache on, so the run worker's load of the same origin does not import the file twice.
_MODULE_CACHE: dict[tuple[str | None, str | None], ModuleType] | None = None


def enable_module_cache() -> None:
    global _MODULE_CACHE
    if _MODULE_CACHE is None:
        _MODULE_CACHE = {}


def import_python_file(python_file: str, working_directory: str | None = None) -> ModuleType:
    """Import a file as a module (its directory and the working directory go on sys.path)."""
    path = Path(python_file).resolve()
    if not path.exists():
        raise DagsterInvariantViolationError(f'Python file "{python_file}" does not exist.')
    key = (str(path), None)
    if _MODULE_CACHE is not None and key in _MODULE_CACHE:
        return _MODULE_CACHE[key]
    for entry in (working_directory, str(path.parent)):
        if entry and entry not in sys.path:
            sys.path.insert(0, entry)
    module_name = f"__orch_user_code__.{path.stem}"
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise DagsterInvariantViolationError(f'Cannot import "{python_file}".')
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    if _MODULE_CACHE is not None:
        _MODULE_CACHE[key] = module
    return module


def import_module(module_name: str, working_directory: str | None = None) -> ModuleType:
    cwd = working_directory or os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    return importlib.import_module(module_name)


def load_pipeline_from_origin(origin: dict[str, Any], pipeline_name: str):
    """Import the origin's code (in this process) and return the pipeline named
    ``pipeline_name``. ``origin["attribute"]`` may hold the pipeline, a repository containing
    it, or a function returning either; without one, the whole module is searched."""
    target = WorkspaceTarget(origin.get("python_file"), origin.get("module_name"), None,
                             origin.get("attribute"), origin.get("working_directory"))
    workspace = load_workspace(target)
    if pipeline_name not in workspace.pipelines:
        raise DagsterInvariantViolationError(
            f'No pipeline named "{pipeline_name}" in {target.describe()}. '
            f"Pipelines: {workspace.pipeline_names}."
        )
    return workspace.pipelines[pipeline_name].get_definition()


# -- a loaded workspace ----------------------------------------------------------------------
@dataclass
class LoadedPipeline:
    """One pipeline found in a workspace, with the origin a run worker re-imports it from."""

    name: str
    origin: dict[str, Any]
    repository: str | None
    _get: Callable[[], Any] = field(repr=False)
    _definition: Any = field(default=None, repr=False)

    def get_definition(self):
        if self._definition is None:
            self._definition = self._get()
        return self._definition

    def reconstructable(self):
        """A ``ReconstructablePipeline`` for ``create_run``: carries this origin and the
        already-loaded definition."""
        from .definitions.reconstructable import ReconstructablePipeline

        return ReconstructablePipeline(
            self.name, python_file=self.origin.get("python_file"),
            module_name=self.origin.get("module_name"), attribute=self.origin.get("attribute"),
            working_directory=self.origin.get("working_directory"),
            _definition=self.get_definition(),
        )


@dataclass
class LoadedWorkspace:
    """Live definitions of one target: pipelines by name, repositories, schedules, sensors."""

    target: WorkspaceTarget
    pipelines: dict[str, LoadedPipeline]
    repositories: list[dict[str, Any]]
    schedules: list[Any] = field(default_factory=list)
    sensors: list[Any] = field(default_factory=list)
    # The live RepositoryDefinition objects by name (schedules and sensors are evaluated
    # from these), with the origin each was loaded from.
    repository_defs: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    load_seconds: float = 0.0
    # A directory target's files that did not load (the others did): one LoadError each.
    load_errors: list[LoadError] = field(default_factory=list)

    @property
    def pipeline_names(self) -> list[str]:
        return sorted(self.pipelines)

    def get(self, name: str | None) -> LoadedPipeline:
        """The pipeline called ``name``; with ``None`` the only one. Raises naming the
        choices."""
        return self.pipelines[choose_pipeline(self.pipeline_names, name, self.target,
                                              [e.file for e in self.load_errors if e.file])]


def choose_pipeline(names: list[str], name: str | None, target: Any = None,
                    broken_files: list[str] | None = None) -> str:
    where = f" in {target.describe()}" if target is not None else ""
    if broken_files:
        where += f" (not loaded: {', '.join(os.path.basename(f) for f in broken_files)})"
    if name is None:
        if len(names) == 1:
            return names[0]
        if not names:
            raise DagsterInvariantViolationError(f"No pipelines found{where}.")
        raise DagsterInvariantViolationError(
            f"Several pipelines found{where}; choose one with -p: {', '.join(names)}."
        )
    if name not in names:
        raise DagsterInvariantViolationError(
            f'No pipeline named "{name}"{where}. Available pipelines: {", ".join(names)}.'
        )
    return name


def _directory_files(directory: str) -> list[Path]:
    files = []
    for path in sorted(Path(directory).glob("*.py")):
        name = path.name
        if name.startswith(("_", ".")) or name in _SKIPPED_FILES or \
                name.startswith("test_") or name.endswith("_test.py"):
            continue
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        if _DEFINES_SOMETHING.search(text):
            files.append(path)
    return files


def _module_attribute_of(module: ModuleType, value: Any) -> str | None:
    for name, candidate in vars(module).items():
        if candidate is value:
            return name
    return None


def load_workspace(target: WorkspaceTarget) -> LoadedWorkspace:
    """Import the target in this process and collect its definitions."""
    started = time.perf_counter()
    wd = target.working_directory or os.getcwd()
    if wd not in sys.path:
        sys.path.insert(0, wd)
    workspace = LoadedWorkspace(target, {}, [])
    if target.directory:
        files = _directory_files(target.directory)
        if not files:
            workspace.warnings.append(
                f"No .py file in {target.directory} defines a pipeline or repository."
            )
        for path in files:
            _collect_file(workspace, path, wd)
        if workspace.load_errors and not workspace.pipelines:
            raise WorkspaceLoadError(workspace.load_errors[0])
    else:
        origin = {"python_file": target.python_file, "module_name": target.module_name,
                  "attribute": None, "working_directory": wd}
        if target.module_name:
            try:
                module = import_module(target.module_name, wd)
            except ModuleNotFoundError as e:
                if e.name and target.module_name.startswith(e.name):
                    raise DagsterInvariantViolationError(
                        f'No module named "{target.module_name}" (looked in {wd} and on '
                        "sys.path)."
                    ) from e
                raise
        else:
            module = import_python_file(target.python_file or "", wd)
        _collect(workspace, module, origin, target.attribute, attribute_required=True)
    workspace.load_seconds = time.perf_counter() - started
    return workspace


def _collect_file(workspace: LoadedWorkspace, path: Path, wd: str) -> None:
    """Load one file of a directory target; a file that fails to load is recorded in
    ``load_errors`` and the other files still load."""
    origin = {"python_file": str(path), "module_name": None, "attribute": None,
              "working_directory": wd}
    try:
        module = import_python_file(str(path), wd)
        _collect(workspace, module, origin, workspace.target.attribute,
                 attribute_required=False)
    except (Exception, SystemExit) as exc:
        error = load_error_from_exception(exc, WorkspaceTarget(python_file=str(path)))
        error.file = str(path)
        workspace.load_errors.append(error)


def _collect(workspace: LoadedWorkspace, module: ModuleType, origin: dict[str, Any],
             attribute: str | None, attribute_required: bool) -> None:
    from .definitions.pipeline import PipelineDefinition
    from .definitions.repository import RepositoryDefinition

    if attribute:
        if not hasattr(module, attribute):
            if not attribute_required:
                return
            candidates = sorted(
                n for n, v in vars(module).items()
                if isinstance(v, PipelineDefinition | RepositoryDefinition)
            )
            raise DagsterInvariantViolationError(
                f'{workspace.target.describe()} has no attribute "{attribute}". Pipelines and '
                f"repositories defined there: {', '.join(candidates) or 'none'}."
            )
        value = getattr(module, attribute)
        if inspect.isfunction(value):
            value = value()
        if isinstance(value, PipelineDefinition):
            _add(workspace, value.name, {**origin, "attribute": attribute}, None,
                 lambda v=value: v, value)
            return
        if isinstance(value, RepositoryDefinition):
            _add_repository(workspace, value, {**origin, "attribute": attribute})
            return
        raise DagsterInvariantViolationError(
            f'Attribute "{attribute}" of {workspace.target.describe()} is a '
            f"{type(value).__name__}, not a pipeline or repository (or a function returning "
            "one)."
        )
    for name, value in list(vars(module).items()):
        if isinstance(value, RepositoryDefinition):
            _add_repository(workspace, value, {**origin, "attribute": name})
    for name, value in list(vars(module).items()):
        if isinstance(value, PipelineDefinition) and value.name not in workspace.pipelines:
            _add(workspace, value.name, {**origin, "attribute": name}, None,
                 lambda v=value: v, value)


def _add_repository(workspace: LoadedWorkspace, repo: Any, origin: dict[str, Any]) -> None:
    if repo.name in workspace.repository_defs:
        known = workspace.repositories[[r["name"] for r in workspace.repositories]
                                       .index(repo.name)]["origin"]
        if known.get("python_file") != origin.get("python_file") or \
                known.get("module_name") != origin.get("module_name"):
            workspace.warnings.append(
                f'Repository "{repo.name}" is defined in both '
                f'{known.get("python_file") or known.get("module_name")} and '
                f'{origin.get("python_file") or origin.get("module_name")}; using the first.')
        return
    workspace.repository_defs[repo.name] = repo
    schedules = [{**_definition_summary(d), "repository": repo.name}
                 for d in repo.definitions_of("schedules")]
    sensors = [{**_definition_summary(d), "repository": repo.name}
               for d in repo.definitions_of("sensors")]
    workspace.repositories.append({
        "name": repo.name, "description": repo.description, "origin": origin,
        "pipelines": repo.pipeline_names, "schedules": schedules, "sensors": sensors,
        "partition_sets": repo.names_of("partition_sets"),
    })
    workspace.schedules.extend(schedules)
    workspace.sensors.extend(sensors)
    for name in repo.pipeline_names:
        _add(workspace, name, origin, repo.name, lambda r=repo, n=name: r.get_pipeline(n))


def _add(workspace: LoadedWorkspace, name: str, origin: dict[str, Any], repository: str | None,
         getter: Callable[[], Any], definition: Any = None) -> None:
    if name in workspace.pipelines:
        known = workspace.pipelines[name]
        if known.origin.get("python_file") != origin.get("python_file"):
            workspace.warnings.append(
                f'Pipeline "{name}" is defined in both {known.origin.get("python_file")} and '
                f'{origin.get("python_file")}; using the first.'
            )
        return
    workspace.pipelines[name] = LoadedPipeline(name, origin, repository, getter, definition)


def _definition_summary(definition: Any) -> dict[str, Any]:
    summary = {"name": getattr(definition, "name", repr(definition))}
    for attr in ("pipeline_name", "cron_schedule", "mode", "solid_selection",
                 "execution_timezone", "minimum_interval_seconds", "description",
                 "sensor_type"):
        value = getattr(definition, attr, None)
        if value is not None and not callable(value):
            summary[attr] = value if isinstance(value, str | int | float | list) else str(value)
    get_partition_set = getattr(definition, "get_partition_set", None)
    if get_partition_set is not None:
        summary["partition_set"] = get_partition_set().name
    return summary


# -- snapshots -------------------------------------------------------------------------------
class RepositorySnapshot:
    """A JSON description of everything a target defines (what ``orch dev`` draws and
    ``orch run --watch`` decides from). The data is a plain dict: :attr:`data`."""

    def __init__(self, data: dict[str, Any]):
        self.data = data

    @property
    def pipelines(self) -> dict[str, dict[str, Any]]:
        return self.data["pipelines"]

    @property
    def pipeline_names(self) -> list[str]:
        return sorted(self.data["pipelines"])

    @property
    def repositories(self) -> list[dict[str, Any]]:
        return self.data["repositories"]

    @property
    def warnings(self) -> list[str]:
        return self.data.get("warnings", [])

    @property
    def load_errors(self) -> list[LoadError]:
        """The files of a directory target that did not load (the rest did)."""
        return [LoadError.from_dict(e) for e in self.data.get("load_errors", [])]

    @property
    def target(self) -> WorkspaceTarget:
        return WorkspaceTarget.from_dict(self.data["target"])

    def choose(self, name: str | None = None) -> str:
        """The pipeline name ``name`` (or the only pipeline); raises naming the choices and
        the files that did not load."""
        return choose_pipeline(self.pipeline_names, name, self.target,
                               [e.file for e in self.load_errors if e.file])

    def pipeline(self, name: str | None = None) -> dict[str, Any]:
        return self.pipelines[self.choose(name)]

    def code_hashes(self, pipeline_name: str) -> dict[str, str]:
        return dict(self.pipelines[pipeline_name]["code_hashes"])

    def to_dict(self) -> dict[str, Any]:
        return self.data

    def to_json(self) -> str:
        return json.dumps(self.data, default=str)

    @classmethod
    def from_json(cls, text: str) -> RepositorySnapshot:
        return cls(json.loads(text))

    def __repr__(self) -> str:
        return f"<RepositorySnapshot {self.target.describe()}: {self.pipeline_names}>"


def changed_solids(old: dict[str, str] | None, new: dict[str, str]) -> list[str]:
    """Leaf solid handles whose code hash differs between two snapshots (or that are new)."""
    old = old or {}
    return sorted(h for h, digest in new.items() if old.get(h) != digest)


def pipeline_entry(loaded: LoadedPipeline) -> dict[str, Any]:
    """The snapshot of one pipeline: the stored ``pipeline_snapshot`` plus flattened views
    (solids in execution order with inputs, outputs and types; edges; modes with their run
    config schema; presets; code hashes; origin)."""
    from .config import config_type_snapshot
    from .definitions.snapshot import pipeline_snapshot
    from .execution.run_config import run_config_schema

    p = loaded.get_definition()
    graph = p.graph
    hashes = p.code_hash_by_solid()
    solids, edges = [], []
    for name in graph.order:
        node = graph.nodes[name]
        d = node.definition
        deps = graph.deps.get(name, {})
        inputs = []
        for input_def in d.input_defs:
            entry = input_def.snapshot()
            dep = deps.get(input_def.name)
            entry["depends_on"] = [{"solid": s.node, "output": s.output}
                                   for s in (dep.sources if dep is not None else ())]
            inputs.append(entry)
            for s in entry["depends_on"]:
                edges.append({"from": s["solid"], "output": s["output"], "to": name,
                              "input": input_def.name, "kind": dep.kind})
        solids.append({
            "name": name,
            "definition": d.name,
            "description": d.description,
            "is_composite": d.is_composite,
            "inputs": inputs,
            "outputs": [o.snapshot() for o in d.output_defs],
            "required_resource_keys": sorted(getattr(d, "required_resource_keys", ()) or ()),
            "tags": {k: str(v) for k, v in node.merged_tags.items()},
            "has_config": getattr(d, "config_schema", None) is not None,
            "leaf_handles": sorted(h for h in hashes if h == name or h.startswith(name + ".")),
        })
    leaves = []
    for handle, solid_def in p.iterate_leaf_solids():
        leaves.append({
            "handle": handle, "definition": solid_def.name,
            "inputs": [i.snapshot() for i in solid_def.input_defs],
            "outputs": [o.snapshot() for o in solid_def.output_defs],
            "code_hash": hashes.get(handle),
        })
    modes = []
    for mode_def in p.mode_definitions:
        mode = mode_def.snapshot()
        mode["run_config_schema"] = config_type_snapshot(run_config_schema(p, mode_def))
        modes.append(mode)
    return {
        "name": p.name,
        "description": p.description,
        "repository": loaded.repository,
        "origin": loaded.origin,
        "tags": {k: str(v) for k, v in p.tags.items()},
        "solids": solids,
        "edges": edges,
        "leaf_solids": leaves,
        "modes": modes,
        "presets": [preset.snapshot() for preset in p.preset_defs],
        "code_hashes": hashes,
        "pipeline_snapshot": pipeline_snapshot(p),
    }


def repository_snapshot(workspace: LoadedWorkspace) -> RepositorySnapshot:
    """Snapshot every pipeline of a loaded workspace."""
    pipelines = {name: pipeline_entry(workspace.pipelines[name])
                 for name in workspace.pipeline_names}
    return RepositorySnapshot({
        "format": SNAPSHOT_FORMAT,
        "target": workspace.target.to_dict(),
        "created_at": time.time(),
        "load_seconds": round(workspace.load_seconds, 6),
        "repositories": workspace.repositories,
        "pipelines": pipelines,
        "schedules": workspace.schedules,
        "sensors": workspace.sensors,
        "warnings": workspace.warnings,
        "load_errors": [e.to_dict() for e in workspace.load_errors],
    })


# -- errors from user code -------------------------------------------------------------------
def is_loader_frame(filename: str) -> bool:
    """A frame of orch or of Python's import machinery (not of the code being loaded)."""
    return frame_kind(filename) == ORCH or filename.startswith("<frozen ") or \
        filename.endswith(("runpy.py", os.sep + "importlib" + os.sep + "__init__.py"))


def user_traceback(exc: BaseException) -> str:
    """The exception formatted without the loader's own leading frames (orch, importlib):
    from the first frame in user code on (a syntax error shows its file, line and caret)."""
    import traceback

    def trim(te: Any, seen: set[int]) -> None:
        if te is None or id(te) in seen:
            return
        seen.add(id(te))
        frames = list(te.stack)
        first_user = next((i for i, f in enumerate(frames)
                           if not is_loader_frame(f.filename)), None)
        if first_user is not None:
            te.stack = traceback.StackSummary.from_list(frames[first_user:])
        elif frames and te.exc_type is not None and issubclass(te.exc_type, SyntaxError):
            te.stack = traceback.StackSummary.from_list([])
        trim(te.__cause__, seen)
        trim(te.__context__, seen)

    te = traceback.TracebackException.from_exception(exc)
    trim(te, set())
    return "".join(te.format())


def load_error_from_exception(exc: BaseException, target: WorkspaceTarget | None = None
                              ) -> LoadError:
    """A :class:`LoadError` for an exception raised while importing or collecting code."""
    where = f" {target.describe()}" if target is not None else ""
    if isinstance(exc, DagsterInvariantViolationError) and not isinstance(exc, WorkspaceLoadError):
        return LoadError("not_found", str(exc), "", type(exc).__name__)
    if isinstance(exc, WorkspaceLoadError):
        return exc.error
    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, SyntaxError):
        detail = f"SyntaxError: {exc.msg} ({exc.filename}, line {exc.lineno})"
    return LoadError("import_error", f"Could not load{where}: {detail}", user_traceback(exc),
                     type(exc).__name__,
                     location=error_location(serializable_error_info(exc)))


# -- loading in a subprocess -----------------------------------------------------------------
# The server reports a timeout itself; these bound the wait for it (and for a server stuck in
# C code, whose faulthandler dump arrives a second after the timeout).
_REPORT_GRACE = 3.0
_START_ALLOWANCE = 30.0
_OUTPUT_TAIL_BYTES = 64 * 1024


class CodeServer:
    """A ``python -m orch.core.workspace_server`` process: a fork of ``zygote`` (a warm
    process holding orch and the project's third-party modules, never user code; see
    :class:`CodeServerZygote`) or, without one, an interpreter started now.

    :meth:`load` imports a target there and returns its snapshot. Afterwards the same process
    can :meth:`launch` one run of a pipeline it loaded: it creates the run (validated, stored)
    and then executes it as that run's worker (:func:`orch.core.worker.execute_stored_run`),
    so a reload-and-run costs one process that imports only the user's modules.
    :attr:`process` is its ``Popen`` (or the same interface for a zygote's fork); the
    server's stdout/stderr go to a temporary file (:meth:`output`). Responses come over a
    private pipe, never mixed with user prints. ``on_modules`` (if set) receives the
    third-party modules each successful load imported (and those a launched run's executor
    imports: ``ExecutorDefinition.preload_modules``).
    """

    def __init__(self, cwd: str | None = None, env: dict[str, str] | None = None,
                 zygote: CodeServerZygote | None = None):
        import subprocess
        import tempfile

        read_fd, write_fd = os.pipe()
        self._output = tempfile.TemporaryFile()
        try:
            if zygote is not None:
                requests_r, requests_w = os.pipe()
                try:
                    self.process: Any = zygote.fork(requests_r, write_fd,
                                                    self._output.fileno())
                except BaseException:
                    os.close(requests_w)
                    raise
                finally:
                    os.close(requests_r)
                self._stdin: Any = os.fdopen(requests_w, "wb")
            else:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", SERVER_MODULE, str(write_fd)],
                    stdin=subprocess.PIPE, stdout=self._output, stderr=subprocess.STDOUT,
                    pass_fds=(write_fd,), cwd=cwd or None, env=env,
                )
                self._stdin = self.process.stdin
        except BaseException:
            os.close(read_fd)
            self._output.close()
            raise
        finally:
            os.close(write_fd)
        self.cwd = cwd
        self._fd: int | None = read_fd
        self._buffer = b""
        self.run_id: str | None = None
        self.loaded: RepositorySnapshot | None = None
        self.on_modules: Callable[[list[str]], None] | None = None
        self.backfills: list[dict[str, Any]] = []  # what the last tick advanced

    @property
    def pid(self) -> int:
        return self.process.pid

    # -- protocol ----------------------------------------------------------------------
    def _send(self, message: dict[str, Any]) -> bool:
        try:
            self._stdin.write((json.dumps(message, default=str) + "\n").encode())
            self._stdin.flush()
            return True
        except (BrokenPipeError, OSError, ValueError):
            return False

    def _receive(self, timeout: float | None) -> dict[str, Any] | None:
        """The next message, or None on timeout or when the server closed its end."""
        import select

        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._buffer:
            if self._fd is None:
                return None
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self._fd], [], [], wait)
            if not ready:
                return None
            chunk = os.read(self._fd, 1 << 16)
            if not chunk:
                os.close(self._fd)
                self._fd = None
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def output(self, max_bytes: int = _OUTPUT_TAIL_BYTES) -> str:
        """The tail of what the server printed (user prints while importing, crash dumps)."""
        try:
            self._output.flush()
            size = os.fstat(self._output.fileno()).st_size
            start = max(0, size - max_bytes)
            data = os.pread(self._output.fileno(), size - start, start)
        except (OSError, ValueError):
            return ""
        return data.decode(errors="replace")

    def _fail(self, kind: str, message: str, **extra: Any) -> WorkspaceLoadError:
        return WorkspaceLoadError(LoadError(kind, message, output=self.output(), **extra))

    # -- requests ----------------------------------------------------------------------
    def load(self, target: WorkspaceTarget, timeout: float = DEFAULT_LOAD_TIMEOUT
             ) -> RepositorySnapshot:
        """Import ``target`` in the server and return its snapshot; raise
        :class:`WorkspaceLoadError` for an import error, a timeout or a crash."""
        if not self._send({"op": "load", "target": target.to_dict(), "timeout": timeout}):
            raise self._crashed(target)
        ack = self._receive(_START_ALLOWANCE + timeout)
        if ack is None:
            raise self._crashed(target) if self._exited() else \
                self._stuck(target, timeout, starting=True)
        reply = self._receive(timeout + _REPORT_GRACE)
        if reply is None:
            if not self._exited() or _DUMP_MARKER in self.output():
                raise self._stuck(target, timeout)
            raise self._crashed(target)
        if not reply.get("ok"):
            error = LoadError.from_dict(reply["error"])
            error.output = self.output()
            raise WorkspaceLoadError(error)
        self.loaded = RepositorySnapshot(reply["snapshot"])
        if self.on_modules is not None and reply.get("modules"):
            self.on_modules(reply["modules"])
        return self.loaded

    def launch(self, pipeline_name: str, *, run_config: dict[str, Any] | None = None,
               extra_config: dict[str, Any] | None = None,
               mode: str | None = None, preset: str | None = None,
               tags: dict[str, Any] | None = None, solid_selection: list[str] | None = None,
               reexecute: dict[str, Any] | None = None, wait_turn: bool = False,
               timeout: float = 120.0) -> dict[str, Any]:
        """Create a run of a pipeline loaded by :meth:`load` and execute it in the server.

        The rules are ``orch.core.execution.run_request.launch_args``'s: a preset with
        ``extra_config`` (executor flags) merged in; ``reexecute``: ``{"parent_run_id",
        "step_selection", "changed_solids", "include_failed"}`` makes it a child run.
        Returns ``{"run_id": ..., "step_keys": [...] | None, "note": ..., "status": ...}``;
        ``run_id`` is None when there was nothing to re-execute. A run the instance's
        coordinator queued (status QUEUED) is left to a dequeuer, or with ``wait_turn`` the
        server takes it off the queue itself when it is due. Invalid input raises
        :class:`WorkspaceLoadError` (kind ``invalid``) and no run exists."""
        request = {"op": "launch", "pipeline": pipeline_name, "run_config": run_config,
                   "extra_config": extra_config, "mode": mode, "preset": preset, "tags": tags,
                   "solid_selection": solid_selection, "reexecute": reexecute,
                   "wait_turn": wait_turn}
        if not self._send(request):
            raise self._fail("crash", "The code server exited before it could start the run.")
        reply = self._receive(timeout)
        if reply is None:
            raise self._fail("crash", "The code server did not answer the run request.")
        if not reply.get("ok"):
            raise WorkspaceLoadError(LoadError.from_dict(reply["error"]))
        self.run_id = reply.get("run_id")
        if self.on_modules is not None and reply.get("modules"):
            self.on_modules(reply["modules"])  # what the run's executor imports
        return reply

    def _ask(self, request: dict[str, Any], what: str, timeout: float) -> dict[str, Any]:
        """Send one request to the loaded server and return its ``ok`` answer; raise
        :class:`WorkspaceLoadError` for its error, a crash or no answer."""
        if not self._send(request):
            raise self._fail("crash", f"The code server exited before it could {what}.")
        reply = self._receive(timeout)
        if reply is None:
            raise self._fail("crash", f"The code server did not answer the {what} request.")
        if not reply.get("ok"):
            raise WorkspaceLoadError(LoadError.from_dict(reply["error"]))
        return reply

    def tick(self, now: float | None = None, timeout: float = 120.0) -> list[dict[str, Any]]:
        """One evaluation pass of the loaded code's running schedules and sensors, in the
        server (runs go through the run coordinator); the ticks it recorded, each
        ``{"name", "type", "status", "run_ids", "skip_reason", "error"}``. The REQUESTED
        backfills of the code advance by a chunk in the same pass: :attr:`backfills`."""
        reply = self._ask({"op": "tick", "now": now}, "tick", timeout)
        self.backfills = list(reply.get("backfills") or [])
        return list(reply["ticks"])

    def preview(self, kind: str, name: str, now: float | None = None,
                timeout: float = 120.0) -> Preview:
        """Evaluate the schedule or sensor ``name`` once, launching and storing nothing."""
        from .scheduling.preview import preview_from_dict

        reply = self._ask({"op": "preview", "kind": kind, "name": name, "now": now},
                          "preview", timeout)
        return preview_from_dict(reply["preview"])

    def request_run(self, kind: str, name: str, request: RunRequest,
                    when: datetime.datetime | None = None, timeout: float = 120.0
                    ) -> dict[str, Any]:
        """Launch one request a preview showed; ``{"run_ids", "skipped_keys", "errors"}``."""
        return self._ask({"op": "request_run", "kind": kind, "name": name,
                          "request": {"run_key": request.run_key,
                                      "run_config": request.run_config, "tags": request.tags},
                          "when": when.isoformat() if when else None}, "launch", timeout)

    def _exited(self) -> bool:
        """Whether the server is gone (its end of the pipe closes a moment before the
        process can be reaped)."""
        if self._fd is not None:
            return self.process.poll() is not None
        try:
            self.process.wait(timeout=2)
        except Exception:
            return False
        return True

    def _crashed(self, target: WorkspaceTarget) -> WorkspaceLoadError:
        code = self.process.wait()
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        return self._fail("crash", f"The process loading {target.describe()} {how}.")

    def _stuck(self, target: WorkspaceTarget, timeout: float, starting: bool = False
               ) -> WorkspaceLoadError:
        self.kill()
        output = self.output()
        frames = _module_frames_in_dump(output)
        if frames:
            chain = [_module_name_of(f) for f, _ in frames]
            filename, line = frames[-1]
            via = " ← ".join(f'"{m}"' for m in reversed(chain[:-1]))
            message = (f"Loading {target.describe()} timed out after {timeout:g} s: still "
                       f'importing module "{chain[-1]}" ({filename}, line {line})'
                       + (f", imported from {via}" if via else "") + ".")
            return WorkspaceLoadError(LoadError("timeout", message, module=chain[-1],
                                                import_chain=chain, output=output))
        what = "start" if starting else "answer"
        return self._fail("timeout", f"Loading {target.describe()} timed out after "
                                     f"{timeout:g} s (the loader process did not {what}).")

    # -- lifetime ----------------------------------------------------------------------
    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def close(self) -> None:
        """Stop an idle server (a server executing a run is left to finish; use
        :attr:`process` to signal it) and release the pipes."""
        if self.run_id is None and self.process.poll() is None:
            self._send({"op": "exit"})
            try:
                self._stdin.close()
            except OSError:
                pass
            try:
                self.process.wait(timeout=2)
            except Exception:
                self.kill()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self.run_id is None or self.process.poll() is not None:
            self._output.close()

    def __enter__(self) -> CodeServer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class CodeServerZygote:
    """``python -m orch.core.workspace_server --zygote FD``: a warm interpreter, started
    now, that has imported orch and, once told (:meth:`preload`), the third-party modules
    the project's code imports — never the user's own modules. Each :class:`CodeServer`
    made with it is a fork, so a reload imports only the user's code (pandas is already
    there), while every load and run still gets a process of its own.

    The zygote is the parent of its servers; it reports their ends, and each server's
    :attr:`CodeServer.process` is a :class:`ForkedServer` handle."""

    FORK_TIMEOUT = 10.0

    def __init__(self, cwd: str | None = None, env: dict[str, str] | None = None):
        import queue
        import threading

        from orch.core import zygote_start

        claimed = zygote_start.claim(cwd, env)  # orch dev's, started before its CLI loaded
        if claimed is not None:
            self.process, self._sock = claimed.process, claimed.sock
        else:
            self.process, self._sock = zygote_start.spawn(cwd, env)
        self._lock = threading.Lock()  # one fork request at a time
        self._forked: queue.Queue[int | None] = queue.Queue()
        self._exits: dict[int, int] = {}
        self._exit_seen = threading.Condition()
        self.preloaded: set[str] = set()
        self._reader = threading.Thread(target=self._read, name="orch-zygote-reader",
                                        daemon=True)
        self._reader.start()
        if claimed is not None and claimed.env_updates:
            self._send({"op": "env", "set": claimed.env_updates})

    @property
    def alive(self) -> bool:
        return self._reader.is_alive() and self.process.poll() is None

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = self._sock.recv(1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                self._forked.put(None)
                with self._exit_seen:
                    self._exit_seen.notify_all()
                return
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                message = json.loads(line)
                if "forked" in message:
                    self._forked.put(message["forked"])
                elif "exited" in message:
                    with self._exit_seen:
                        self._exits[message["exited"]] = message["code"]
                        self._exit_seen.notify_all()

    def _send(self, message: dict[str, Any], fds: list[int] | None = None) -> None:
        import socket

        data = (json.dumps(message) + "\n").encode()
        if fds:
            socket.send_fds(self._sock, [data], fds)
        else:
            self._sock.sendall(data)

    def preload(self, modules: list[str]) -> None:
        """Have the zygote import ``modules`` (those it has not been given yet), so the
        servers forked afterwards find them imported."""
        new = sorted(set(modules) - self.preloaded)
        if not new:
            return
        self.preloaded.update(new)
        with self._lock:
            try:
                self._send({"op": "preload", "modules": new})
            except OSError:
                pass

    def fork(self, requests_fd: int, response_fd: int, output_fd: int) -> ForkedServer:
        """A code server forked from the zygote, serving the three descriptors; OSError if
        the zygote cannot fork one."""
        import queue

        with self._lock:
            if not self.alive:
                raise OSError("the code-server zygote is not running")
            self._send({"op": "fork"}, [requests_fd, response_fd, output_fd])
            try:
                pid = self._forked.get(timeout=self.FORK_TIMEOUT)
            except queue.Empty:
                pid = None
        if not pid:
            raise OSError("the code-server zygote did not fork a server")
        return ForkedServer(self, pid)

    def exit_code(self, pid: int, timeout: float | None = 0.0) -> int | None:
        """``pid``'s exit code once the zygote reported it (waiting up to ``timeout``); None
        while it runs. A server whose zygote is gone is reported as 1 once it has ended."""
        import time as _time

        deadline = None if timeout is None else _time.monotonic() + timeout
        with self._exit_seen:
            while pid not in self._exits:
                if not self._reader.is_alive():
                    return None if _pid_running(pid) else 1
                wait = None if deadline is None else deadline - _time.monotonic()
                if wait is not None and wait <= 0:
                    return None
                self._exit_seen.wait(0.1 if wait is None else min(wait, 0.1))
            return self._exits[pid]

    def close(self) -> None:
        """Stop the zygote (servers it forked go on and are reaped by the system)."""
        import socket

        try:
            # shutdown, not only close: the reader thread is blocked in recv on this socket,
            # and on Linux closing an fd another thread waits on neither wakes it nor sends
            # the zygote its EOF, so the zygote waited out the 2 s below.
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self._sock.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=2)
        except Exception:
            self.process.kill()
            self.process.wait()


def _pid_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ForkedServer:
    """A zygote's code server, with the part of ``subprocess.Popen``'s interface callers
    use (``pid``, ``poll``, ``wait``, ``send_signal``, ``terminate``, ``kill``,
    ``returncode``; exit codes as Popen reports them)."""

    def __init__(self, zygote: CodeServerZygote, pid: int):
        self.zygote = zygote
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self.zygote.exit_code(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        import subprocess

        if self.returncode is None:
            self.returncode = self.zygote.exit_code(self.pid, timeout)
            if self.returncode is None:
                raise subprocess.TimeoutExpired(f"code server {self.pid}", timeout or 0)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        import signal

        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        import signal

        self.send_signal(signal.SIGKILL)


_DUMP_FRAME = re.compile(r'File "([^"]+)", line (\d+) in <module>')
_DUMP_MARKER = "Timeout ("


def _module_frames_in_dump(text: str) -> list[tuple[str, int]]:
    """User files executing module-level code in a faulthandler dump, outermost first."""
    if _DUMP_MARKER not in text:
        return []
    dump = text[text.rindex(_DUMP_MARKER):]
    return [(f, int(n)) for f, n in reversed(_DUMP_FRAME.findall(dump))
            if not is_loader_frame(f)]


def _module_name_of(filename: str) -> str:
    path = Path(filename)
    return path.parent.name if path.stem == "__init__" else path.stem


def load_repository_snapshot(target: WorkspaceTarget, timeout: float = DEFAULT_LOAD_TIMEOUT,
                             env: dict[str, str] | None = None) -> RepositorySnapshot:
    """Load ``target`` in a fresh ``python -m orch.core.workspace_server`` process.

    Returns the snapshot, or raises :class:`WorkspaceLoadError` whose ``.error`` says what
    went wrong (the user's traceback for an import error; the module still importing when
    ``timeout`` seconds passed). User code never runs in the calling process."""
    with CodeServer(cwd=target.working_directory, env=env) as server:
        return server.load(target, timeout=timeout)
