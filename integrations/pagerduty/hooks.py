"""``pagerduty_on_failure(severity)`` (dagster-pagerduty 0.13+): a failure hook that triggers an
alert, summary ``Solid <solid> on pipeline <pipeline> failed!``, ``dedup_key``
``<pipeline>|<solid>``, ``source`` the pipeline's name. Requires the ``pagerduty`` resource."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orch.core.definitions.hooks import HookDefinition, failure_hook


def _default_summary_fn(context: Any) -> str:
    return f"Solid {context.solid.name} on pipeline {context.pipeline_name} failed!"


def pagerduty_on_failure(severity: str,
                         summary_fn: Callable[[Any], str] = _default_summary_fn,
                         dagit_base_url: str | None = None) -> HookDefinition:
    """``@pagerduty_on_failure("error")`` on a pipeline, or ``solid.with_hooks({...})``;
    with ``dagit_base_url`` the alert's ``custom_details`` link to the run."""

    @failure_hook(required_resource_keys={"pagerduty"})
    def _hook(context: Any) -> None:
        custom_details: dict[str, str] = {}
        if dagit_base_url:
            custom_details = {"dagit url": f"{dagit_base_url}/instance/runs/{context.run_id}"}
        context.resources.pagerduty.EventV2_create(
            summary=summary_fn(context), source=context.pipeline_name, severity=severity,
            dedup_key=f"{context.pipeline_name}|{context.solid.name}",
            custom_details=custom_details)

    return _hook
