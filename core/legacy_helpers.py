"""Small helpers the legacy API exported at the top level, so files written for it run
unchanged: paths next to a module, IO-manager contexts for tests, config validation without a
run, a one-off type check, and the ``@configured`` decorator."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from typing import Any, cast

from .definitions.events import TypeCheck
from .definitions.types import resolve_dagster_type
from .execution.context import InputContext, OutputContext, Resources
from .instance import Instance


def file_relative_path(dunderfile: str, relative_path: str) -> str:
    """``file_relative_path(__file__, "data/orders.csv")``: a path next to the calling module."""
    return os.path.join(os.path.dirname(dunderfile), relative_path)


def build_output_context(step_key: str = "test_step", name: str = "result",
                         metadata: dict[str, Any] | None = None, run_id: str = "test_run",
                         mapping_key: str | None = None, config: Any = None,
                         dagster_type: Any = None, version: str | None = None,
                         resource_config: Any = None,
                         resources: dict[str, Any] | None = None) -> OutputContext:
    """An OutputContext for testing an IO manager's ``handle_output`` directly."""
    return OutputContext(step_key=step_key, name=name, run_id=run_id, mapping_key=mapping_key,
                         metadata=metadata or {}, config=config,
                         dagster_type=resolve_dagster_type(dagster_type) if dagster_type
                         else None, version=version, resource_config=resource_config,
                         resources=Resources(dict(resources or {})))


def build_input_context(name: str = "input", config: Any = None,
                        metadata: dict[str, Any] | None = None,
                        upstream_output: OutputContext | None = None, dagster_type: Any = None,
                        resource_config: Any = None,
                        resources: dict[str, Any] | None = None) -> InputContext:
    """An InputContext for testing an IO manager's ``load_input`` directly."""
    return InputContext(name=name, config=config, metadata=metadata or {},
                        upstream_output=upstream_output,
                        dagster_type=resolve_dagster_type(dagster_type) if dagster_type
                        else None, resource_config=resource_config,
                        resources=Resources(dict(resources or {})))


def validate_run_config(pipeline_def: Any, run_config: dict[str, Any] | None = None,
                        mode: str | None = None) -> dict[str, Any]:
    """The processed run config (defaults filled), or DagsterInvalidConfigError listing every
    problem — without running anything."""
    from .execution.run_config import resolve_run_config

    return resolve_run_config(pipeline_def, pipeline_def.get_mode_definition(mode), run_config)


def check_dagster_type(dagster_type: Any, value: Any) -> TypeCheck:
    """Run a type's check on a value outside a pipeline."""
    return resolve_dagster_type(dagster_type).type_check(None, value)


def configured(configurable: Any, config_schema: Any = None, **kwargs: Any
               ) -> Callable[[Callable[[Any], Any]], Any]:
    """``@configured(my_resource, {"env": str}) def dev(config): return {...}``: the function
    maps the new (smaller) config to the original one; or ``configured(my_solid,
    name="fixed")({...})`` with the config itself. Solids take their name from ``name=`` or
    the function."""

    def wrap(config_or_fn: Any) -> Any:
        from .definitions.solid import NodeDefinition

        if isinstance(configurable, NodeDefinition):
            name = kwargs.get("name") or getattr(config_or_fn, "__name__", None)
            configure = cast(Any, configurable).configured  # solids and composites have it
            return configure(config_or_fn, name=name, config_schema=config_schema)
        return configurable.configured(config_or_fn, config_schema=config_schema)

    return wrap


class EventLogEntry:
    """One stored event in the legacy shape: ``dagster_event`` is the structured event (None
    for a user's log line); everything else reads through to the record."""

    def __init__(self, record: Any):
        self._record = record
        self.dagster_event = record if record.is_dagster_event else None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._record, name)

    @property
    def user_message(self) -> str:
        return self._record.message

    @property
    def is_dagster_event(self) -> bool:
        return self.dagster_event is not None


class DagsterInstance(Instance):
    """The legacy instance API over orch's :class:`Instance`: ``DagsterInstance.get()`` (from
    ``ORCH_HOME``), ``.ephemeral()``, ``.local_temp()``, ``get_run_by_id``, ``all_logs``."""

    @classmethod
    def local_temp(cls, tempdir: str | None = None,
                   overrides: dict[str, Any] | None = None) -> DagsterInstance:
        """A persistent instance in a fresh temporary directory (or ``tempdir``)."""
        root = tempdir or tempfile.mkdtemp(prefix="orch-local-temp-")
        if overrides:
            import yaml

            with open(os.path.join(root, "orch.yaml"), "w") as f:
                yaml.safe_dump(overrides, f)
        return cls.from_home(root)

    def get_run_by_id(self, run_id: str) -> Any:
        return self.get_run(run_id)

    def has_run(self, run_id: str) -> bool:
        return self.get_run(run_id) is not None

    def all_logs(self, run_id: str, of_type: Any = None) -> list[EventLogEntry]:
        return [EventLogEntry(r) for r in self.get_logs_for_run(run_id, of_type=of_type)]
