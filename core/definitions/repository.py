"""Repositories: named collections of pipelines, partition sets, schedules and sensors.

Pipelines (and partition sets) given as functions in the dict form load on first use;
schedules and sensors are built when the repository is, so that their partition sets are
collected and their target pipelines checked up front."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import DagsterInvalidDefinitionError, DagsterInvariantViolationError
from .io_defs import check_valid_name
from .pipeline import PipelineDefinition

_KINDS = ("pipelines", "schedules", "sensors", "partition_sets", "jobs")


class RepositoryDefinition:
    """Pipelines by name, loaded lazily when given as functions (the dict form)."""

    def __init__(self, name: str, loaders: dict[str, dict[str, Any]],
                 description: str | None = None):
        self.name = check_valid_name(name, "Repository name")
        self.description = description
        self._loaders = loaders
        self._loaded: dict[tuple[str, str], Any] = {}

    @property
    def pipeline_names(self) -> list[str]:
        return sorted(self._loaders.get("pipelines", {}))

    def has_pipeline(self, name: str) -> bool:
        return name in self._loaders.get("pipelines", {})

    def get_pipeline(self, name: str) -> PipelineDefinition:
        return self._get("pipelines", name)

    def get_all_pipelines(self) -> list[PipelineDefinition]:
        return [self.get_pipeline(n) for n in self.pipeline_names]

    def names_of(self, kind: str) -> list[str]:
        """The names of one kind of definition, without loading any."""
        return sorted(self._loaders.get(kind, {}))

    @property
    def schedule_defs(self) -> list[Any]:
        return self.definitions_of("schedules")

    @property
    def sensor_defs(self) -> list[Any]:
        return self.definitions_of("sensors")

    @property
    def partition_set_defs(self) -> list[Any]:
        return self.definitions_of("partition_sets")

    def get_schedule_def(self, name: str) -> Any:
        return self._get("schedules", name)

    def get_sensor_def(self, name: str) -> Any:
        return self._get("sensors", name)

    def get_partition_set_def(self, name: str) -> Any:
        return self._get("partition_sets", name)

    def has_schedule_def(self, name: str) -> bool:
        return name in self._loaders.get("schedules", {})

    def has_sensor_def(self, name: str) -> bool:
        return name in self._loaders.get("sensors", {})

    def definitions_of(self, kind: str) -> list[Any]:
        return [self._get(kind, n) for n in sorted(self._loaders.get(kind, {}))]

    def _get(self, kind: str, name: str) -> Any:
        entries = self._loaders.get(kind, {})
        if name not in entries:
            raise DagsterInvariantViolationError(
                f'Could not find {kind[:-1]} "{name}" in repository "{self.name}". '
                f"Available: {sorted(entries)}."
            )
        key = (kind, name)
        if key not in self._loaded:
            value = entries[name]
            if callable(value) and not isinstance(value, PipelineDefinition) and \
                    not hasattr(value, "name"):
                value = value()
            if kind == "pipelines" and not isinstance(value, PipelineDefinition):
                raise DagsterInvariantViolationError(
                    f'Repository "{self.name}": the loader for pipeline "{name}" returned '
                    f"{type(value).__name__}, not a PipelineDefinition."
                )
            if kind == "pipelines" and value.name != name:
                raise DagsterInvariantViolationError(
                    f'Repository "{self.name}": key "{name}" loads pipeline "{value.name}"; '
                    "the key must match the pipeline name."
                )
            self._loaded[key] = value
        return self._loaded[key]


def repository(name: str | Callable[..., Any] | None = None, description: str | None = None):
    """``@repository def repo(): return [pipeline_a, pipeline_b]`` or the lazy dict form
    ``{"pipelines": {"a": lambda: pipeline_a}}``."""

    def wrap(fn: Callable[[], Any]) -> RepositoryDefinition:
        repo_name = name if isinstance(name, str) else fn.__name__
        returned = fn()
        loaders: dict[str, dict[str, Any]] = {k: {} for k in _KINDS}
        if isinstance(returned, dict):
            unknown = set(returned) - set(_KINDS)
            if unknown:
                raise DagsterInvalidDefinitionError(
                    f'Repository "{repo_name}": unknown keys {sorted(unknown)}; use '
                    f"{list(_KINDS)}."
                )
            for kind, entries in returned.items():
                loaders[kind] = dict(entries)
        elif isinstance(returned, list | tuple):
            for definition in returned:
                kind = _kind_of(definition, repo_name)
                if definition.name in loaders[kind]:
                    raise DagsterInvalidDefinitionError(
                        f'Repository "{repo_name}" has two {kind} named "{definition.name}".'
                    )
                loaders[kind][definition.name] = definition
        else:
            raise DagsterInvalidDefinitionError(
                f'Repository "{repo_name}" must return a list of definitions or a dict '
                f"{{'pipelines': {{name: fn}}}}, got {type(returned).__name__}."
            )
        _check_instigators(repo_name, loaders)
        return RepositoryDefinition(repo_name, loaders, description or fn.__doc__)

    if callable(name):
        fn, name = name, None
        return wrap(fn)
    return wrap


def _kind_of(definition: Any, repo_name: str) -> str:
    if isinstance(definition, PipelineDefinition):
        return "pipelines"
    kind = getattr(definition, "repository_kind", None)
    if kind in _KINDS:
        return kind
    raise DagsterInvalidDefinitionError(
        f'Repository "{repo_name}" got {definition!r}; it accepts pipelines, schedules and '
        "sensors."
    )


def _check_instigators(repo_name: str, loaders: dict[str, dict[str, Any]]) -> None:
    """Build the schedules and sensors (dict form: they may be functions), register the
    partition set of each partitioned schedule, and check every target pipeline exists.
    Schedules and sensors share one name space."""
    for kind in ("schedules", "sensors"):
        for key, value in list(loaders[kind].items()):
            if callable(value) and not hasattr(value, "repository_kind"):
                value = value()
            if getattr(value, "repository_kind", None) != kind:
                raise DagsterInvalidDefinitionError(
                    f'Repository "{repo_name}": {kind} entry "{key}" is {value!r}, not a '
                    f"{kind[:-1]} definition.")
            loaders[kind][key] = value
    clash = sorted(set(loaders["schedules"]) & set(loaders["sensors"]))
    if clash:
        raise DagsterInvalidDefinitionError(
            f'Repository "{repo_name}": schedules and sensors share one name space; '
            f"{', '.join(repr(n) for n in clash)} is both.")
    for schedule_def in loaders["schedules"].values():
        get_set = getattr(schedule_def, "get_partition_set", None)
        if get_set is None:
            continue
        partition_set = get_set()
        known = loaders["partition_sets"].get(partition_set.name)
        if known is not None and known is not partition_set:
            raise DagsterInvalidDefinitionError(
                f'Repository "{repo_name}": duplicate partition set definition found for '
                f'"{partition_set.name}" (the partitioned schedule "{schedule_def.name}" '
                "defines its own).")
        loaders["partition_sets"][partition_set.name] = partition_set
    pipelines = loaders.get("pipelines", {})
    for kind in ("schedules", "sensors", "partition_sets"):
        for definition in loaders[kind].values():
            if not hasattr(definition, "repository_kind"):
                continue  # a lazily built partition set: checked when it loads
            target = getattr(definition, "pipeline_name", None)
            if target is not None and target not in pipelines:
                label = {"schedules": "Schedule", "sensors": "Sensor",
                         "partition_sets": "Partition set"}[kind]
                raise DagsterInvalidDefinitionError(
                    f'{label} "{definition.name}" targets pipeline "{target}" which was not '
                    f'found in repository "{repo_name}". Pipelines there: '
                    f"{', '.join(sorted(pipelines)) or 'none'}.")
