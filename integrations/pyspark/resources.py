"""``pyspark_resource`` (legacy ``dagster_pyspark.resources``): a ``SparkSession`` built from
``spark_conf`` (a nested mapping, flattened with dots into ``spark.*`` properties), exposed as
``.spark_session`` and ``.spark_context``.

Beyond the legacy resource, its teardown stops the session it started. A session that was
already running in the process when the resource was built (one a notebook, a test fixture or
the user's own code made) is reused and left running. A run's steps in one process share the
resource: it is built once per run in process, once per step process under the multiprocess
executor. While its session runs, SIGINT and SIGTERM first cancel the session's Spark jobs,
then go to the handler that was there (so Ctrl-C or a cancel stops a run at once, even inside
a long Spark job)."""

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


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _drop_thread_connection(session: Any) -> None:
    """Close this thread's py4j connection, so its next call opens a fresh one. A call that a
    signal interrupted leaves its connection waiting for the answer: the next call sent on it
    (pyspark's own cleanup on the way out, the call-site reset) would read that answer, so it
    blocks until the Spark job ends, then the protocol is out of step."""
    try:
        client = session.sparkContext._gateway._gateway_client
        connection = client.get_thread_connection()
        if connection is not None:
            client.thread_connection.connection = None
            connection.close()
    except Exception:  # not a pinned-thread py4j client: nothing to drop
        pass


class _CancelJobsFirst:
    """A SIGINT/SIGTERM handler that cancels the session's Spark jobs and drops the main
    thread's py4j connection, then hands the signal to the handler that was there (orch's run
    worker cancels the run; elsewhere Ctrl-C raises KeyboardInterrupt). Without it an
    interrupted step stays blocked until its Spark job finishes (seen: ~30 s for a canceled
    run), and the cancel surfaces as a py4j error instead of the run's cancel."""

    def __init__(self, session: Any, previous: Any) -> None:
        self.session = session
        self.previous = previous

    def __call__(self, signum: int, frame: Any) -> Any:
        def cancel() -> None:
            try:
                self.session.sparkContext.cancelAllJobs()
            except Exception:  # the session is stopping or gone: nothing to cancel
                pass

        canceller = threading.Thread(target=cancel, name="orch-spark-cancel", daemon=True)
        canceller.start()  # a thread of its own: a py4j connection of its own
        canceller.join(10)
        _drop_thread_connection(self.session)
        return self.previous(signum, frame)


class PySparkResource:
    """What ``context.resources.pyspark`` is."""

    def __init__(self, spark_conf: Mapping[str, Any] | None) -> None:
        # Whether this resource starts the session (and so stops it) or reuses a running one.
        self.started_session = _running_session() is None
        self._spark_session = spark_session_from_config(spark_conf)
        self._handlers: dict[int, Any] = {}
        if self.started_session and threading.current_thread() is threading.main_thread():
            for signum in _STOP_SIGNALS:
                previous = signal.getsignal(signum)
                if callable(previous):  # SIG_IGN / SIG_DFL (a step process's) stay as they are
                    self._handlers[signum] = previous
                    signal.signal(signum, _CancelJobsFirst(self._spark_session, previous))

    def _restore_handlers(self) -> None:
        for signum, previous in self._handlers.items():
            if isinstance(signal.getsignal(signum), _CancelJobsFirst):
                signal.signal(signum, previous)
        self._handlers.clear()

    @property
    def spark_session(self) -> Any:
        return self._spark_session

    @property
    def spark_context(self) -> Any:
        return self._spark_session.sparkContext

    def stop(self) -> None:
        """Cancel the session's jobs and stop it, on a thread of its own. That thread gets a
        py4j connection of its own: an interrupted step (Ctrl-C, a canceled run) leaves the
        calling thread's connection waiting for the answer to the call it was in, and a stop
        sent on it would read that answer once the job finished (seen: a canceled run's
        teardown waiting ~30 s for its job, then failing with "SparkSession does not exist in
        the JVM")."""
        if threading.current_thread() is threading.main_thread():
            self._restore_handlers()
        errors: list[BaseException] = []

        def stop() -> None:
            try:
                self._spark_session.sparkContext.cancelAllJobs()
                self._spark_session.stop()
            except BaseException as e:  # re-raised on the caller's thread
                errors.append(e)

        thread = threading.Thread(target=stop, name="orch-spark-stop", daemon=True)
        thread.start()
        thread.join()
        if errors:
            raise errors[0]


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
