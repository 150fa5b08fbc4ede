"""``define_dagstermill_solid`` (legacy ``dagstermill.solids``): a solid that runs a notebook
with papermill on a real Jupyter kernel.

Each execution copies the notebook with a cell tagged ``injected-parameters`` after the first
cell tagged ``parameters`` (first of all, with a warning, when there is none) that rebuilds the
step's context in the kernel (:mod:`.manager`), runs it with papermill (the kernel's output goes
to the step's stdout and stderr as it arrives, so ``orch dev``'s compute-log pane shows it
live), then yields what the notebook sent back: log records, events, outputs. The executed
notebook is kept at ``ORCH_HOME/storage/notebooks/<run_id>/<step_key>.ipynb`` and materialized
as the asset ``[*asset_key_prefix, "<solid>_output_notebook"]``; with ``output_notebook_name`` it
is also an output (the notebook's bytes) stored by the ``output_notebook_io_manager`` resource.
A failing cell fails the step with the cell's traceback; the partial notebook is kept. A last cell
(``injected-teardown``) tears down the resources the kernel built (:mod:`.engine`).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sys
import tempfile
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from orch.core.definitions.events import AssetMaterialization, Output
from orch.core.definitions.io_defs import InputDefinition, OutputDefinition
from orch.core.definitions.metadata import MetadataValue
from orch.core.definitions.solid import SolidDefinition

from . import manager
from .errors import DagstermillError, DagstermillExecutionError

RESERVED_TAGS = ("notebook_path", "kind")
INJECTED_TAG = "injected-parameters"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def define_dagstermill_solid(
        name: str, notebook_path: str, input_defs: Sequence[InputDefinition] | None = None,
        output_defs: Sequence[OutputDefinition] | None = None, config_schema: Any = None,
        required_resource_keys: set[str] | None = None, output_notebook: str | None = None,
        output_notebook_name: str | None = None, asset_key_prefix: Any = None,
        description: str | None = None, tags: Mapping[str, Any] | None = None,
        kernel_name: str | None = None) -> SolidDefinition:
    """A solid backed by the notebook at ``notebook_path`` (see the module docstring).
    ``kernel_name`` (orch) picks the Jupyter kernel; default: the notebook's kernelspec."""
    if output_notebook is not None:
        raise DagstermillError(
            "output_notebook (a file_manager output, deprecated in dagstermill 0.12) is not "
            "supported: use output_notebook_name with local_output_notebook_io_manager.")
    user_tags = dict(tags or {})
    for key in RESERVED_TAGS:
        if key in user_tags:
            from orch.core.errors import DagsterInvariantViolationError

            raise DagsterInvariantViolationError(
                f"user-defined solid tags contains the `{key}` key, which is reserved by "
                "dagstermill (notebook_path, kind).")
    outputs = list(output_defs or [])
    resource_keys = set(required_resource_keys or ())
    if output_notebook_name is not None:
        outputs.append(OutputDefinition(name=output_notebook_name,
                                        io_manager_key="output_notebook_io_manager"))
        resource_keys.add("output_notebook_io_manager")
    prefix = [asset_key_prefix] if isinstance(asset_key_prefix, str) else \
        list(asset_key_prefix or [])
    runner = _NotebookRunner(name, notebook_path, [o.name for o in output_defs or []],
                             output_notebook_name, prefix, kernel_name)
    solid_def = SolidDefinition(
        name=name, input_defs=list(input_defs or []), compute_fn=runner, output_defs=outputs,
        config_schema=config_schema, required_resource_keys=resource_keys,
        description=description or f"This solid is backed by the notebook at {notebook_path}",
        tags={**user_tags, "notebook_path": notebook_path, "kind": "ipynb"})
    # a saved notebook is a code change of this solid (core/definitions/pipeline.py)
    solid_def.code_files = (os.path.abspath(notebook_path),)  # type: ignore[attr-defined]
    return solid_def


define_dagstermill_op = define_dagstermill_solid


class _NotebookRunner:
    """The compute function of a notebook solid."""

    def __init__(self, name: str, notebook_path: str, output_names: list[str],
                 output_notebook_name: str | None, asset_key_prefix: list[str],
                 kernel_name: str | None) -> None:
        self.name = name
        self.notebook_path = notebook_path
        self.output_names = output_names
        self.output_notebook_name = output_notebook_name
        self.asset_key_prefix = asset_key_prefix
        self.kernel_name = kernel_name

    def __call__(self, context: Any, inputs: dict[str, Any]) -> Iterator[Any]:
        if not os.path.isfile(self.notebook_path):
            raise DagstermillError(f"Notebook {self.notebook_path} (solid {self.name}) does "
                                   "not exist.")
        kept = _kept_notebook_path(context)
        work = Path(tempfile.mkdtemp(prefix="orch-notebook-"))
        try:
            step_file = self._write_step_file(context, inputs, work)
            source = work / "input.ipynb"
            _inject(self.notebook_path, source, step_file, list(inputs), context.log,
                    _code_paths(context))
            self._execute(context, source, kept, _KernelLog(context, work / manager.LOG_FILE))
            if self.output_notebook_name is not None:  # stored and materialized by its manager
                yield Output(kept.read_bytes(), self.output_notebook_name)
            else:
                yield AssetMaterialization(
                    asset_key=[*self.asset_key_prefix, f"{self.name}_output_notebook"],
                    description="Location of output notebook in file manager",
                    metadata={"path": MetadataValue.path(str(kept))})
            yield from self._results(context, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _write_step_file(self, context: Any, inputs: dict[str, Any], work: Path) -> Path:
        from orch.core.execution.resources import resolved_resource_config

        resources: dict[str, Any] = {}
        rebuild: dict[str, Any] = {}
        keys = set(context.solid_def.required_resource_keys) - {"output_notebook_io_manager"}
        mode_def = context._run.mode_def
        for key in sorted(keys):
            value = getattr(context.resources, key)
            try:
                manager.dumps(value)
                resources[key] = value
            except Exception:  # a client, a connection: built again in the kernel
                rebuild[key] = resolved_resource_config(context._run, key,
                                                        mode_def.resource_defs[key])
        run = context.pipeline_run
        payload = {
            "run_id": context.run_id, "pipeline_name": context.pipeline_name,
            "step_key": context.step_key, "solid_name": self.name,
            "solid_config": context.solid_config, "run_config": run.run_config,
            "tags": dict(run.tags or {}), "mode": run.mode, "inputs": inputs,
            "outputs": self.output_names, "resources": resources, "rebuild": rebuild,
            "origin": run.pipeline_origin, "work_dir": str(work), "cwd": os.getcwd(),
        }
        path = work / manager.STEP_FILE
        manager._dump(path, payload)  # may hold resolved secrets: 0600, deleted after the step
        return path

    def _execute(self, context: Any, source: Path, kept: Path, kernel_log: _KernelLog) -> None:
        import papermill
        from papermill.exceptions import PapermillExecutionError

        from . import engine

        # The kernel's output, as each iopub message arrives (papermill's log_output): its
        # stdout (and papermill's cell markers) to the step's stdout, its stderr (papermill
        # logs it as warnings; Spark's log4j lines come that way) to the step's stderr. The
        # kernel's context.log records become the step's log lines then too, where they fall.
        handlers = _stream_handlers(kernel_log)
        pm_log = logging.getLogger("papermill")
        for handler in handlers:
            pm_log.addHandler(handler)
        level, pm_log.level = pm_log.level, logging.INFO
        try:
            papermill.execute_notebook(str(source), str(kept), kernel_name=self.kernel_name,
                                       engine_name=engine.register(), log_output=True,
                                       progress_bar=False)
        except PapermillExecutionError as e:
            raise DagstermillExecutionError(_failure_message(self.name, e, kept)) from None
        finally:
            for handler in handlers:
                pm_log.removeHandler(handler)
            pm_log.setLevel(level)
            kernel_log.forward()  # the rest (a failing notebook's too)
        context.log.info(f"Executed notebook {self.notebook_path}: {kept}")

    def _results(self, context: Any, work: Path) -> Iterator[Any]:
        for name in self.output_names:
            path = work / f"output-{name}.pkl"
            if path.exists():
                yield Output(manager._load(path), name)
        for path in sorted(work.glob("event-*.pkl")):
            event = manager._load(path)
            if type(event).__name__ in ("Failure", "RetryRequested"):
                raise event
            yield event


class _StreamText(logging.Formatter):
    """A stream message's text as the kernel wrote it: ``print`` ends it with a newline, which
    the handler's own would double into a blank line after every line."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text[:-1] if text.endswith("\n") else text


class _KernelLog:
    """The kernel's ``context.log`` records (``log.jsonl``: the notebook's and its resources'),
    forwarded to the step's log as the kernel's output arrives, so each falls where it was
    written in the step's output (and ``orch dev`` shows it live). The kernel writes a record,
    then prints it (``LEVEL - message``) for the notebook's own output: that print is the log
    line, shown once, not copied into the step's stdout as well."""

    def __init__(self, context: Any, path: Path) -> None:
        self.context = context
        self.path = path
        self.offset = 0
        self.printed: deque[str] = deque(maxlen=100)  # forwarded, their print not seen yet

    def _pending(self) -> list[tuple[int, dict[str, Any]]]:
        """The records not forwarded yet, each with the offset after it."""
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return []
        records, at = [], self.offset
        for line in data.splitlines(keepends=True):
            if not line.endswith(b"\n"):  # being written
                break
            at += len(line)
            records.append((at, json.loads(line)))
        return records

    def forward(self, records: list[tuple[int, dict[str, Any]]] | None = None) -> None:
        for at, record in self._pending() if records is None else records:
            self.context.log.log(record["level"], record["message"])
            self.printed.append(_printed(record))
            self.offset = at

    def is_print_of_a_record(self, text: str) -> bool:
        """Whether ``text`` is the kernel's print of a record (forwarded now if it was not)."""
        if text not in self.printed:
            pending = self._pending()
            match = next((i for i, (_, r) in enumerate(pending) if _printed(r) == text), None)
            if match is None:
                return False
            self.forward(pending[:match + 1])
        self.printed.remove(text)
        return True


def _printed(record: dict[str, Any]) -> str:
    return f"{logging.getLevelName(record['level'])} - {record['message']}"


class _KernelStream(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream of the kernel's output; with a :class:`_KernelLog`, the records the kernel
    logged up to this output become the step's log lines after it."""

    def __init__(self, stream: Any, kernel_log: _KernelLog | None) -> None:
        super().__init__(stream)
        self.kernel_log = kernel_log

    def emit(self, record: logging.LogRecord) -> None:
        if self.kernel_log is None:
            super().emit(record)
        elif not self.kernel_log.is_print_of_a_record(self.format(record)):
            super().emit(record)
            self.kernel_log.forward()


def _stream_handlers(kernel_log: _KernelLog | None = None) -> list[logging.Handler]:
    out = _KernelStream(sys.stdout, kernel_log)
    out.addFilter(lambda record: record.levelno < logging.WARNING)
    err = _KernelStream(sys.stderr, kernel_log)
    err.setLevel(logging.WARNING)
    for handler in (out, err):
        handler.setFormatter(_StreamText("%(message)s"))
    return [out, err]


def _kept_notebook_path(context: Any) -> Path:
    folder = Path(context.instance.storage_dir) / "notebooks" / context.run_id
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{context.step_key}.ipynb"


def _code_paths(context: Any) -> tuple[str, ...]:
    """Where the run's code is imported from: its working directory and the file's folder."""
    origin = context.pipeline_run.pipeline_origin or {}
    paths = [origin.get("working_directory") or os.getcwd()]
    if origin.get("python_file"):
        paths.append(str(Path(origin["python_file"]).resolve().parent))
    return tuple(dict.fromkeys(p for p in paths if p))


def _inject(notebook_path: str, target: Path, step_file: Path, input_names: list[str],
            log: Any, paths: tuple[str, ...] = ()) -> None:
    """Write the notebook with the ``injected-parameters`` cell to ``target``."""
    import nbformat

    nb = nbformat.read(notebook_path, as_version=4)
    lines = ["# Injected parameters", "import orch.integrations.notebook.manager as __orch_dm",
             f"context = __orch_dm._reconstitute({str(step_file)!r}, {paths!r})"]
    lines += [f"{name} = __orch_dm._load_input({name!r})" for name in input_names]
    cell = nbformat.v4.new_code_cell("\n".join(lines))
    cell.metadata["tags"] = [INJECTED_TAG]
    nb.cells = [c for c in nb.cells if INJECTED_TAG not in c.metadata.get("tags", [])]
    where = next((i + 1 for i, c in enumerate(nb.cells)
                  if "parameters" in c.metadata.get("tags", [])), None)
    if where is None:
        log.warning(f"Notebook {notebook_path} has no cell tagged 'parameters': the injected "
                    "parameters go first.")
        where = 0
    nb.cells.insert(where, cell)
    nbformat.write(nb, str(target))


def _failure_message(name: str, error: Any, kept: Path) -> str:
    trace = _ANSI.sub("", "\n".join(error.traceback or []))
    hint = ""
    if error.ename in ("Failure", "RetryRequested"):
        hint = (f"\nTo raise {error.ename} from a notebook, pass it to "
                "yield_event(...) instead of raising it.")
    return (f"Error occurred during the execution of Dagstermill solid {name}: "
            f"{error.ename}: {error.evalue} (cell {error.exec_count}). The partial notebook is "
            f"{kept}{hint}\n{trace}")
