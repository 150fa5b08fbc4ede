"""``make_slack_on_pipeline_failure_sensor`` / ``make_slack_on_run_failure_sensor`` (legacy
``dagster_slack.sensors``): a run-failure sensor posting ``text`` and ``blocks`` for each failed
run. The default text names the pipeline, the run, its mode and the failure's message."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from orch.core.definitions.sensors import RunStatusSensorDefinition, pipeline_failure_sensor

from .resources import web_client


def _default_failure_message(context: Any) -> str:
    run = context.pipeline_run
    return "\n".join([f"Pipeline {run.pipeline_name} failed!", f"Run ID: {run.run_id}",
                      f"Mode: {run.mode}", f"Error: {context.failure_event.message}"])


def _blocks_and_text(context: Any, text_fn: Callable[[Any], str],
                     blocks_fn: Callable[[Any], list[dict[str, Any]]] | None,
                     dagit_base_url: str | None) -> tuple[list[dict[str, Any]], str]:
    text = text_fn(context)
    run = context.pipeline_run
    if blocks_fn:
        blocks = list(blocks_fn(context))
    else:
        blocks = [
            {"type": "section", "text": {"type": "mrkdwn", "text":
                f'*Pipeline "{run.pipeline_name}" failed. `{run.run_id.split("-")[0]}`*'}},
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        ]
    if dagit_base_url:
        blocks.append({"type": "actions", "elements": [{
            "type": "button", "text": {"type": "plain_text", "text": "View in Dagit"},
            "url": f"{dagit_base_url}/instance/runs/{run.run_id}"}]})
    return blocks, text


def make_slack_on_pipeline_failure_sensor(
        channel: str, slack_token: str,
        text_fn: Callable[[Any], str] = _default_failure_message,
        blocks_fn: Callable[[Any], list[dict[str, Any]]] | None = None,
        pipeline_selection: Sequence[str] | None = None, name: str | None = None,
        dagit_base_url: str | None = None, default_status: Any = None,
        base_url: str | None = None) -> RunStatusSensorDefinition:
    """A sensor (default name ``slack_on_pipeline_failure``) posting to ``channel`` once per
    failed run of ``pipeline_selection`` (default: the pipelines of its repository)."""
    client: list[Any] = []  # built on the first alert: slack_sdk loads only when needed

    def slack_on_pipeline_failure(context: Any) -> None:
        if not client:
            client.append(web_client(slack_token, base_url))
        blocks, text = _blocks_and_text(context, text_fn, blocks_fn, dagit_base_url)
        client[0].chat_postMessage(channel=channel, blocks=blocks, text=text)

    return pipeline_failure_sensor(name=name or "slack_on_pipeline_failure",
                                   pipeline_selection=pipeline_selection,
                                   default_status=default_status)(slack_on_pipeline_failure)


def make_slack_on_run_failure_sensor(
        channel: str, slack_token: str,
        text_fn: Callable[[Any], str] = _default_failure_message,
        blocks_fn: Callable[[Any], list[dict[str, Any]]] | None = None,
        name: str | None = None, dagit_base_url: str | None = None,
        job_selection: Sequence[Any] | None = None, default_status: Any = None,
        base_url: str | None = None) -> RunStatusSensorDefinition:
    """The 0.13+ name: default sensor name ``slack_on_run_failure``, ``job_selection``."""
    selection = [getattr(j, "name", j) for j in job_selection] if job_selection else None
    return make_slack_on_pipeline_failure_sensor(
        channel, slack_token, text_fn, blocks_fn, selection, name or "slack_on_run_failure",
        dagit_base_url, default_status, base_url)
