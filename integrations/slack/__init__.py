"""Slack for orch (legacy ``dagster_slack``): ``from dagster_slack import slack_resource``
becomes ``from orch.integrations.slack import slack_resource``.

Install with ``pip install 'orch[slack]'`` (slack_sdk, imported when a client is built).
``slack_resource`` is a ``slack_sdk.WebClient``. Beyond the legacy API, the resource and the
failure sensors take ``base_url`` (default ``https://slack.com/api/``): the legacy sensors built
their own client with no way to point it elsewhere.
"""

from .hooks import slack_on_failure, slack_on_success
from .resources import DEFAULT_BASE_URL, slack_resource
from .sensors import make_slack_on_pipeline_failure_sensor, make_slack_on_run_failure_sensor

__all__ = [
    "DEFAULT_BASE_URL",
    "make_slack_on_pipeline_failure_sensor",
    "make_slack_on_run_failure_sensor",
    "slack_on_failure",
    "slack_on_success",
    "slack_resource",
]
