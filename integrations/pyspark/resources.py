"""``pyspark_resource`` (legacy ``dagster_pyspark.resources``): a ``SparkSession`` built from
``spark_conf`` (a nested mapping, flattened with dots into ``spark.*`` properties), exposed as
``.spark_session`` and ``.spark_context``.

Beyond the legacy resource, its teardown stops the session it started. A session that was
already running in the process when the resource was built (one a notebook, a test fixture or
the user's own code made) is reused and left running. A run's steps in one process share the
resource: it is built once per run in process, once per step process under the multiprocess
executor."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from orch.core.config import Field, Permissive
from orch.core.definitions.resource import resource

from ..spark.utils import flatten_dict, spark_value


def _running_session() -> Any:
    """The session ``getOrCreate`` would return without creating one, or None."""
    from pyspark.sql import SparkSession

    session = getattr(SparkSession, "_instantiatedSession", None)
    if session is None or getattr(session.sparkContext, "_jsc", None) is None:
        return None
    return session


def spark_session_from_config(spark_conf: Mapping[str, Any] | None = None) -> Any:
    """``SparkSession.builder.config(k, v)`` for each flattened property, then
    ``getOrCreate()``.

    Starting a SparkContext on the main thread replaces the process's SIGINT handler with
    pyspark's own (cancel the Spark jobs, raise KeyboardInterrupt). That would take Ctrl-C
    away from orch (a run worker turns it into a cancel of the run; a step process ignores
    it), so the handler in place before is put back."""
    from pyspark.sql import SparkSession

    main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGINT) if main else None
    try:
        builder = SparkSession.builder
        for key, value in flatten_dict(spark_conf or {}):
            builder = builder.config(key, spark_value(value))
        return builder.getOrCreate()
    finally:
        if previous is not None and signal.getsignal(signal.SIGINT) is not previous:
            signal.signal(signal.SIGINT, previous)


class PySparkResource:
    """What ``context.resources.pyspark`` is."""

    def __init__(self, spark_conf: Mapping[str, Any] | None) -> None:
        # Whether this resource starts the session (and so stops it) or reuses a running one.
        self.started_session = _running_session() is None
        self._spark_session = spark_session_from_config(spark_conf)

    @property
    def spark_session(self) -> Any:
        return self._spark_session

    @property
    def spark_context(self) -> Any:
        return self._spark_session.sparkContext

    def stop(self) -> None:
        self._spark_session.stop()


@resource(config_schema={"spark_conf": Field(Permissive(), is_required=False,
                                             description="Spark properties as a nested "
                                                         "mapping: {spark: {master: local[2]}}")},
          description="This resource provides access to a PySpark SparkSession.")
def pyspark_resource(init_context: Any) -> Iterator[PySparkResource]:
    """``context.resources.pyspark.spark_session.createDataFrame(...)``."""
    spark = PySparkResource((init_context.resource_config or {}).get("spark_conf"))
    log = init_context.log
    if log is not None:
        log.debug(f"Spark session {spark.spark_context.applicationId} "
                  f"({'started' if spark.started_session else 'already running, reused'})")
    try:
        yield spark
    finally:
        if spark.started_session:
            spark.stop()
            if log is not None:
                log.info("Stopped the Spark session")
