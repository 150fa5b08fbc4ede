"""``snowflake_solid_for_query`` (legacy ``dagster_snowflake.solids``)."""

from __future__ import annotations

from typing import Any

from orch.core.definitions.io_defs import InputDefinition
from orch.core.definitions.solid import solid
from orch.core.definitions.types import Nothing
from orch.core.errors import DagsterInvariantViolationError


def snowflake_solid_for_query(sql: str, parameters: dict[str, Any] | None = None) -> Any:
    """A solid running ``sql`` on the ``snowflake`` resource. Every one is named
    ``snowflake_solid``, as in dagster-snowflake: use ``.alias`` for two in a pipeline."""
    if not isinstance(sql, str):
        raise DagsterInvariantViolationError(f"sql must be a str, got {sql!r}.")
    if parameters is not None and not isinstance(parameters, dict):
        raise DagsterInvariantViolationError(
            f"parameters must be a dict (the query's %(name)s values), got {parameters!r}.")

    @solid(name="snowflake_solid", input_defs=[InputDefinition("start", Nothing)],
           required_resource_keys={"snowflake"}, tags={"kind": "sql", "sql": sql})
    def snowflake_fn(context: Any) -> None:
        context.resources.snowflake.execute_query(sql=sql, parameters=parameters)

    return snowflake_fn
