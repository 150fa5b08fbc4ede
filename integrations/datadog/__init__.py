"""Datadog for orch (legacy ``dagster_datadog``): ``from dagster_datadog import datadog_resource``
becomes ``from orch.integrations.datadog import datadog_resource``.

Install with ``pip install 'orch[datadog]'``; the ``datadog`` package is imported when the
resource is built, not with this package. Beyond the legacy config (``api_key``, ``app_key``),
``host``/``port`` say where DogStatsD listens (the legacy resource could only be pointed there
with ``DD_AGENT_HOST``/``DD_DOGSTATSD_PORT`` before its import), plus ``namespace`` and
``constant_tags``. :mod:`.reporter` sends run metrics from the instance (orch.yaml).
"""

from .resources import DataDogResource, datadog_resource

__all__ = ["DataDogResource", "datadog_resource"]
