"""``datadog_resource`` (legacy ``dagster_datadog.resources``): DogStatsD's methods ``event``,
``gauge``, ``increment``, ``decrement``, ``histogram``, ``distribution``, ``set``,
``service_check``, ``timed`` and ``timing``, with the constants ``OK``/``WARNING``/``CRITICAL``/
``UNKNOWN``. Each datagram is sent at once (no buffering, no client telemetry)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from orch.core.config import Array, Field, IntSource, Noneable, StringSource
from orch.core.definitions.resource import resource

STATSD_METHODS = ("event", "gauge", "increment", "decrement", "histogram", "distribution",
                  "set", "service_check", "timed", "timing")


class DataDogResource:
    """What ``context.resources.datadog`` is: one DogStatsD client (a UDP socket)."""

    # DogStatsD's service-check levels
    OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3

    def __init__(self, api_key: str | None = None, app_key: str | None = None, *,
                 host: str | None = None, port: int | None = None,
                 namespace: str | None = None,
                 constant_tags: Sequence[str] | None = None) -> None:
        from datadog import DogStatsd, initialize

        if api_key or app_key:  # as the legacy resource: for the datadog.api HTTP client
            initialize(api_key=api_key, app_key=app_key)
        # host/port None: DogStatsd reads DD_AGENT_HOST / DD_DOGSTATSD_PORT (localhost:8125)
        self.statsd = DogStatsd(host=host, port=port, namespace=namespace,
                                constant_tags=list(constant_tags or []) or None,
                                disable_buffering=True, disable_telemetry=True,
                                origin_detection_enabled=False)
        for method in STATSD_METHODS:
            setattr(self, method, getattr(self.statsd, method))

    def close(self) -> None:
        self.statsd.close_socket()

    # typed forwarders for the common calls (the setattr above keeps every legacy method)
    event: Any
    gauge: Any
    increment: Any
    decrement: Any
    histogram: Any
    distribution: Any
    set: Any
    service_check: Any
    timed: Any
    timing: Any


@resource(
    config_schema={
        "api_key": Field(Noneable(StringSource), is_required=False,
                         description="Datadog API key (legacy; DogStatsD does not need it)"),
        "app_key": Field(Noneable(StringSource), is_required=False,
                         description="Datadog application key (legacy; DogStatsD does not "
                                     "need it)"),
        "host": Field(Noneable(StringSource), is_required=False,
                      description="orch: DogStatsD's host (default $DD_AGENT_HOST or "
                                  "localhost)"),
        "port": Field(Noneable(IntSource), is_required=False,
                      description="orch: DogStatsD's UDP port (default $DD_DOGSTATSD_PORT or "
                                  "8125)"),
        "namespace": Field(Noneable(StringSource), is_required=False,
                           description="orch: a prefix for every metric name"),
        "constant_tags": Field(Array(str), is_required=False,
                               description="orch: tags added to every metric"),
    },
    description="This resource is for publishing to DataDog",
)
def datadog_resource(context: Any) -> Iterator[DataDogResource]:
    """``context.resources.datadog.increment("rows.loaded", tags=["table:trips"])``."""
    config = context.resource_config or {}
    client = DataDogResource(config.get("api_key"), config.get("app_key"),
                             host=config.get("host"), port=config.get("port"),
                             namespace=config.get("namespace"),
                             constant_tags=config.get("constant_tags"))
    try:
        yield client
    finally:
        client.close()
