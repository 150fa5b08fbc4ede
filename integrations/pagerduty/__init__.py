"""PagerDuty for orch (legacy ``dagster_pagerduty``): ``from dagster_pagerduty import
pagerduty_resource`` becomes ``from orch.integrations.pagerduty import pagerduty_resource``.

Events API v2 over the standard library's HTTP client (the legacy resource used pypd), so
``pip install 'orch[pagerduty]'`` installs nothing more. Beyond the legacy ``routing_key``,
``base_url`` (default ``https://events.pagerduty.com``) says where events go.
"""

from .hooks import pagerduty_on_failure
from .resources import PagerDutyError, PagerDutyService, pagerduty_resource

__all__ = ["PagerDutyError", "PagerDutyService", "pagerduty_on_failure", "pagerduty_resource"]
