"""The multiprocess executor: every step in its own process, at the cost of a fork.

The run process already holds the user's code, so a step process is ``os.fork()`` of it: no
interpreter start, no re-import, no instance to reopen (Dagster's spawned steps pay ≈1.7 s for
those). The parent keeps the one scheduler (``core.execution.scheduler``) and is the single
writer of the run's events; each child runs the shared step runner and streams its events
back over a pipe as length-prefixed pickles, a few writes per step: it holds events back
until its compute function is about to run or resume, its outcome, or its exit (each write
wakes the parent; eight a step cost more than the step). A child that dies without reporting an outcome
(SIGKILL, segfault, ``os._exit``, OOM kill) becomes a STEP_FAILURE that names the exit code
or signal, and the scheduler abandons what depended on it while other branches go on.

Fork safety: the parent forks only from its main thread; the event writer's timer thread is
parked around ``fork()`` by the writer's at-fork hooks, and children never touch the parent's
SQLite connection (they write only to their pipe and their compute-log files, and leave with
``os._exit``).
"""

from __future__ import annotations

import ctypes
import functools
import gc
import os
import pickle
import selectors
import signal
import struct
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from orch.core.config import Field, Int, Selector
from orch.core.errors import serializable_error_info
from orch.core.events import EventRecord, EventType
from orch.core.execution.context import RunContext
from orch.core.execution.executor import Executor, ExecutorDefinition, InitExecutorContext
from orch.core.execution.scheduler import RunStep
from orch.core.execution.step import KEEP_PROCESSES_TAG, step_timeout
from orch.core.plan.plan import ExecutionStep
from orch.core.plan.sources import StepOutputHandle
from orch.core.storage.event_writer import unpoison
from orch.core.storage.serde import dumps_compact, loads

_HEADER = struct.Struct("!I")
_OUTCOMES = frozenset({EventType.STEP_SUCCESS, EventType.STEP_FAILURE,
                       EventType.STEP_UP_FOR_RETRY})


@dataclass
class _Child:
    step: ExecutionStep
    attempt: int
    pid: int
    fd: int
    started: float
    timeout: float | None
    captured: Any = None
    buffer: bytearray = field(default_factory=bytearray)
    outcome_seen: bool = False
    timed_out: bool = False
    exit_fd: int | None = None  # a pidfd: readable once the process has exited


@functools.cache
def _prctl() -> Any:
    """libc's ``prctl``, looked up once in the run worker (not again in every step process),
    or None off Linux."""
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def _set_parent_death_signal() -> None:
    """Linux: the kernel SIGKILLs this child if its parent dies, so no step outlives a
    killed run worker."""
    prctl = _prctl()
    if prctl is not None:
        prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class _Pipe:
    """A step process's end of its event pipe: ``send(event)`` queues one length-prefixed
    pickle, ``flush()`` writes what is queued in one go (an outcome is written at once). An
    event whose data does not pickle goes as the plain JSON data storage would keep (or a
    note saying why not)."""

    def __init__(self, write_fd: int):
        self.write_fd = write_fd
        self.outcome_sent = False
        self.queued = bytearray()

    def flush(self) -> None:
        view = memoryview(self.queued)
        while view:
            written = os.write(self.write_fd, view)
            view = view[written:]
        view.release()
        self.queued.clear()

    def __call__(self, event: EventRecord) -> None:
        try:
            payload = pickle.dumps(event, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            event = unpoison(event)
            try:
                event.data = loads(dumps_compact(event.data))
            except (Exception, RecursionError):
                event.data = {}
            payload = pickle.dumps(event, protocol=pickle.HIGHEST_PROTOCOL)
        self.queued += _HEADER.pack(len(payload))
        self.queued += payload
        if event.event_type in _OUTCOMES:
            self.outcome_sent = True
            self.flush()


def _report_child_crash(rc: RunContext, step: ExecutionStep, exc: BaseException,
                        send: _Pipe) -> None:
    """Something escaped the step runner in a step process: its traceback goes to the step's
    stderr and, if the pipe still works, a STEP_FAILURE that names it goes to the parent."""
    import traceback

    exc._orch_reported = True  # type: ignore[attr-defined]
    try:
        traceback.print_exception(exc)
        sys.stderr.flush()
    except BaseException:
        pass
    if send.outcome_sent:
        return
    try:
        send(rc.event(EventType.STEP_FAILURE,
                      f'Execution of step "{step.key}" failed: {type(exc).__name__} escaped the '
                      f"step process ({exc}).", step.key, 40,
                      {"error": serializable_error_info(exc), "error_source": "FRAMEWORK_ERROR"}))
    except BaseException:
        pass


def _exit_description(status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        hint = " (killed — out of memory or terminated from outside?)" if sig == 9 else ""
        hint = " (segmentation fault)" if sig == signal.SIGSEGV else hint
        return f"was killed by signal {sig} ({name}){hint}"
    return f"exited with code {os.WEXITSTATUS(status)}"


class _ForkLauncher:
    """Forks one process per step and multiplexes their event pipes."""

    def __init__(self, run_context: RunContext, run_step: RunStep, max_concurrent: int,
                 step_timeout: float | None):
        self.rc = run_context
        self.run_step = run_step
        self.max_concurrent = max_concurrent
        self.step_timeout = step_timeout
        self.children: dict[int, _Child] = {}  # by read fd
        self.selector = selectors.DefaultSelector()
        self.compute_logs = getattr(run_context.instance, "compute_log_manager", None)

    def start(self) -> Iterator[EventRecord]:
        instance = self.rc.instance
        if getattr(instance, "storage_dir", None) is not None:
            instance.storage_dir.mkdir(parents=True, exist_ok=True)  # before any fork
        yield self.rc.event(
            EventType.ENGINE_EVENT,
            f"Executing steps using the multiprocess executor (max_concurrent="
            f"{self.max_concurrent}, pid {os.getpid()}).",
            data={"max_concurrent": self.max_concurrent},
        )

    def free_slots(self) -> int:
        return self.max_concurrent - len(self.children)

    def running(self) -> int:
        return len(self.children)

    # -- launching ------------------------------------------------------------------------
    def launch(self, step: ExecutionStep, attempt: int,
               missing: frozenset[StepOutputHandle]) -> Iterator[EventRecord]:
        captured = None
        if self.compute_logs is not None:
            captured = self.compute_logs.begin_capture(self.rc.run_id, step.key, index=False)
        _prctl()  # looked up here, before the fork, once per run worker
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the step process
            os.close(read_fd)
            self._run_child(step, attempt, missing, write_fd, captured)  # never returns
        _own_process_group(pid)  # also here: the child may not have done it yet
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        child = _Child(step, attempt, pid, read_fd, time.monotonic(),
                       step_timeout(step, self.step_timeout), captured)
        self.children[read_fd] = child
        self.selector.register(read_fd, selectors.EVENT_READ, child)
        child.exit_fd = _pidfd(pid)
        if child.exit_fd is not None:
            self.selector.register(child.exit_fd, selectors.EVENT_READ, child)
        if captured is not None and self.compute_logs is not None:  # as the process starts
            self.compute_logs.index_capture(captured, self.rc.index_compute_log)
        yield self.rc.event(EventType.ENGINE_EVENT,
                            f'Launched step process {pid} for "{step.key}".', step.key,
                            data={"pid": pid, "attempt": attempt})
        if captured is not None and captured.stdout_path:
            yield self.rc.event(EventType.LOGS_CAPTURED,
                                f'Started capturing logs for step "{step.key}".', step.key,
                                data=captured.logs_captured_data())

    def _run_child(self, step: ExecutionStep, attempt: int,
                   missing: frozenset[StepOutputHandle], write_fd: int, captured: Any) -> None:
        # What the step process inherited goes to the collector's permanent generation, so
        # its own collections never walk the run worker's heap, which grows with the plan
        # (a full collection there copies every page on write: 0.4 s at 5,000 steps).
        gc.freeze()
        status = 0
        send = _Pipe(write_fd)
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            _own_process_group(0)
            _set_parent_death_signal()
            for fd, other in list(self.children.items()):
                os.close(fd)
                if other.exit_fd is not None:
                    os.close(other.exit_fd)
            # A process the step forks must not hold the run's pipe open (exec'd ones never
            # get it: pipes are close-on-exec).
            os.register_at_fork(after_in_child=lambda: _close_quietly(write_fd))
            rc = self.rc
            rc.raise_on_error = False
            rc.output_capture = None
            rc.before_user_code = send.flush
            if captured is not None and captured.stdout_path:
                from orch.core.storage.compute_logs import redirect_output

                with redirect_output(captured.stdout_path, captured.stderr_path,
                                     (rc.run_id, step.key)):
                    try:
                        self._child_events(step, attempt, missing, send)
                    except BaseException as exc:
                        _report_child_crash(rc, step, exc, send)
                        raise
            else:
                self._child_events(step, attempt, missing, send)
        except BaseException as exc:
            if not getattr(exc, "_orch_reported", False):
                _report_child_crash(self.rc, step, exc, send)
            status = 70
        finally:
            try:
                send.flush()  # what came after the outcome (hooks, resource teardown)
            except BaseException:
                status = status or 70
            finally:
                os._exit(status)

    def _child_events(self, step: ExecutionStep, attempt: int,
                      missing: frozenset[StepOutputHandle], send: _Pipe) -> None:
        for event in self.run_step(step, attempt, missing):
            send(event)

    # -- collecting -----------------------------------------------------------------------
    def poll(self, timeout: float) -> Iterator[EventRecord]:
        for key, _ in self.selector.select(timeout):
            child: _Child = key.data
            if child.fd not in self.children:
                continue  # finished earlier in this turn
            if key.fd == child.exit_fd:
                yield from self._exited(child)
            else:
                yield from self._read(child)
        if _PIDFD is None:  # no exit notifications: look for exited steps every turn
            for child in list(self.children.values()):
                if _has_exited(child.pid):
                    yield from self._exited(child)
        yield from self._enforce_timeouts()

    def _read(self, child: _Child) -> Iterator[EventRecord]:
        if not self._drain(child):
            yield from self._parse(child)
            yield from self._reap(child)
            return
        yield from self._parse(child)

    def _drain(self, child: _Child) -> bool:
        """Read what the pipe holds now; False at end of file."""
        while True:
            try:
                chunk = os.read(child.fd, 1 << 16)
            except BlockingIOError:
                return True
            if not chunk:
                return False
            child.buffer += chunk

    def _exited(self, child: _Child) -> Iterator[EventRecord]:
        """The step process is gone, but a process it forked may hold its pipe open: take
        what the pipe holds (everything the step wrote: it blocks while the pipe is full)."""
        self._drain(child)
        yield from self._parse(child)
        yield from self._reap(child)

    def _parse(self, child: _Child) -> Iterator[EventRecord]:
        buf = child.buffer
        offset = 0
        while len(buf) - offset >= _HEADER.size:
            (length,) = _HEADER.unpack_from(buf, offset)
            end = offset + _HEADER.size + length
            if len(buf) < end:
                break
            event: EventRecord = pickle.loads(buf[offset + _HEADER.size:end])
            offset = end
            if event.event_type in _OUTCOMES and event.step_key == child.step.key:
                child.outcome_seen = True
            yield event
        del buf[:offset]

    def _forget(self, child: _Child) -> None:
        for fd in (child.fd, child.exit_fd):
            if fd is not None:
                self.selector.unregister(fd)
                os.close(fd)
        del self.children[child.fd]

    def _reap(self, child: _Child) -> Iterator[EventRecord]:
        self._forget(child)
        _, status = os.waitpid(child.pid, 0)
        if child.step.tags.get(KEEP_PROCESSES_TAG, "").lower() not in ("1", "true", "yes"):
            _kill_group(child.pid, signal.SIGKILL)  # what the step started and left behind
        if child.captured is not None and child.captured.stdout_path and self.compute_logs:
            self.compute_logs.end_capture(child.captured, self.rc.index_compute_log)
        if child.outcome_seen:
            return
        step = child.step
        if child.timed_out:
            cause = f"exceeded its timeout of {child.timeout:g}s and was killed"
        else:
            cause = _exit_description(status)
        yield self.rc.event(
            EventType.STEP_FAILURE,
            f'Execution of step "{step.key}" failed: its process {child.pid} {cause} before '
            "reporting an outcome.", step.key, 40,
            {"error": {"cls_name": "StepProcessCrash",
                       "message": f"Step process {child.pid} {cause}.", "stack": []},
             "error_source": "TIMEOUT" if child.timed_out else "PROCESS_CRASH",
             "exit_status": status, "pid": child.pid},
        )

    def _enforce_timeouts(self) -> Iterator[EventRecord]:
        now = time.monotonic()
        for child in list(self.children.values()):
            if child.timeout is not None and not child.timed_out \
                    and now - child.started > child.timeout:
                child.timed_out = True
                _kill_group(child.pid, signal.SIGKILL)
        return iter(())

    # -- cancellation ---------------------------------------------------------------------
    def terminate(self) -> Iterator[EventRecord]:
        """SIGTERM every step's process group, SIGKILL what is left of each group after a
        grace period (the step's own children too), reap all."""
        children = list(self.children.values())
        for child in children:
            _kill_group(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + 2.0
        for child in children:
            while time.monotonic() < deadline:
                pid, _ = os.waitpid(child.pid, os.WNOHANG)
                if pid:
                    break
                time.sleep(0.01)
            else:
                _kill_group(child.pid, signal.SIGKILL)
                os.waitpid(child.pid, 0)
            _kill_group(child.pid, signal.SIGKILL)  # what the step started and left behind
            self._forget(child)
            if child.captured is not None and child.captured.stdout_path and self.compute_logs:
                self.compute_logs.end_capture(child.captured, self.rc.index_compute_log)
            yield self.rc.event(EventType.ENGINE_EVENT,
                                f'Terminated step process {child.pid} of "{child.step.key}" '
                                "because the run was canceled.", child.step.key, 30,
                                {"pid": child.pid})

    def close(self) -> None:
        for child in list(self.children.values()):
            _kill_group(child.pid, signal.SIGKILL)
            try:
                os.waitpid(child.pid, 0)
            except ChildProcessError:
                pass
            for fd in (child.fd, child.exit_fd):
                if fd is not None:
                    os.close(fd)
        self.children.clear()
        self.selector.close()


_PIDFD = getattr(os, "pidfd_open", None)


def _pidfd(pid: int) -> int | None:
    """A descriptor that becomes readable when ``pid`` exits (Linux 5.3+), or None."""
    if _PIDFD is None:
        return None
    try:
        fd = _PIDFD(pid)
    except OSError:
        return None
    os.set_inheritable(fd, False)
    return fd


def _has_exited(pid: int) -> bool:
    """True once ``pid`` (a child) has exited; it stays unreaped for ``_reap``."""
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None


def _close_quietly(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


def _own_process_group(pid: int) -> None:
    """Make the step process lead its own process group, so a cancel or timeout can signal
    it together with every process it started (``subprocess`` children included)."""
    try:
        os.setpgid(pid, pid if pid else 0)
    except OSError:  # already done by the other side, or the child has exited
        pass


def _kill_group(pid: int, sig: int) -> None:
    """Signal the step process's group; fall back to the process alone."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        _kill(pid, sig)


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


class MultiprocessExecutor(Executor):
    """Runs up to ``max_concurrent`` steps at once, each in a forked process with resources
    of its own."""

    resources_per_step = True

    def __init__(self, max_concurrent: int, retries_enabled: bool = True,
                 step_timeout: float | None = None):
        self.max_concurrent = max_concurrent
        self.retries_enabled = retries_enabled
        self.step_timeout = step_timeout

    def launcher(self, run_context: RunContext, run_step: RunStep) -> _ForkLauncher:
        return _ForkLauncher(run_context, run_step, self.max_concurrent, self.step_timeout)


def _create(init: InitExecutorContext) -> MultiprocessExecutor:
    config = init.executor_config
    max_concurrent = int(config.get("max_concurrent") or 0) or (os.cpu_count() or 1)
    retries = config.get("retries") or {"enabled": {}}
    return MultiprocessExecutor(max_concurrent, "disabled" not in retries,
                                config.get("step_timeout"))


multiprocess_executor = ExecutorDefinition(
    "multiprocess",
    config_schema={
        "max_concurrent": Field(Int, default_value=0,
                                description="Steps running at once; 0 means the CPU count."),
        "retries": Field(Selector({"enabled": {}, "disabled": {}}),
                         default_value={"enabled": {}}),
        "step_timeout": Field(float, is_required=False,
                              description="Seconds before a step process is killed and failed "
                              "(a solid's `timeout` tag overrides it)."),
    },
    executor_creation_fn=_create,
    description="Runs each step in its own forked process.",
    requires_persistent_io=True,
)
