"""``slack_on_failure`` / ``slack_on_success`` (legacy ``dagster_slack.hooks``): hooks posting
``Solid <solid> on pipeline <pipeline> failed!`` (or ``succeeded!``) and ``Run ID: <run_id>`` to a
channel through the ``slack`` resource; with ``dagit_base_url``, a link to the run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orch.core.definitions.hooks import HookDefinition, failure_hook, success_hook


def _default_status_message(context: Any, status: str) -> str:
    return (f"Solid {context.solid.name} on pipeline {context.pipeline_name} {status}!\n"
            f"Run ID: {context.run_id}")


def _default_failure_message(context: Any) -> str:
    return _default_status_message(context, "failed")


def _default_success_message(context: Any) -> str:
    return _default_status_message(context, "succeeded")


def _post(context: Any, channel: str, text: str, dagit_base_url: str | None) -> None:
    if dagit_base_url:
        text += f"\n<{dagit_base_url}/instance/runs/{context.run_id}|View in Dagit>"
    context.resources.slack.chat_postMessage(channel=channel, text=text)


def slack_on_failure(channel: str,
                     message_fn: Callable[[Any], str] = _default_failure_message,
                     dagit_base_url: str | None = None) -> HookDefinition:
    """A failure hook: ``@slack_on_failure("#alerts")`` on a pipeline, or per solid with
    ``.with_hooks({slack_on_failure("#alerts")})``."""

    @failure_hook(required_resource_keys={"slack"})
    def _hook(context: Any) -> None:
        _post(context, channel, message_fn(context), dagit_base_url)

    return _hook


def slack_on_success(channel: str,
                     message_fn: Callable[[Any], str] = _default_success_message,
                     dagit_base_url: str | None = None) -> HookDefinition:
    """A success hook posting to ``channel``."""

    @success_hook(required_resource_keys={"slack"})
    def _hook(context: Any) -> None:
        _post(context, channel, message_fn(context), dagit_base_url)

    return _hook
