"""``pagerduty_resource`` (legacy ``dagster_pagerduty.resources``): ``EventV2_create`` posts one
Events API v2 event, ``{routing_key, event_action, dedup_key?, payload: {summary, source,
severity, timestamp?, component?, group?, class?, custom_details?}}``, to
``<base_url>/v2/enqueue`` and returns PagerDuty's answer (``{"status", "message",
"dedup_key"}``)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from orch.core.config import Field, Float, StringSource
from orch.core.definitions.resource import resource
from orch.core.errors import DagsterError, DagsterInvariantViolationError

DEFAULT_BASE_URL = "https://events.pagerduty.com"
SEVERITIES = ("critical", "error", "warning", "info")
EVENT_ACTIONS = ("trigger", "acknowledge", "resolve")


class PagerDutyError(DagsterError):
    """PagerDuty refused an event or could not be reached."""


class PagerDutyService:
    """What ``context.resources.pagerduty`` is."""

    def __init__(self, routing_key: str, base_url: str = DEFAULT_BASE_URL,
                 timeout: float = 10.0) -> None:
        self.routing_key = routing_key
        self.url = base_url.rstrip("/") + "/v2/enqueue"
        self.timeout = timeout

    def EventV2_create(self, summary: str, source: str, severity: str,
                       event_action: str = "trigger", dedup_key: str | None = None,
                       timestamp: str | None = None, component: str | None = None,
                       group: str | None = None, event_class: str | None = None,
                       custom_details: Any = None) -> Any:
        """Trigger, acknowledge or resolve an alert (see PagerDuty's Events API v2)."""
        if severity not in SEVERITIES:
            raise DagsterInvariantViolationError(
                f"PagerDuty severity {severity!r} is not one of {', '.join(SEVERITIES)}.")
        if event_action not in EVENT_ACTIONS:
            raise DagsterInvariantViolationError(
                f"PagerDuty event_action {event_action!r} is not one of "
                f"{', '.join(EVENT_ACTIONS)}.")
        if not summary or not source:
            raise DagsterInvariantViolationError("A PagerDuty event needs a summary and a source.")
        payload: dict[str, Any] = {"summary": summary, "source": source, "severity": severity}
        for key, value in (("timestamp", timestamp), ("component", component), ("group", group),
                           ("class", event_class), ("custom_details", custom_details)):
            if value is not None:
                payload[key] = value
        data: dict[str, Any] = {"routing_key": self.routing_key, "event_action": event_action,
                                "payload": payload}
        if dedup_key is not None:
            data["dedup_key"] = dedup_key
        return self._post(data)

    def _post(self, data: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            self.url, data=json.dumps(data).encode(), method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as e:
            raise PagerDutyError(f"PagerDuty answered {e.code} to {self.url}: "
                                 f"{e.read().decode(errors='replace')[:500]}") from None
        except (urllib.error.URLError, OSError) as e:
            raise PagerDutyError(f"cannot post to PagerDuty at {self.url}: {e}") from None
        return json.loads(body) if body.strip() else None


@resource(
    config_schema={
        "routing_key": Field(StringSource, description="The integration key of your PagerDuty "
                                                       "service (Events API v2)."),
        "base_url": Field(StringSource, is_required=False, default_value=DEFAULT_BASE_URL,
                          description="orch: where events are posted (<base_url>/v2/enqueue)."),
        "timeout": Field(Float, is_required=False, default_value=10.0,
                         description="orch: seconds to wait for PagerDuty's answer."),
    },
    description="This resource is for posting events to PagerDuty.",
)
def pagerduty_resource(context: Any) -> PagerDutyService:
    """``context.resources.pagerduty.EventV2_create(summary=..., source=..., severity="error")``."""
    config = context.resource_config
    return PagerDutyService(config["routing_key"], config["base_url"], config["timeout"])
