"""What a command line asks to run, built once from its options and checked there.

:class:`LaunchRequest` is everything ``orch run``, ``orch launch``, ``orch plan`` and
``orch run --watch`` need to create a run; :class:`OutputOptions` and :class:`WatchOptions`
are how ``orch run`` shows it and re-runs it. Each is immutable (a typed NamedTuple: defining
one at import costs ~0.1 ms, a frozen dataclass ~1 ms, and ``orch run`` starts in ~0.17 s):
commands pass one object instead of forwarding a dozen keywords. Bad combinations of flags exit 2 when the request is built,
before any code is loaded. The rules that need the code (presets, re-execution) are the
core's (``orch.core.execution.run_request``, ``orch.core.execution.reexecution``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from ._common import (
    execution_config,
    fail,
    load_config_files,
    make_target,
    parse_tags,
    require_mode,
    target_code_location,
)

EXECUTORS = ("in_process", "multiprocess", "dask")
PRESET_CLASH_FLAGS = {"run_config": "-c/--config", "mode": "--mode",
                      "solid_selection": "-s/--solid-selection"}


class CodeLocation(NamedTuple):
    """``-f``/``-m``/``-a``/``-d``: where the user's code is (all None: not given)."""

    python_file: str | None = None
    module_name: str | None = None
    attribute: str | None = None
    working_directory: str | None = None

    @property
    def given(self) -> bool:
        return bool(self.python_file or self.module_name)

    def target(self) -> Any:
        """The WorkspaceTarget, or exit 2 with the reason."""
        return make_target(self.python_file, self.module_name, self.attribute,
                           self.working_directory)

    def root(self) -> str | None:
        """The folder the code lives in (which instance it belongs to), or None."""
        return target_code_location(self.python_file, self.module_name, self.attribute,
                                    self.working_directory)


class LaunchRequest(NamedTuple):
    """One run to create: a fresh run of ``pipeline``, or with ``parent`` (a run id, its
    start, or ``latest``) a re-execution of it — ``selection`` is then a step selection."""

    code: CodeLocation = CodeLocation()
    pipeline: str | None = None
    config_files: tuple[str, ...] = ()
    preset: str | None = None
    mode: str | None = None
    tags: Mapping[str, str] = MappingProxyType({})
    selection: str | None = None
    executor: str | None = None
    max_concurrent: int | None = None
    parent: str | None = None
    from_failure: bool = False
    dask_address: str | None = None

    @classmethod
    def from_options(cls, *, python_file: str | None = None, module_name: str | None = None,
                     attribute: str | None = None, working_directory: str | None = None,
                     pipeline: str | None = None, config: list[str] | None = None,
                     preset: str | None = None, mode: str | None = None,
                     tags: str | None = None, selection: str | None = None,
                     executor: str | None = None, max_concurrent: int | None = None,
                     parent: str | None = None, from_failure: bool = False,
                     dask_address: str | None = None) -> LaunchRequest:
        """The request from the command's flags; exit 2 naming a bad flag or combination."""
        if executor is not None and executor not in EXECUTORS:
            fail(f'Unknown executor "{executor}". Choose {", ".join(EXECUTORS[:-1])} or '
                 f"{EXECUTORS[-1]}.")
        if parent is None and from_failure:
            fail("--from-failure re-executes an earlier run: give it with --parent RUN_ID.")
        if parent is not None and from_failure and selection:
            fail("Give either --from-failure or -s (a step selection), not both.")
        if parent is not None and preset:
            fail("--preset does not apply to a re-execution: it reuses the parent run's config "
                 "(override with -c).")
        request = cls(CodeLocation(python_file, module_name, attribute, working_directory),
                      pipeline, tuple(config or ()), preset, mode, parse_tags(tags), selection,
                      executor, max_concurrent, parent, from_failure, dask_address)
        request.extra_config  # noqa: B018  (checks --executor with the options for one)
        return request

    @property
    def extra_config(self) -> dict[str, Any] | None:
        """``execution:`` run config from --executor / --max-concurrent / --dask-address
        (None if none of them)."""
        return execution_config(self.executor, self.max_concurrent, self.dask_address)

    @property
    def solid_selection(self) -> list[str] | None:
        if self.parent is not None or not self.selection:
            return None
        return [c.strip() for c in self.selection.split(",") if c.strip()] or None

    def run_config(self) -> dict[str, Any] | None:
        """The -c files, deep-merged in order (None if none); exit 2 naming a bad file."""
        return load_config_files(list(self.config_files))

    def fresh_run_args(self, pipeline_def: Any) -> dict[str, Any]:
        """``prepare_run`` keywords for a fresh run, by the core's preset rules
        (``orch.core.execution.run_request.apply_preset``): --executor/--tags add to a
        preset; -c, --mode or -s that differ from it are an error (exit 2)."""
        from orch.core.errors import DagsterError
        from orch.core.execution.run_request import apply_preset

        if self.preset is None:
            require_mode(pipeline_def, self.mode, presets_apply=True)
        try:
            return apply_preset(pipeline_def, self.preset, run_config=self.run_config(),
                                mode=self.mode, solid_selection=self.solid_selection,
                                tags=self.tags, extra_config=self.extra_config,
                                names=PRESET_CLASH_FLAGS).as_kwargs()
        except DagsterError as e:
            fail(str(e))

    def child_run_args(self, instance: Any, pipeline: Any, parent_run: Any) -> dict[str, Any]:
        """``prepare_run`` keywords for a re-execution of ``parent_run`` (its config unless
        -c is given, with --executor merged in; -s the steps, or --from-failure)."""
        from orch.core.errors import DagsterError
        from orch.core.execution.reexecution import reexecution_args

        try:
            return reexecution_args(instance, pipeline, parent_run.run_id,
                                    step_selection=self.selection,
                                    from_failure=self.from_failure,
                                    run_config=self.run_config(), mode=self.mode,
                                    tags=dict(self.tags), extra_config=self.extra_config)
        except DagsterError as e:
            fail(str(e))

    def target_for(self, parent_run: Any) -> Any:
        """Where to load a re-execution's code from: -f/-m if given, else where the parent
        run's code came from; exit 2 if neither is known, or if -p names another pipeline."""
        from orch.core.workspace import WorkspaceTarget

        if self.pipeline and self.pipeline != parent_run.pipeline_name:
            fail(f'Run {parent_run.run_id} is a run of "{parent_run.pipeline_name}", not '
                 f'"{self.pipeline}".')
        if self.code.given:
            return self.code.target()
        if parent_run.pipeline_origin:
            return WorkspaceTarget.from_origin(parent_run.pipeline_origin)
        fail(f"Run {parent_run.run_id} does not record where its code came from; give -f or -m.")


class OutputOptions(NamedTuple):
    """How ``orch run`` shows a run: ``--json``, ``--junit``, ``-v``, ``-q``."""

    json_output: bool = False
    junit: str | None = None
    verbose: bool = False
    quiet: bool = False


class WatchOptions(NamedTuple):
    """``--changed`` and ``--load-timeout`` of ``orch run --watch``."""

    changed: bool = False
    load_timeout: float = 60.0
