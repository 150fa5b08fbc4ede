"""The Dask executor: each step is a task on a ``dask.distributed`` cluster.

The run worker keeps the one scheduler (``core.execution.scheduler``): it decides when a
step is ready, and submits it then, so retries, skips, dynamic outputs, priorities and
``max_concurrent`` are those of every executor (Dask's own dependency tracking is not used).
A task carries a :class:`~orch.core.execution.step_task.StepTask`; the worker process imports
the run's code from its origin once and keeps it (or gets the definition itself, pickled,
for a run without an origin), runs the step with resources of its own, and streams the
step's events back **while it runs** through the cluster's log-event channel (one topic per
run: ``Worker.log_event`` → scheduler → ``Client.subscribe_topic``), in two batches a
step: before user code runs (with the worker's address), and at the end with the outcome
and how many messages the task sent (the outcome goes on its own if the end is slow). The step's stdout/stderr, captured
on the worker, go out on the same channel while it runs: what it has written is sent every
``LOG_INTERVAL`` seconds (and the rest when it ends), and the run worker appends it to the
step's compute log as it arrives — so ``orch runs logs``/``orch dev`` show a running Dask
step's output, and the compute-log storage (local or S3) is written by the run worker alone.
The run worker stays the single writer of the run's events. The task's result is how many
messages it sent, so the launcher knows when it has them all.

A worker that dies while running a step (killed, out of memory) fails that step with the
cause — Dask's ``KilledWorker``, or the worker gone from the cluster — and the run goes on;
a step is never run twice by Dask behind the scheduler's back (the local cluster allows no
task failures, and a task restarted elsewhere is canceled). Cancel: queued and running
tasks are canceled; Python code already running on a worker thread cannot be interrupted
there, and whatever it sends after the cancel is dropped.

Steps run on other hosts, so outputs must be stored where every worker reaches them: an
in-memory IO manager is an error naming a persistent one; ``fs_io_manager`` works when the
workers share the run worker's filesystem.

Run config (the dagster-dask names): ``execution: {dask: {config: {cluster: {local:
{n_workers, threads_per_worker, processes, ...}} | {existing: {address}}, max_concurrent}}}``.
"""

from __future__ import annotations

import json
import os
import pickle
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from orch.core.config import Field, Int, Permissive, Selector, StringSource
from orch.core.errors import DagsterError, serializable_error_info
from orch.core.events import EventRecord, EventType
from orch.core.execution.context import RunContext
from orch.core.execution.executor import (
    Executor,
    ExecutorDefinition,
    InitExecutorContext,
    execute_step_with_resources,
)
from orch.core.execution.scheduler import RunStep
from orch.core.execution.step_task import StepTask, open_step_task, step_task
from orch.core.plan.plan import ExecutionStep
from orch.core.plan.sources import StepOutputHandle

# dagster-dask's cluster types beyond local/existing: (module, class, pip package).
OTHER_CLUSTERS = {
    "yarn": ("dask_yarn", "YarnCluster", "dask-yarn"),
    "ssh": ("distributed", "SSHCluster", "distributed"),
    "pbs": ("dask_jobqueue", "PBSCluster", "dask-jobqueue"),
    "moab": ("dask_jobqueue", "MoabCluster", "dask-jobqueue"),
    "sge": ("dask_jobqueue", "SGECluster", "dask-jobqueue"),
    "lsf": ("dask_jobqueue", "LSFCluster", "dask-jobqueue"),
    "slurm": ("dask_jobqueue", "SLURMCluster", "dask-jobqueue"),
    "oar": ("dask_jobqueue", "OARCluster", "dask-jobqueue"),
    "kube": ("dask_kubernetes", "KubeCluster", "dask-kubernetes"),
}
RESOURCE_TAG = "dagster-dask/resource_requirements"
CONNECT_TIMEOUT = 10.0
LOG_INTERVAL = 0.1  # seconds between a running step's compute-log chunks
LOG_CHUNK = 256 * 1024  # bytes a stream's chunk holds at most (one log event)
PREFETCH = 2  # steps submitted per worker thread when max_concurrent is 0
LAST_MESSAGE_WAIT = 5.0  # seconds after a task finished before its result is fetched
_OUTCOMES = frozenset({EventType.STEP_SUCCESS, EventType.STEP_FAILURE,
                       EventType.STEP_UP_FOR_RETRY})


class DaskClusterError(DagsterError):
    """The Dask cluster could not be started or reached."""


# -- on the worker --------------------------------------------------------------------------
class _Sender:
    """A worker's side of a run's event channel: queued events go out in one log event —
    before user code runs, and at the end. The outcome goes with the end, which follows it
    at once, unless the step's end (resource teardown) takes longer than ``LOG_INTERVAL``:
    the log shipper's thread sends it then (one message a step fewer, and its outcome is
    never held back for long)."""

    def __init__(self, topic: str, task_id: str):
        from distributed import get_worker

        self.worker = get_worker()
        self.topic = topic
        self.task_id = task_id
        self.queued: list[bytes] = []
        self.sent = 0
        self.began = False
        self.outcome_at: float | None = None
        self.lock = threading.Lock()

    def __call__(self, event: EventRecord) -> None:
        blob = pickle.dumps(event, protocol=pickle.HIGHEST_PROTOCOL)
        with self.lock:
            self.queued.append(blob)
            if event.event_type in _OUTCOMES:
                self.outcome_at = time.monotonic()

    def _message(self, **extra: Any) -> dict[str, Any]:
        """The next message: the queued events (the first also says which worker runs it)."""
        message: dict[str, Any] = {"task": self.task_id, "events": self.queued, **extra}
        if not self.began:
            message["begin"] = self.worker.address
            self.began = True
        self.sent += len(self.queued)
        self.queued = []
        self.outcome_at = None
        return message

    def flush(self) -> None:
        with self.lock:
            if self.queued:
                self.worker.log_event(self.topic, self._message())

    def flush_late_outcome(self, now: float) -> None:
        """From the log shipper's thread: an outcome that has waited ``LOG_INTERVAL``."""
        with self.lock:
            if self.outcome_at is not None and now - self.outcome_at >= LOG_INTERVAL:
                self.worker.log_event(self.topic, self._message())

    def finish(self, chunks: int) -> int:
        """The last message: what is queued, and how many messages there were in all."""
        with self.lock:
            total = self.sent + len(self.queued) + chunks
            self.worker.log_event(self.topic, self._message(end=total))
            return total


def run_step_on_worker(task: StepTask, topic: str, task_id: str) -> dict[str, Any]:
    """The Dask task of one step attempt: its events, and what it writes to stdout/stderr,
    go out through ``topic`` as it runs; the last message says how many there were in all
    (the run worker never fetches this task's result: that would be a round trip a step).
    Returns the same count."""
    send = _Sender(topic, task_id)
    logs = _StepLogs.for_this_thread(send.worker)
    try:
        _run_captured(task, send, logs)
    except BaseException as exc:  # reported as the step's failure
        send(_crash_event(task, exc))
    finally:
        total = send.finish(logs.finish())
    return {"end": total}


class _StepLogs:
    """The stdout/stderr files a worker thread's steps are captured in (made once per thread
    in the worker's local directory, emptied for each step), and what of them was sent: the
    worker's one :class:`_LogShipper` thread sends new bytes every ``LOG_INTERVAL`` while
    the step runs, :meth:`finish` the rest once its capture has ended."""

    _per_thread = threading.local()

    def __init__(self, directory: str):
        os.makedirs(directory, exist_ok=True)
        ident = f"{os.getpid()}-{threading.get_ident()}"
        self.paths = {name: os.path.join(directory, f"{ident}.{name}") for name in ("out", "err")}
        for path in self.paths.values():
            open(path, "wb").close()
        self.readers = {name: open(path, "rb") for name, path in self.paths.items()}
        self.lock = threading.Lock()
        self.send: _Sender | None = None
        self.sent = 0

    @classmethod
    def for_this_thread(cls, worker: Any) -> _StepLogs:
        logs = getattr(cls._per_thread, "logs", None)
        if logs is None:
            logs = cls._per_thread.logs = cls(os.path.join(worker.local_directory, "orch-logs"))
        return logs

    def begin(self, send: _Sender) -> None:
        with self.lock:
            for name, path in self.paths.items():
                os.truncate(path, 0)
                self.readers[name].seek(0)
            self.send, self.sent = send, 0
        _LogShipper.get().watch(self)

    def ship(self) -> bool:
        """One message with what was written since the last; False when nothing was."""
        with self.lock:
            send = self.send
            if send is None:
                return False
            chunk = {}
            for name, f in self.readers.items():
                data = f.read(LOG_CHUNK)
                if data:
                    chunk[name] = data
            if not chunk:
                return False
            send.worker.log_event(send.topic, {"task": send.task_id, **chunk})
            self.sent += 1
            return True

    def finish(self) -> int:
        """Send what is left; how many chunks this step's output took."""
        _LogShipper.get().unwatch(self)
        while self.ship():
            pass
        with self.lock:
            self.send = None
            return self.sent


class _LogShipper:
    """One thread per worker process: while steps run, it sends their new output."""

    _instance: _LogShipper | None = None
    _instance_lock = threading.Lock()

    def __init__(self) -> None:
        self.watched: set[_StepLogs] = set()
        self.lock = threading.Lock()
        self.wake = threading.Event()
        threading.Thread(target=self._run, name="orch-dask-logs", daemon=True).start()

    @classmethod
    def get(cls) -> _LogShipper:
        if cls._instance is None:
            with cls._instance_lock:
                if cls._instance is None:
                    cls._instance = cls()
        return cls._instance

    def watch(self, logs: _StepLogs) -> None:
        with self.lock:
            self.watched.add(logs)
        if not self.wake.is_set():
            self.wake.set()

    def unwatch(self, logs: _StepLogs) -> None:
        with self.lock:
            self.watched.discard(logs)

    def _run(self) -> None:
        while True:
            self.wake.wait()
            time.sleep(LOG_INTERVAL)
            with self.lock:
                watched = list(self.watched)
                if not watched:
                    self.wake.clear()
            now = time.monotonic()
            for logs in watched:
                try:
                    logs.ship()
                    send = logs.send
                    if send is not None:
                        send.flush_late_outcome(now)
                except Exception:  # a closed worker; the step's end sends the rest
                    pass


def _run_captured(task: StepTask, send: _Sender, logs: _StepLogs) -> None:
    from orch.core.storage.compute_logs import redirect_output

    logs.begin(send)
    with redirect_output(logs.paths["out"], logs.paths["err"],
                         (task.run.run_id, task.step_key)):
        rc, step = open_step_task(task)
        rc.before_user_code = send.flush
        for event in execute_step_with_resources(rc, step, task.attempt, task.missing):
            send(event)


def _crash_event(task: StepTask, exc: BaseException) -> EventRecord:
    return EventRecord(task.run.run_id, task.run.pipeline_name, EventType.STEP_FAILURE,
                       f'Execution of step "{task.step_key}" failed: {type(exc).__name__} '
                       f"escaped the step on its Dask worker ({exc}).", task.step_key, 40,
                       time.time(), data={"error": serializable_error_info(exc),
                                          "error_source": "FRAMEWORK_ERROR"})


# -- in the run worker ------------------------------------------------------------------------
@dataclass
class _Task:
    step: ExecutionStep
    attempt: int
    future: Any
    captured: Any = None
    worker: str | None = None  # where it began
    received: int = 0  # messages: event batches' events, and compute-log chunks
    expected: int | None = None  # known from the task's last message
    finished: float | None = None  # when its future finished (monotonic)


class _DaskLauncher:
    """Submits ready steps as Dask tasks and collects their streamed events."""

    def __init__(self, rc: RunContext, cluster: dict[str, Any], max_concurrent: int):
        self.rc = rc
        self.cluster_config = cluster
        self.max_concurrent = max_concurrent
        self.topic = f"orch-run-{rc.run_id}"
        self.inbox: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.tasks: dict[str, _Task] = {}
        self.client: Any = None
        self.cluster: Any = None
        self.compute_logs = getattr(rc.instance, "compute_log_manager", None)
        self._workers_checked = 0.0

    # -- lifetime ---------------------------------------------------------------------------
    def start(self) -> Iterator[EventRecord]:
        self.client, self.cluster = _connect(self.cluster_config, self.rc.pipeline_name)
        self.client.subscribe_topic(self.topic, self._on_message)
        workers = self.client.scheduler_info().get("workers", {})
        threads = sum(w.get("nthreads", 1) for w in workers.values()) or 1
        if not self.max_concurrent:
            # One step running and one ready on each thread: a thread that finishes a step
            # starts the next one the scheduler already gave its worker, instead of waiting
            # for the round trip to this process and back.
            self.max_concurrent = PREFETCH * threads
        address = self.client.scheduler.address
        yield self.rc.event(
            EventType.ENGINE_EVENT,
            f"Executing steps on the Dask cluster at {address} ({len(workers)} workers, "
            f"{threads} threads, max_concurrent={self.max_concurrent}).",
            data={"scheduler": address, "workers": len(workers), "threads": threads,
                  "max_concurrent": self.max_concurrent},
        )

    def close(self) -> None:
        if self.client is not None:
            try:
                if self.cluster is None:
                    # An existing scheduler would keep the topic's messages: drop it (with
                    # its subscription; an unsubscribe message sent as well could reach the
                    # scheduler after the drop and make the topic again).
                    self.client.run_on_scheduler(_DROP_TOPIC, topic=self.topic)
                else:
                    self.client.unsubscribe_topic(self.topic)
            except Exception:
                pass
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def free_slots(self) -> int:
        return self.max_concurrent - len(self.tasks)

    def running(self) -> int:
        return len(self.tasks)

    # -- launching -----------------------------------------------------------------------------
    def launch(self, step: ExecutionStep, attempt: int,
               missing: frozenset[StepOutputHandle]) -> Iterator[EventRecord]:
        task_id = f"{self.rc.pipeline_name}.{step.key}.{attempt}-{uuid.uuid4().hex[:8]}"
        extra: dict[str, Any] = {}
        if RESOURCE_TAG in step.tags:
            extra["resources"] = json.loads(step.tags[RESOURCE_TAG])
        future = self.client.submit(run_step_on_worker, step_task(self.rc, step, attempt,
                                                                  missing),
                                    self.topic, task_id, key=task_id, pure=False, retries=0,
                                    priority=step.priority(), **extra)
        task = self.tasks[task_id] = _Task(step, attempt, future)
        future.add_done_callback(lambda _f, task_id=task_id: self.inbox.put(("done", task_id)))
        if self.compute_logs is not None:
            task.captured = self.compute_logs.begin_capture(self.rc.run_id, step.key,
                                                            sink=self.rc.index_compute_log)
        yield self.rc.event(EventType.ENGINE_EVENT,
                            f'Submitted step "{step.key}" to the Dask cluster as task '
                            f"{task_id}.", step.key, data={"task": task_id, "attempt": attempt})
        if task.captured is not None and task.captured.stdout_path:
            yield self.rc.event(EventType.LOGS_CAPTURED,
                                f'Started capturing logs for step "{step.key}".', step.key,
                                data=task.captured.logs_captured_data())

    def _on_message(self, event: tuple[float, Any]) -> None:
        """The client's event loop thread: hand the message to the run worker's thread."""
        self.inbox.put(("message", event[1]))

    # -- collecting -----------------------------------------------------------------------------
    def poll(self, timeout: float) -> Iterator[EventRecord]:
        try:
            item = self.inbox.get(timeout=timeout)
        except queue.Empty:
            yield from self._check_workers()
            return
        while True:
            yield from self._handle(*item)
            try:
                item = self.inbox.get_nowait()
            except queue.Empty:
                break
        yield from self._check_workers()

    def _handle(self, kind: str, payload: Any) -> Iterator[EventRecord]:
        if kind == "done":
            task = self.tasks.get(payload)
            if task is not None:
                yield from self._future_done(payload, task)
            return
        task_id = payload.get("task")
        task = self.tasks.get(task_id)
        if task is None:
            return  # a canceled task's late events
        if "begin" in payload:
            restarted = task.worker is not None
            yield from self._began(task_id, task, payload["begin"])
            if restarted:
                return
        for blob in payload.get("events", ()):
            task.received += 1
            yield pickle.loads(blob)
        if "out" in payload or "err" in payload:
            task.received += 1
            self._append_logs(task, payload)
        if "end" in payload:
            task.expected = payload["end"]
        yield from self._maybe_finished(task_id, task)

    def _append_logs(self, task: _Task, chunk: dict[str, Any]) -> None:
        """A running step's new stdout/stderr bytes, appended to its compute log here (the
        one process writing the run's logs), where readers see them at once."""
        captured = task.captured
        if captured is None or not captured.stdout_path:
            return
        for path, name in ((captured.stdout_path, "out"), (captured.stderr_path, "err")):
            data = chunk.get(name)
            if data and path:
                with open(path, "ab") as f:
                    f.write(data)

    def _began(self, task_id: str, task: _Task, worker: str) -> Iterator[EventRecord]:
        if task.worker is None:
            task.worker = worker
            return
        # Its first worker died and the scheduler started it again: orch runs a step once.
        yield from self._fail(task_id, task, f"its Dask worker {task.worker} died while "
                              f"running it (the scheduler restarted it on {worker})")

    def _future_done(self, task_id: str, task: _Task) -> Iterator[EventRecord]:
        future = task.future
        if future.status == "finished":
            # Its messages' count comes as its last message (not fetched: a round trip).
            task.finished = time.monotonic()
            return
        if future.status == "cancelled":
            return
        exc = future.exception()
        yield from self._fail(task_id, task, f"its Dask task failed: {type(exc).__name__}: "
                              f"{exc}", exc)

    def _maybe_finished(self, task_id: str, task: _Task) -> Iterator[EventRecord]:
        if task.expected is not None and task.received >= task.expected:
            self._forget(task_id, task)
        yield from ()

    def _fail(self, task_id: str, task: _Task, cause: str,
              exc: BaseException | None = None) -> Iterator[EventRecord]:
        self._forget(task_id, task)
        task.future.cancel()
        step = task.step
        error = serializable_error_info(exc) if exc is not None else {
            "cls_name": "DaskWorkerLost", "message": cause, "stack": []}
        yield self.rc.event(
            EventType.STEP_FAILURE,
            f'Execution of step "{step.key}" failed: {cause}.', step.key, 40,
            {"error": error, "error_source": "PROCESS_CRASH", "worker": task.worker},
        )

    def _forget(self, task_id: str, task: _Task) -> None:
        del self.tasks[task_id]
        captured = task.captured
        if captured is None or not captured.stdout_path or self.compute_logs is None:
            return
        for path in (captured.stdout_path, captured.stderr_path):
            if path:
                open(path, "ab").close()  # exists, if empty, as for the other executors
        # The capture's last row rides with the next commit (the step's outcome, if still to
        # be written, else the next step's), as for multiprocess: no commit of its own a step.
        self.compute_logs.end_capture(
            captured, self.rc.index_compute_log_lazily or self.rc.index_compute_log)

    def _check_workers(self) -> Iterator[EventRecord]:
        """About once a second: a task whose worker has left the cluster failed with it."""
        now = time.monotonic()
        if not self.tasks or now - self._workers_checked < 1.0:
            return
        self._workers_checked = now
        for task_id, task in list(self.tasks.items()):
            if task.finished is not None and task.expected is None \
                    and now - task.finished > LAST_MESSAGE_WAIT:
                # Done, but its last message never came: the count is its result too.
                task.expected = task.future.result(timeout=CONNECT_TIMEOUT)["end"]
                yield from self._maybe_finished(task_id, task)
        alive = set(self.client.scheduler_info().get("workers", {}))
        for task_id, task in list(self.tasks.items()):
            if task.worker is not None and task.worker not in alive:
                yield from self._fail(task_id, task, f"its Dask worker {task.worker} left the "
                                      "cluster while running it")

    # -- cancellation -------------------------------------------------------------------------
    def terminate(self) -> Iterator[EventRecord]:
        for task_id, task in list(self.tasks.items()):
            task.future.cancel()
            self._forget(task_id, task)
            yield self.rc.event(EventType.ENGINE_EVENT,
                                f'Canceled Dask task {task_id} of "{task.step.key}" because '
                                "the run was canceled.", task.step.key, 30, {"task": task_id})


def _drop_topic_source() -> Any:
    """A function for ``Client.run_on_scheduler`` that forgets a run's topic: the scheduler
    keeps the last 100,000 messages of every topic for as long as it runs (here the run's
    events and compute-log chunks, a topic per run). Made in a ``__main__`` namespace, so
    it is pickled by value: a scheduler need not have orch installed."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    exec("def drop_topic(dask_scheduler, topic):\n"
         "    topics = getattr(getattr(dask_scheduler, '_broker', None), '_topics', {})\n"
         "    topics.pop(topic, None)\n", namespace)
    return namespace["drop_topic"]


_DROP_TOPIC = _drop_topic_source()


def _connect(config: dict[str, Any], pipeline_name: str) -> tuple[Any, Any]:
    """(client, cluster or None): a LocalCluster started for this run, or the client of an
    existing scheduler; one that cannot be reached in time is a :class:`DaskClusterError`."""
    import dask
    from distributed import Client

    [(kind, options)] = (config or {"local": {}}).items()
    options = dict(options or {})
    if kind == "existing":
        address, timeout = options["address"], float(options.get("timeout") or CONNECT_TIMEOUT)
        try:
            return Client(address, timeout=timeout, set_as_default=False), None
        except (OSError, TimeoutError) as exc:
            raise DaskClusterError(
                f"Cannot reach the Dask scheduler at {address} (cluster: existing) within "
                f"{timeout:g}s: {exc}. Is `dask scheduler` running there?") from exc
    cluster = _start_cluster(kind, options, pipeline_name, dask)
    return Client(cluster, set_as_default=False), cluster


def _start_cluster(kind: str, options: dict[str, Any], pipeline_name: str, dask: Any) -> Any:
    if kind == "local":
        from distributed import LocalCluster

        options.setdefault("threads_per_worker", 1)  # as dagster-dask: one step per process
        options.setdefault("dashboard_address", None)
        options.setdefault("host", "127.0.0.1")
        # A worker that dies mid-step fails the step; Dask must not run it again elsewhere.
        with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
            return LocalCluster(**options)
    module_name, class_name, package = OTHER_CLUSTERS[kind]
    try:
        module = __import__(module_name, fromlist=[class_name])
    except ImportError as exc:
        raise DaskClusterError(f"cluster: {kind} needs {class_name} from the {package} "
                               f"package: pip install {package}") from exc
    if kind in ("yarn", "kube", "pbs", "moab", "sge", "lsf", "slurm", "oar"):
        options.setdefault("name", pipeline_name)
    return getattr(module, class_name)(**options)


class DaskExecutor(Executor):
    """Each step a task on a Dask cluster, with resources of its own."""

    resources_per_step = True

    def __init__(self, cluster: dict[str, Any], max_concurrent: int = 0,
                 retries_enabled: bool = True):
        self.cluster = cluster
        self.max_concurrent = max_concurrent
        self.retries_enabled = retries_enabled

    def launcher(self, run_context: RunContext, run_step: RunStep) -> _DaskLauncher:
        return _DaskLauncher(run_context, self.cluster, self.max_concurrent)


def _create(init: InitExecutorContext) -> DaskExecutor:
    config = init.executor_config
    retries = config.get("retries") or {"enabled": {}}
    return DaskExecutor(config.get("cluster") or {"local": {}},
                        int(config.get("max_concurrent") or 0), "disabled" not in retries)


_CLUSTER = Selector({
    "local": Field(Permissive(), is_required=False,
                   description="LocalCluster keyword arguments (n_workers, "
                   "threads_per_worker, processes, ...)."),
    "existing": {"address": Field(StringSource,
                                  description="The scheduler, e.g. tcp://10.0.0.5:8786."),
                 "timeout": Field(float, is_required=False,
                                  description=f"Seconds to reach it (default "
                                  f"{CONNECT_TIMEOUT:g}).")},
    **{name: Field(Permissive(), is_required=False,
                   description=f"{cls} keyword arguments ({package}).")
       for name, (_, cls, package) in OTHER_CLUSTERS.items()},
})

dask_executor = ExecutorDefinition(
    "dask",
    config_schema={
        "cluster": Field(_CLUSTER, is_required=False,
                         description="Where steps run: a local cluster started for the run "
                         "(default), or an existing scheduler's address."),
        "max_concurrent": Field(Int, default_value=0,
                                description="Steps submitted at once; 0 means twice the "
                                "cluster's worker threads (one running and one ready each)."),
        "retries": Field(Selector({"enabled": {}, "disabled": {}}),
                         default_value={"enabled": {}}),
    },
    executor_creation_fn=_create,
    description="Runs each step as a task on a dask.distributed cluster.",
    requires_persistent_io=True,
    # 0.3-0.8 s of a run's start: a code-server zygote imports them ahead (orch dev, daemon).
    preload_modules=("dask", "distributed"),
)
