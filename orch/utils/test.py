"""``orch.utils.test``: the legacy ``dagster.utils.test`` helpers test suites import."""

from __future__ import annotations

from orch.core.execution.api import (
    execute_solid,
    execute_solid_within_pipeline,
    execute_solids_within_pipeline,
)
from orch.core.legacy_helpers import check_dagster_type

__all__ = ["check_dagster_type", "execute_solid", "execute_solid_within_pipeline",
           "execute_solids_within_pipeline"]
