"""The rules that turn what a user asks for into a run's config, mode, selection and tags —
written once, for every way of starting a run: ``execute_pipeline``/``reexecute_pipeline``,
``orch run``/``launch``/``plan``, watch mode, the code server and the app.

:func:`apply_preset` — a preset (LEGACY_API.md §5) fills in the run config, mode and solid
selection; giving any of them as well is an error unless it equals the preset's (as in Dagster:
``preset="p", mode="m"`` is fine when ``p``'s mode is ``m``). Extra config that the user did
not write as run config — ``--executor``/``--max-concurrent``, the app's executor choice — is
deep-merged into the preset's (or the given) config. Tags: the preset's, then the caller's,
then ``orch/preset_name``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from ..definitions.preset import deep_merge
from ..errors import DagsterInvariantViolationError
from ..runs import PRESET_NAME_TAG


class RunArgs(NamedTuple):
    """A fresh run's config, mode, solid selection and tags (``prepare_run`` keywords)."""

    run_config: dict[str, Any]
    mode: str | None
    solid_selection: list[str] | str | None
    tags: dict[str, Any]

    def as_kwargs(self) -> dict[str, Any]:
        return {"run_config": self.run_config, "mode": self.mode,
                "solid_selection": self.solid_selection, "tags": dict(self.tags)}


def apply_preset(pipeline_def: Any, preset: str | None, *,
                 run_config: Mapping[str, Any] | None = None, mode: str | None = None,
                 solid_selection: Sequence[str] | str | None = None,
                 tags: Mapping[str, Any] | None = None,
                 extra_config: Mapping[str, Any] | None = None,
                 names: Mapping[str, str] | None = None) -> RunArgs:
    """The run config, mode, selection and tags of a fresh run (see the module docstring).
    An unknown preset raises naming the pipeline's presets; a clash raises
    DagsterInvariantViolationError naming what to drop, by the caller's ``names`` for
    ``run_config``, ``mode`` and ``solid_selection`` (a command line's flags)."""
    if preset is None:
        config = dict(run_config or {})
        return RunArgs(deep_merge(config, dict(extra_config)) if extra_config else config,
                       mode, _selection(solid_selection), dict(tags or {}))
    preset_def = pipeline_def.get_preset(preset)
    given = {"run_config": run_config, "mode": mode,
             "solid_selection": _selection(solid_selection)}
    clashes = [name for name, value in given.items()
               if value is not None and value != getattr(preset_def, name)]
    if clashes:
        raise DagsterInvariantViolationError(
            f'Preset "{preset}" of pipeline "{pipeline_def.name}" sets the run config, mode and '
            f"solid selection; do not also pass "
            f"{', '.join((names or {}).get(c, c) for c in clashes)}."
            + ("" if names else " Use preset.with_additional_config(...) to extend its config."))
    config = dict(preset_def.run_config or {})
    return RunArgs(deep_merge(config, dict(extra_config)) if extra_config else config,
                   preset_def.mode, preset_def.solid_selection,
                   {**preset_def.tags, **(tags or {}), PRESET_NAME_TAG: preset})


def _selection(selection: Sequence[str] | str | None) -> list[str] | str | None:
    if selection is None or isinstance(selection, str):
        return selection
    return list(selection)


#: The fields of a code-server launch request (``CodeServer.launch``) that plan the run.
LAUNCH_FIELDS = ("run_config", "extra_config", "mode", "preset", "tags", "solid_selection",
                 "reexecute")


def launch_args(instance: Any, pipeline: Any, *, run_config: dict[str, Any] | None = None,
                extra_config: dict[str, Any] | None = None, mode: str | None = None,
                preset: str | None = None, tags: dict[str, Any] | None = None,
                solid_selection: list[str] | None = None,
                reexecute: dict[str, Any] | None = None
                ) -> tuple[dict[str, Any] | None, str | None]:
    """``create_run`` keywords for a launch in the code server (the app, watch mode), and a
    note: a fresh run by :func:`apply_preset`, or with ``reexecute`` (``parent_run_id``,
    ``step_selection``, ``changed_solids``, ``include_failed``) a child run planned by
    :func:`~orch.core.execution.reexecution.child_run_kwargs` — ``(None, note)`` when it
    has nothing to re-execute."""
    if reexecute:
        from .reexecution import child_run_kwargs

        return child_run_kwargs(instance, pipeline, **reexecute, run_config=run_config,
                                extra_config=extra_config, mode=mode, tags=tags)
    args = apply_preset(pipeline.get_definition(), preset, run_config=run_config, mode=mode,
                        solid_selection=solid_selection, tags=tags,
                        extra_config=extra_config)
    return args.as_kwargs(), None
