"""``slack_resource`` (legacy ``dagster_slack.resources``): a ``slack_sdk.WebClient`` built from
``token`` (and, in orch, ``base_url``); ``context.resources.slack.chat_postMessage(...)``."""

from __future__ import annotations

from typing import Any

from orch.core.config import Field, StringSource
from orch.core.definitions.resource import resource

DEFAULT_BASE_URL = "https://slack.com/api/"


def web_client(token: str | None, base_url: str | None = None) -> Any:
    from slack_sdk.web.client import WebClient

    url = base_url or DEFAULT_BASE_URL
    return WebClient(token=token, base_url=url if url.endswith("/") else url + "/")


@resource(
    config_schema={
        "token": Field(StringSource, description="A Slack bot or user token (xoxb-…); give it "
                                                 "as {env: SLACK_TOKEN} to keep it out of files."),
        "base_url": Field(StringSource, is_required=False, default_value=DEFAULT_BASE_URL,
                          description="orch: the Web API's base URL."),
    },
    description="This resource is for connecting to Slack",
)
def slack_resource(context: Any) -> Any:
    """``context.resources.slack.chat_postMessage(channel="#noise", text=":wave: hey there!")``."""
    config = context.resource_config
    return web_client(config.get("token"), config.get("base_url"))
