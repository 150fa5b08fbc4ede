"""Modes: named sets of resources, loggers and executors a pipeline can run with."""

from __future__ import annotations

from typing import Any

from ..errors import DagsterInvalidDefinitionError
from .io_defs import check_valid_name
from .io_manager import mem_io_manager
from .resource import ResourceDefinition

DEFAULT_MODE_NAME = "default"


class ModeDefinition:
    """``ModeDefinition("test", resource_defs={"db": fake_db})``. ``io_manager`` defaults to
    the in-memory IO manager; executors default to every registered executor."""

    def __init__(
        self,
        name: str | None = None,
        resource_defs: dict[str, ResourceDefinition] | None = None,
        logger_defs: dict[str, Any] | None = None,
        executor_defs: list[Any] | None = None,
        description: str | None = None,
    ):
        self.name = check_valid_name(name or DEFAULT_MODE_NAME, "Mode name")
        resources = dict(resource_defs or {})
        for key, definition in resources.items():
            check_valid_name(key, "Resource key")
            if not isinstance(definition, ResourceDefinition):
                raise DagsterInvalidDefinitionError(
                    f'Mode "{self.name}": resource "{key}" must be a ResourceDefinition (use '
                    f"@resource or ResourceDefinition.hardcoded_resource), got {definition!r}."
                )
        self.io_manager_is_default = "io_manager" not in resources
        resources.setdefault("io_manager", mem_io_manager)
        self.resource_defs: dict[str, ResourceDefinition] = resources
        self.logger_defs = dict(logger_defs) if logger_defs else None
        self.executor_defs = list(executor_defs) if executor_defs is not None else None
        self.description = description

    def with_resources(self, resource_defs: dict[str, ResourceDefinition]) -> ModeDefinition:
        """A copy with some resources replaced (the multiprocess executor swaps the default
        in-memory IO manager for a persistent one this way)."""
        return ModeDefinition(self.name, {**self.resource_defs, **resource_defs},
                              self.logger_defs, self.executor_defs, self.description)

    def snapshot(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "resources": sorted(self.resource_defs),
            "loggers": sorted(self.logger_defs or {"console": None}),
        }

    def __repr__(self) -> str:
        return f"ModeDefinition({self.name!r})"
