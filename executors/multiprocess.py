"""The multiprocess executor: every step in its own process, at the cost of a fork.

The run process already holds the user's code, so a step process is ``os.fork()`` of it: no
interpreter start, no re-import, no instance to reopen (Dagster's spawned steps pay ≈1.7 s for
those). The parent keeps the one scheduler (``core.execution.scheduler``) and is the single
writer of the run's events; each child runs the shared step runner and streams its events
back over a pipe as length-prefixed pickles, a few writes per step: it holds events back
until its compute function is about to run or resume, its outcome, or its exit (each write
wakes the parent; eight a step cost more than the step), except what its code emits while it
runs (``context.log`` lines, ``log_event``): those go within 20 ms (``LIVE_DELAY``, a timer
thread started with the first), so the run worker stores them while the step runs. A child
that dies without reporting an outcome (SIGKILL, segfault, ``os._exit``, OOM kill) becomes a
STEP_FAILURE that names the exit code or signal, and the scheduler abandons what depended on
it while other branches go on.

The step zygote: forking the run worker itself costs the worker more than the fork. Every
fork makes the worker's pages copy-on-write again, so after each one the worker copies each
page it writes anew (~600 page faults of 3-5 us a step on this project's VM: 1.8 of its
3.2 ms of CPU a step) and parks its event writer around it. So before its first step a run
forks one **zygote** from the worker (the code loaded, the plan built), which only forks
steps: it reads a request on a socket (the step's key, attempt, missing inputs and log
files), makes the step's event pipe, forks the step, and replies with its pid and the pipe's
read end (a passed descriptor); asked later, it gives a step's exit status (it reaps its
steps). It does as little as it can between forks, since after each fork every page it
writes is copied again too (~115 faults a step). Each step process is still a fork holding
the run's code, its own process and process group, streaming events over its own pipe to
the worker, the single writer. The worker watches each step's pid (a pidfd), signals its
group (timeouts, cancel) and turns a death without an outcome into a STEP_FAILURE naming the
exit status, which it asks the zygote for. The zygote dies with the worker (parent-death
signal), its steps with it; steps left running by a zygote that died fail, naming it — so
does a step it died while forking, which is never forked a second time — and the run forks
the rest from the worker. A zygote knows the plan as it was when it was
forked, so it serves runs whose plan is complete from the start (no dynamic outputs to
resolve); those, systems without ``pidfd_open``, and ``ORCH_STEP_ZYGOTE=0`` fork every step
from the worker.

Prepared steps: on a chain, each step waits for the one before it, so everything a step
process does before the step's code (the zygote's fork, the after-fork work, pointing its
output at the step's compute-log files) used to add to every step. So while a step runs, the
step that waits only for running steps (``ActiveExecution.next_up``) is *prepared*, in a slot
no running step uses: the zygote forks its process (request ``P``), which does all of that
and then blocks reading its **go pipe**. When the step becomes ready, ``launch`` writes its
missing inputs there (the upstream step's outcome decides them) and the step runs at once,
its resources initialised then: no user code runs in a prepared process before its upstream
succeeded. A step that never becomes ready (its upstream failed, or it was skipped, or the run
was canceled) has its go pipe closed empty: the process removes its compute-log files and
exits without an event (the zygote reaps it). Launched, LOGS_CAPTURED and the capture's index
row come when it is launched, as for any step; a prepared process that died while it waited
is ended and the step forked anew. ``max_concurrent: 1`` prepares nothing (one step process at
a time), nor does ``ORCH_STEP_PREPARE=0`` (for measuring the difference). Measured on a 50-step
chain through ``orch run`` (2 vCPUs): 6.5 → 5.1 ms a step; fan-outs, whose slots are all
running, are unchanged.

Fork safety: the parent forks only from its main thread; the event writer's timer thread is
parked around ``fork()`` by the writer's at-fork hooks, and children never touch the parent's
SQLite connection (they write only to their pipe and their compute-log files, and leave with
``os._exit``).

Start methods (``start_method``), for code that is not fork-safe (it started threads, or
holds a library that breaks across ``fork()``): ``fork`` (the default on Linux) is the above.
``forkserver`` and ``spawn`` start each step process with the ``multiprocess`` package, which
pickles with dill: the step process gets a :class:`~orch.core.execution.step_task.StepTask`
and imports the run's code from its origin (or receives the definition itself, closures and
lambdas included, when the run has none). ``forkserver`` forks each step from a server that
imported ``forkserver_preload`` (and orch) once, so a step costs a fork and the import of
the user's code; ``spawn`` (the default elsewhere, as on macOS) starts a fresh interpreter
per step. The pipe, the events and the crash reports are the same for every method.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import importlib.util
import json
import os
import pickle
import select
import selectors
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, NoReturn

from orch.core.config import Enum, EnumValue, Field, Int, ScalarUnion, Selector
from orch.core.errors import DagsterInvariantViolationError, serializable_error_info
from orch.core.events import EventRecord, EventType
from orch.core.execution.context import RunContext
from orch.core.execution.executor import (
    Executor,
    ExecutorDefinition,
    InitExecutorContext,
    execute_step_with_resources,
)
from orch.core.execution.live import LiveEvents
from orch.core.execution.scheduler import RunStep
from orch.core.execution.step import KEEP_PROCESSES_TAG, step_timeout
from orch.core.execution.step_task import StepTask, open_step_task, step_task
from orch.core.plan.plan import ExecutionStep
from orch.core.plan.sources import StepOutputHandle
from orch.core.storage.event_writer import forget_writers, unpoison
from orch.core.storage.serde import dumps_compact, loads

_HEADER = struct.Struct("!I")
_OUTCOMES = frozenset({EventType.STEP_SUCCESS, EventType.STEP_FAILURE,
                       EventType.STEP_UP_FOR_RETRY})
LIVE_DELAY = 0.02  # s: a log line a step wrote waits at most this long in the step process


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
    exit_fd: int | None = None  # a pidfd (or the process's sentinel): readable once it exited
    process: Any = None  # the multiprocess Process of a forkserver or spawn step process
    status: int | None = None  # its exit status once reaped (as os.waitpid gives it)
    zygote: _Zygote | None = None  # the zygote that forked it (and reaps it)
    lost: bool = False  # its zygote died: its exit status is unknown


class _NotLaunched(BaseException):
    """A prepared step process's go pipe closed without the step's missing inputs: the step
    will not run here (its upstream step failed, or the run ended). It exits sending
    nothing."""


def _await_go(go_fd: int) -> frozenset[StepOutputHandle]:
    """In a prepared step process: block until the run worker launches the step, and return
    its missing inputs (raises :class:`_NotLaunched` if it never does)."""
    data = bytearray()
    try:
        while chunk := os.read(go_fd, 1 << 16):
            data += chunk
    finally:
        os.close(go_fd)
    if not data:
        raise _NotLaunched()
    missing: frozenset[StepOutputHandle] = pickle.loads(data)
    return missing


def _unlink_quietly(path: str | None) -> None:
    if path:
        try:
            os.unlink(path)
        except OSError:
            pass


class _StepLost(Exception):
    """The zygote took a step's request and died before replying: the step may have started
    (and been killed with the zygote), so it fails; it is never forked a second time."""


@dataclass
class _Prepared:
    """A step process the zygote forked ahead (``_ForkLauncher.prepare``), waiting on its go
    pipe."""

    child: _Child
    go_fd: int


class _Zygote:
    """The run worker's side of its step zygote (module docstring): a socket to it, on which
    each request gets one reply, and its pid. Requests: ``F`` + a pickled step (fork it: the
    reply is its pid, with the read end of its event pipe attached), ``P`` + a pickled step
    (fork it prepared: the write end of its go pipe is attached too) and ``W`` + a pid (the
    reply is its exit status once it exited: the zygote reaps its steps)."""

    def __init__(self, pid: int, sock: socket.socket):
        self.pid = pid
        self.sock = sock
        self.dead = False
        self.delivered = False  # the last request reached the zygote

    def fork(self, request: bytes, prepared: bool = False) -> tuple[int, list[int]] | None:
        """(pid, [read end of its event pipe]) of a step the zygote forked — with the write
        end of its go pipe after it when ``prepared`` (the process waits for the step's
        missing inputs on it: see ``_ForkLauncher.prepare``); None when the zygote was gone
        before it took the request. Raises :class:`_StepLost` when it took the request and
        died without replying: the step may have started."""
        count = 2 if prepared else 1
        reply = self._ask((b"P" if prepared else b"F") + request,
                          socket.CMSG_SPACE(count * _FD.size))
        if reply is None:
            if self.delivered:
                raise _StepLost()
            return None
        data, ancillary = reply
        fds = [fd for level, kind, raw in ancillary
               if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS
               for (fd,) in _FD.iter_unpack(raw[:len(raw) - len(raw) % _FD.size])]
        if len(data) != _PID.size or len(fds) != count:
            for fd in fds:
                os.close(fd)
            self.dead = True
            raise _StepLost()
        return _PID.unpack(data)[0], fds

    def status_of(self, pid: int) -> int | None:
        """The exit status of ``pid``, a step that has exited (the zygote reaps it now if it
        has not yet); None when the zygote is gone."""
        reply = self._ask(b"W" + _PID.pack(pid), 0)
        if reply is None or len(reply[0]) != _PID.size:
            self.dead = True
            return None
        return _PID.unpack(reply[0])[0]

    def _ask(self, request: bytes, ancillary_size: int) -> tuple[bytes, list[Any]] | None:
        """The reply to ``request``; None once the zygote is gone (``delivered`` says
        whether it took the request first)."""
        self.delivered = False
        if self.dead:
            return None
        try:
            self.sock.send(request)
        except OSError:
            self.dead = True
            return None
        self.delivered = True
        try:
            data, ancillary, _, _ = self.sock.recvmsg(_PID.size, ancillary_size,
                                                      socket.MSG_CMSG_CLOEXEC)
        except OSError:
            data = b""
        if not data:
            self.dead = True
            return None
        return data, ancillary

    def close(self) -> None:
        """End the zygote (it reaps what is left and exits when its socket closes), and
        reap it."""
        self.sock.close()
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


def _zygote_wanted(run_context: RunContext) -> bool:
    """Whether a run's steps are forked by a zygote (module docstring)."""
    plan = run_context.plan
    return _PIDFD is not None and plan is not None \
        and os.environ.get("ORCH_STEP_ZYGOTE", "1") != "0" \
        and all(step.is_resolved for step in plan.steps.values())


# A request larger than this (a step missing thousands of inputs) is forked from the worker:
# the zygote's receive buffer stays small (no 1 MB allocation, mapped and unmapped, a step).
_MAX_REQUEST = 1 << 16
_PID = struct.Struct("i")  # a pid or an exit status, in the zygote's replies
_FD = struct.Struct("i")  # a descriptor in SCM_RIGHTS data


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
    pickle, ``flush()`` writes what is queued in one go (an outcome is written at once), and
    ``soon(event)`` queues an event the step emitted while its code runs (a log line) to be
    written within :data:`LIVE_DELAY` by a timer thread, started with the first such event,
    unless a flush comes first. An event whose data does not pickle goes as the plain JSON
    data storage would keep (or a note saying why not)."""

    def __init__(self, write_fd: int):
        self.write_fd = write_fd
        self.outcome_sent = False
        self.queued = bytearray()
        self._lock = threading.Lock()  # guards queued and the fd: the timer writes too
        self._wake = threading.Condition(self._lock)
        self._live_since: float | None = None  # when the oldest unsent live event came
        self._timer: threading.Thread | None = None

    def flush(self) -> None:
        with self._lock:
            self._flush()

    def _flush(self) -> None:
        self._live_since = None
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
        with self._lock:
            self.queued += _HEADER.pack(len(payload))
            self.queued += payload
            if event.event_type in _OUTCOMES:
                self.outcome_sent = True
                self._flush()

    def soon(self, event: EventRecord) -> None:
        self(event)
        with self._lock:
            if self._live_since is None and self.queued:
                self._live_since = time.monotonic()
                if self._timer is None:
                    self._timer = threading.Thread(target=self._timer_loop, daemon=True,
                                                   name="orch-step-events")
                    self._timer.start()
                else:
                    self._wake.notify()

    def _timer_loop(self) -> None:
        with self._lock:
            while True:
                since = self._live_since
                if since is None:
                    self._wake.wait()
                    continue
                due = since + LIVE_DELAY - time.monotonic()
                if due > 0:
                    self._wake.wait(due)
                    continue
                try:
                    self._flush()
                except OSError:  # the run worker is gone: the step ends on its own
                    return


def _report_child_crash(rc: _Where, step_key: str, exc: BaseException, send: _Pipe) -> None:
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
                      f'Execution of step "{step_key}" failed: {type(exc).__name__} escaped the '
                      f"step process ({exc}).", step_key, 40,
                      {"error": serializable_error_info(exc), "error_source": "FRAMEWORK_ERROR"}))
    except BaseException:
        pass


@dataclass
class _Where:
    """Which run a step process's events belong to, before its run context exists."""

    run_id: str
    pipeline_name: str

    def event(self, event_type: EventType | None, message: str, step_key: str | None,
              level: int, data: dict[str, Any]) -> EventRecord:
        return EventRecord(self.run_id, self.pipeline_name, event_type, message, step_key,
                           level, time.time(), data=data)


def _step_process(where: _Where, step_key: str, body: Callable[[_Pipe], None], write_fd: int,
                  captured: Any, signals_set: bool = False) -> NoReturn:
    """The life of a step process, whichever way it started: signals and process group as
    a step needs them (``signals_set``: inherited already, from a zygote), output to its
    compute-log files, ``body(send)`` to run the step, a STEP_FAILURE for whatever escapes
    it, then ``os._exit``."""
    status = 0
    send = _Pipe(write_fd)
    try:
        if not signals_set:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _own_process_group(0)
        _set_parent_death_signal()
        # A process the step forks must not hold the run's pipe open (exec'd ones never
        # get it: pipes are close-on-exec).
        os.register_at_fork(after_in_child=lambda: _close_quietly(write_fd))
        if captured is not None and captured.stdout_path:
            from orch.core.storage.compute_logs import redirect_output

            with redirect_output(captured.stdout_path, captured.stderr_path,
                                 (where.run_id, step_key)):
                try:
                    body(send)
                except _NotLaunched:
                    raise
                except BaseException as exc:
                    _report_child_crash(where, step_key, exc, send)
                    raise
        else:
            body(send)
    except _NotLaunched:  # prepared, never launched: leave no trace
        if captured is not None and captured.stdout_path:
            for path in (captured.stdout_path, captured.stderr_path):
                _unlink_quietly(path)
    except BaseException as exc:
        if not getattr(exc, "_orch_reported", False):
            _report_child_crash(where, step_key, exc, send)
        status = 70
    finally:
        try:
            send.flush()  # what came after the outcome (hooks, resource teardown)
        except BaseException:
            status = status or 70
        finally:
            os._exit(status)


def _task_main(task: StepTask, conn: Any, captured: Any) -> None:
    """A ``forkserver`` or ``spawn`` step process: open the task in this process (the run's
    code imported from its origin, or carried in the task), then run it like a forked step."""
    write_fd = conn.fileno()

    def body(send: _Pipe) -> None:
        rc, step = open_step_task(task)
        rc.before_user_code = send.flush
        live = rc.live = LiveEvents(send.soon)
        for event in execute_step_with_resources(rc, step, task.attempt, task.missing):
            if not live.taken(event):
                send(event)

    _step_process(_Where(task.run.run_id, task.run.pipeline_name), task.step_key, body,
                  write_fd, captured)


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
                 step_timeout: float | None, start_method: str = "fork",
                 forkserver_preload: tuple[str, ...] = ()):
        self.rc = run_context
        self.run_step = run_step
        self.max_concurrent = max_concurrent
        self.start_method = start_method
        self.context = _context(start_method, forkserver_preload, run_context.run)
        self.step_timeout = step_timeout
        self.children: dict[int, _Child] = {}  # by read fd
        self.selector = selectors.DefaultSelector()
        self.compute_logs = getattr(run_context.instance, "compute_log_manager", None)
        self.zygote: _Zygote | None = None
        self._prepared: dict[str, _Prepared] = {}  # by step key

    def start(self) -> Iterator[EventRecord]:
        instance = self.rc.instance
        getattr(instance, "storage_dir", None)  # made and resolved once, before any fork
        if self.context is None and _zygote_wanted(self.rc):
            self.zygote = self._fork_zygote()
        zygote = f", forked by zygote {self.zygote.pid}" if self.zygote else ""
        yield self.rc.event(
            EventType.ENGINE_EVENT,
            f"Executing steps using the multiprocess executor (max_concurrent="
            f"{self.max_concurrent}, start_method {self.start_method}, pid {os.getpid()}"
            f"{zygote}).",
            data={"max_concurrent": self.max_concurrent, "start_method": self.start_method,
                  "zygote_pid": self.zygote.pid if self.zygote else None},
        )

    def free_slots(self) -> int:
        return self.max_concurrent - len(self.children)

    def running(self) -> int:
        return len(self.children)

    # -- preparing (core.execution.scheduler.PreparingLauncher) ---------------------------
    def prepare_slots(self) -> int:
        """Steps are prepared only by a zygote, in slots no running step uses (a process that
        reported its outcome is only exiting): a user's ``max_concurrent`` 1 gets one step
        process at a time. ``ORCH_STEP_PREPARE=0`` prepares none (to measure the
        difference)."""
        if self.zygote is None or os.environ.get("ORCH_STEP_PREPARE", "1") == "0":
            return 0
        running = sum(1 for child in self.children.values() if not child.outcome_seen)
        return self.max_concurrent - running - len(self._prepared)

    def prepare(self, step: ExecutionStep, attempt: int) -> None:
        """Have the zygote fork ``step``'s process now: it does everything up to the step's
        own code (its output to the step's files included) and waits on its go pipe for
        the step's missing inputs, which ``launch`` writes. Nothing is indexed or reported
        until then."""
        if self.zygote is None or step.key in self._prepared:
            return
        captured = None
        if self.compute_logs is not None:
            captured = self.compute_logs.begin_capture(self.rc.run_id, step.key, index=False)
        try:
            forked = self._fork_from_zygote(step, attempt, None, captured,
                                            step_timeout(step, self.step_timeout))
        except _StepLost:  # the zygote died: the process, if forked, died with it
            forked = None
            self._zygote_gone()
        if forked is None:
            if captured is not None and self.compute_logs is not None:
                self.compute_logs.abandon_capture(captured)
            return
        child, (go_fd,) = forked
        self._prepared[step.key] = _Prepared(child, go_fd)

    def prepared(self) -> list[str]:
        return list(self._prepared)

    def unprepare(self, key: str) -> None:
        prepared = self._prepared.pop(key, None)
        if prepared is not None:
            self._end_prepared(prepared)

    def _end_prepared(self, prepared: _Prepared) -> None:
        """Its go pipe closed with no inputs: the process removes its compute-log files and
        exits, sending nothing (the zygote reaps it)."""
        os.close(prepared.go_fd)
        _close_fds(prepared.child)
        if prepared.child.captured is not None and self.compute_logs is not None:
            self.compute_logs.abandon_capture(prepared.child.captured)

    def _go(self, step: ExecutionStep, attempt: int,
            missing: frozenset[StepOutputHandle]) -> _Child | None:
        """The process prepared for this attempt of ``step``, handed its missing inputs: the
        step starts. None when there is none, or it died while it waited (it is ended)."""
        prepared = self._prepared.pop(step.key, None)
        if prepared is None:
            return None
        if prepared.child.attempt == attempt:  # else prepared for another attempt
            try:
                os.write(prepared.go_fd,
                         pickle.dumps(missing, protocol=pickle.HIGHEST_PROTOCOL))
            except OSError:  # it died while it waited
                pass
            else:
                os.close(prepared.go_fd)
                prepared.child.started = time.monotonic()
                return prepared.child
        self._end_prepared(prepared)
        return None

    # -- launching ------------------------------------------------------------------------
    def launch(self, step: ExecutionStep, attempt: int,
               missing: frozenset[StepOutputHandle]) -> Iterator[EventRecord]:
        child = self._go(step, attempt, missing)
        if child is not None:
            yield from self._launched(child)
            return
        captured = None
        if self.compute_logs is not None:
            captured = self.compute_logs.begin_capture(self.rc.run_id, step.key, index=False)
        timeout = step_timeout(step, self.step_timeout)
        try:
            forked = None if self.zygote is None else \
                self._fork_from_zygote(step, attempt, missing, captured, timeout)
        except _StepLost:
            yield self._lost_at_launch(step)
            return
        if forked is not None:
            child = forked[0]
        elif self.context is None:  # no zygote (or it is gone): this process forks it
            child = self._fork(step, attempt, missing, captured, timeout)
        else:  # forkserver, spawn
            child = self._start(step, attempt, missing, captured, timeout)
        yield from self._launched(child)

    def _launched(self, child: _Child) -> Iterator[EventRecord]:
        """Watch a step process that runs its step now, and say so."""
        step, captured, pid = child.step, child.captured, child.pid
        self.children[child.fd] = child
        self.selector.register(child.fd, selectors.EVENT_READ, child)
        if child.exit_fd is not None:
            self.selector.register(child.exit_fd, selectors.EVENT_READ, child)
        if captured is not None and self.compute_logs is not None:  # as the process starts
            self.compute_logs.index_capture(captured, self.rc.index_compute_log)
        yield self.rc.event(EventType.ENGINE_EVENT,
                            f'Launched step process {pid} for "{step.key}".', step.key,
                            data={"pid": pid, "attempt": child.attempt})
        if captured is not None and captured.stdout_path:
            yield self.rc.event(EventType.LOGS_CAPTURED,
                                f'Started capturing logs for step "{step.key}".', step.key,
                                data=captured.logs_captured_data())

    def _fork(self, step: ExecutionStep, attempt: int, missing: frozenset[StepOutputHandle],
              captured: Any, timeout: float | None) -> _Child:
        _prctl()  # looked up here, before the fork, once per run worker
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the step process
            os.close(read_fd)
            self._run_child(step, attempt, missing, write_fd, captured)  # never returns
        _own_process_group(pid)  # also here: the child may not have done it yet
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        child = _Child(step, attempt, pid, read_fd, time.monotonic(), timeout, captured)
        child.exit_fd = _pidfd(pid)
        return child

    # -- the step zygote ------------------------------------------------------------------
    def _fork_zygote(self) -> _Zygote | None:
        _prctl()
        if self.compute_logs is not None:
            from orch.core.storage.compute_logs import before_fork

            before_fork()
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:  # the zygote
            mine.close()
            self._zygote_main(theirs)  # never returns
        theirs.close()
        zygote = _Zygote(pid, mine)
        # This process learns that a step ended from a pidfd of a process not its own.
        probe = _pidfd(pid)
        if probe is None:
            zygote.close()
            return None
        os.close(probe)
        return zygote

    def _zygote_main(self, sock: socket.socket) -> NoReturn:
        """The zygote's life (see the module docstring). It does as little as it can per
        step, since every fork makes each page it then writes a copy: read a request, fork,
        reply; it reaps steps that have exited when it is next asked anything, keeping the
        status only of those that did not exit 0 (a step the worker asks about that is
        neither running nor kept exited 0)."""
        status = 0
        try:
            forget_writers()  # the zygote writes no events: its forks need not lock writers
            gc.freeze()  # what every step inherits is never walked by their collectors
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            _set_parent_death_signal()
            plan = self.rc.plan
            assert plan is not None
            rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, b"")]
            exited: dict[int, int] = {}  # reaped, did not exit 0, not asked about yet
            running: set[int] = set()
            while True:
                request = sock.recv(_MAX_REQUEST)
                while running:  # reap what has exited (no zombies pile up)
                    try:
                        pid, exit_status = os.waitpid(-1, os.WNOHANG)
                    except ChildProcessError:
                        break
                    if not pid:
                        break
                    running.discard(pid)
                    if exit_status:
                        exited[pid] = exit_status
                if not request:
                    break  # the worker is done with us
                if request[:1] == b"W":
                    (pid,) = _PID.unpack(request[1:])
                    if pid in running:
                        running.discard(pid)
                        exited[pid] = os.waitpid(pid, 0)[1]
                    sock.send(_PID.pack(exited.pop(pid, 0)))
                    continue
                # The step's ends of its pipes, and the worker's: events up one; for a
                # prepared step (``P``), its missing inputs down the other once launched.
                read_fd, write_fd = os.pipe()
                go_read, go_write = os.pipe() if request[:1] == b"P" else (None, None)
                pid = os.fork()
                if pid == 0:  # the step process
                    sock.close()
                    os.close(read_fd)
                    if go_write is not None:
                        os.close(go_write)
                    step_key, attempt, missing, captured = pickle.loads(request[1:])
                    self._run_child(plan.get_step(step_key), attempt, missing, write_fd,
                                    captured, from_zygote=True, go_fd=go_read)  # never returns
                _own_process_group(pid)  # before the worker can signal its group
                running.add(pid)
                workers = [read_fd] if go_write is None else [read_fd, go_write]
                rights[0] = (socket.SOL_SOCKET, socket.SCM_RIGHTS,
                             b"".join(_FD.pack(fd) for fd in workers))
                sock.sendmsg([_PID.pack(pid)], rights)
                for fd in (write_fd, go_read, *workers):
                    if fd is not None:
                        os.close(fd)
            for pid in running:
                os.waitpid(pid, 0)
        except BaseException:
            status = 70
        finally:
            os._exit(status)

    def _fork_from_zygote(self, step: ExecutionStep, attempt: int,
                          missing: frozenset[StepOutputHandle] | None, captured: Any,
                          timeout: float | None) -> tuple[_Child, list[int]] | None:
        """The step forked by the zygote — prepared when ``missing`` is None, the write end of
        its go pipe coming back beside it — or None when the zygote is gone (its steps are
        then forked from this process) or the request is too large for it."""
        zygote = self.zygote
        assert zygote is not None
        request = pickle.dumps((step.key, attempt, missing, captured),
                               protocol=pickle.HIGHEST_PROTOCOL)
        if len(request) + 1 > _MAX_REQUEST:
            return None  # this one from the worker; the zygote serves the next
        forked = zygote.fork(request, prepared=missing is None)
        if forked is None:
            self._zygote_gone()
            return None
        pid, (read_fd, *go) = forked
        os.set_blocking(read_fd, False)
        child = _Child(step, attempt, pid, read_fd, time.monotonic(), timeout, captured,
                       zygote=zygote)
        # Opened before the zygote can reap it: it reaps only when asked something next.
        child.exit_fd = _pidfd(pid)
        return child, go

    def _lost_at_launch(self, step: ExecutionStep) -> EventRecord:
        """The STEP_FAILURE of a step whose zygote died while forking it; later steps fork
        from this process."""
        assert self.zygote is not None
        zygote_pid = self.zygote.pid
        self._zygote_gone()
        cause = f"the run's step zygote (pid {zygote_pid}) died while starting its process"
        return self.rc.event(
            EventType.STEP_FAILURE, f'Execution of step "{step.key}" failed: {cause}.',
            step.key, 40,
            {"error": {"cls_name": "StepProcessCrash", "message": f"{cause[0].upper()}"
                       f"{cause[1:]}.", "stack": []},
             "error_source": "PROCESS_CRASH", "zygote_pid": zygote_pid},
        )

    def _zygote_gone(self) -> None:
        """No more steps from the zygote: later steps fork from this process."""
        zygote, self.zygote = self.zygote, None
        for key in list(self._prepared):  # they die with it
            self.unprepare(key)
        if zygote is not None:
            zygote.close()

    def _start(self, step: ExecutionStep, attempt: int, missing: frozenset[StepOutputHandle],
               captured: Any, timeout: float | None) -> _Child:
        """A step process started by the ``multiprocess`` package (forkserver, spawn)."""
        context = self.context
        reader, writer = context.Pipe(duplex=False)
        task = step_task(self.rc, step, attempt, missing)
        process = context.Process(target=_task_main, args=(task, writer, captured),
                                  name=f"orch step {step.key}")
        try:
            process.start()
        finally:
            writer.close()
        read_fd = os.dup(reader.fileno())
        reader.close()
        os.set_blocking(read_fd, False)
        assert process.pid is not None
        child = _Child(step, attempt, process.pid, read_fd, time.monotonic(), timeout,
                       captured, process=process)
        child.exit_fd = process.sentinel
        return child

    def _run_child(self, step: ExecutionStep, attempt: int,
                   missing: frozenset[StepOutputHandle] | None, write_fd: int, captured: Any,
                   from_zygote: bool = False, go_fd: int | None = None) -> NoReturn:
        # What the step process inherited goes to the collector's permanent generation, so
        # its own collections never walk the run worker's heap, which grows with the plan
        # (a full collection there copies every page on write: 0.4 s at 5,000 steps).
        gc.freeze()
        for fd, other in list(self.children.items()):
            os.close(fd)
            if other.exit_fd is not None and other.process is None:
                os.close(other.exit_fd)
        rc = self.rc

        def body(send: _Pipe) -> None:
            rc.raise_on_error = False
            rc.output_capture = None
            rc.before_user_code = send.flush
            live = rc.live = LiveEvents(send.soon)  # not the run worker's (its writer)
            missing_now = _await_go(go_fd) if go_fd is not None else missing
            assert missing_now is not None  # a step forked to run at once is told them
            for event in self.run_step(step, attempt, missing_now):
                if not live.taken(event):
                    send(event)

        _step_process(_Where(rc.run_id, rc.pipeline_name), step.key, body, write_fd, captured,
                      signals_set=from_zygote)

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
                if child.process is None and child.zygote is None and _has_exited(child.pid):
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
        _close_fds(child)
        del self.children[child.fd]

    def _reap(self, child: _Child) -> Iterator[EventRecord]:
        self._forget(child)
        # A zygote's step that reported its outcome needs no status (the zygote reaps it
        # when next asked anything): that saves a round trip a step.
        status = None if child.zygote is not None and child.outcome_seen else _wait(child)
        assert status is not None or child.lost or child.outcome_seen
        if child.step.tags.get(KEEP_PROCESSES_TAG, "").lower() not in ("1", "true", "yes"):
            _signal_step(child, signal.SIGKILL)  # what the step started and left behind
        if child.captured is not None and child.captured.stdout_path and self.compute_logs:
            # The capture's last row rides with the next commit (the step's outcome when it is
            # still to be handed on, else the next step's): no commit of its own, which came
            # 2 ms after the outcome's and so woke the writer's timer thread, a step.
            self.compute_logs.end_capture(
                child.captured,
                self.rc.index_compute_log_lazily or self.rc.index_compute_log)
        if child.outcome_seen:
            return
        step = child.step
        if child.timed_out:
            cause = f"exceeded its timeout of {child.timeout:g}s and was killed"
        elif status is None:
            cause = ("was lost: the run's step zygote (the process that forked it, pid "
                     f"{child.zygote.pid if child.zygote else '?'}) died")
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
                _signal_step(child, signal.SIGKILL)
        return iter(())

    # -- cancellation ---------------------------------------------------------------------
    def terminate(self) -> Iterator[EventRecord]:
        """SIGTERM every step's process group, SIGKILL what is left of each group after a
        grace period (the step's own children too), reap all."""
        for key in list(self._prepared):
            self.unprepare(key)
        children = list(self.children.values())
        for child in children:
            _signal_step(child, signal.SIGTERM)
        deadline = time.monotonic() + 2.0
        for child in children:
            while time.monotonic() < deadline:
                if _wait(child, block=False) is not None or child.lost:
                    break
                time.sleep(0.01)
            else:
                _signal_step(child, signal.SIGKILL)
                _wait(child)
            _signal_step(child, signal.SIGKILL)  # what the step started and left behind
            self._forget(child)
            if child.captured is not None and child.captured.stdout_path and self.compute_logs:
                self.compute_logs.end_capture(child.captured, self.rc.index_compute_log)
            yield self.rc.event(EventType.ENGINE_EVENT,
                                f'Terminated step process {child.pid} of "{child.step.key}" '
                                "because the run was canceled.", child.step.key, 30,
                                {"pid": child.pid})

    def close(self) -> None:
        for key in list(self._prepared):
            self.unprepare(key)
        for child in list(self.children.values()):
            _signal_step(child, signal.SIGKILL)
            try:
                _wait(child)
            except ChildProcessError:
                pass
            _close_fds(child)
        self.children.clear()
        self.selector.close()
        if self.zygote is not None:
            self.zygote.close()
            self.zygote = None


def _wait(child: _Child, block: bool = True) -> int | None:
    """The step process's exit status as ``os.waitpid`` gives it (reaped), or None while it
    runs (``block=False``). A forkserver's step process is not this process's child: its
    status comes through the ``multiprocess`` Process; a zygote's step's from the zygote
    (None when the zygote died first: ``child.lost``)."""
    if child.status is not None or child.lost:
        return child.status
    if child.zygote is not None:
        if not block and (child.exit_fd is None or not _readable(child.exit_fd)):
            return None
        child.status = child.zygote.status_of(child.pid)
        child.lost = child.status is None
        return child.status
    process = child.process
    if process is None:
        pid, status = os.waitpid(child.pid, 0 if block else os.WNOHANG)
        if pid:
            child.status = status
        return child.status
    process.join(None if block else 0)
    code = process.exitcode
    if code is None:
        return None
    child.status = -code if code < 0 else code << 8  # a signal number, or an exit code
    process.close()  # its sentinel too
    return child.status


def _readable(fd: int) -> bool:
    return bool(select.select([fd], [], [], 0)[0])


def _close_fds(child: _Child) -> None:
    """The pipe, and a forked child's pidfd (a Process closes its sentinel in ``_wait``; a
    zygote's step has none here)."""
    os.close(child.fd)
    if child.process is None and child.exit_fd is not None:
        os.close(child.exit_fd)


def _context(start_method: str, preload: tuple[str, ...], run: Any) -> Any:
    """The ``multiprocess`` context that starts step processes, or None for ``fork`` (a
    plain ``os.fork``, cheapest)."""
    if start_method == "fork":
        return None
    import multiprocess

    context = multiprocess.get_context(start_method)
    if start_method == "forkserver":
        _ensure_fork_server(context, preload, run)
    return context


# What a fork server imports before forking steps: the step process's side of orch, then
# the user's preload list, then the run's own code (executors/forkserver_code.py).
_ORCH_PRELOAD = ["orch.executors.multiprocess", "orch.core.execution.api",
                 "orch.core.workspace", "orch.core.instance", "orch.core.storage.sqlite"]
_SERVED: tuple[list[str], str] | None = None  # what this process's fork server preloaded


def _ensure_fork_server(context: Any, preload: tuple[str, ...], run: Any) -> None:
    """Start this process's fork server (one per process) with orch, ``preload`` and the
    run's code imported; restart it when an earlier run here wanted something else."""
    global _SERVED
    from multiprocess import forkserver, spawn

    from .forkserver_code import ENV, MAIN_ENV

    wanted = [*_ORCH_PRELOAD, *preload, "orch.executors.forkserver_code"]
    code = json.dumps([run.pipeline_origin, run.pipeline_name]) if run.pipeline_origin else ""
    # The main script each step process would run again (see forkserver_code).
    main = spawn.get_preparation_data("orch").get("init_main_from_path") or ""
    server = forkserver._forkserver
    if _SERVED == (wanted, code + main) and server._forkserver_pid is not None:
        return
    server._stop()
    context.set_forkserver_preload(wanted)
    previous = {name: os.environ.get(name) for name in (ENV, MAIN_ENV)}
    os.environ.update({ENV: code, MAIN_ENV: main})
    try:
        server.ensure_running()
    finally:
        for name, value in previous.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value
    _SERVED = (wanted, code + main)


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
    """Signal the step process's group; fall back to the process alone (a started step
    process may not lead its group yet)."""
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        _kill(pid, sig)


def _signal_step(child: _Child, sig: int) -> None:
    """Signal a step's process group, or its process alone while that may not lead its group
    yet — only while it is unreaped: a reaped step's pid may be another process's by now
    (pids wrap at 32,768 on a default Linux, within seconds on a busy machine). A zygote's
    step leads its group before its pid is known here, and the zygote may reap it at any
    time, so only its group is ever signalled."""
    if child.zygote is None and child.status is None:
        _kill_group(child.pid, sig)
        return
    try:
        os.killpg(child.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


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
                 step_timeout: float | None = None, start_method: str = "fork",
                 forkserver_preload: tuple[str, ...] = ()):
        self.max_concurrent = max_concurrent
        self.retries_enabled = retries_enabled
        self.step_timeout = step_timeout
        self.start_method = start_method
        self.forkserver_preload = forkserver_preload

    def launcher(self, run_context: RunContext, run_step: RunStep) -> _ForkLauncher:
        return _ForkLauncher(run_context, run_step, self.max_concurrent, self.step_timeout,
                             self.start_method, self.forkserver_preload)


DEFAULT_START_METHOD = "fork" if sys.platform == "linux" else "spawn"
START_METHODS = ("fork", "forkserver", "spawn")


def start_method_choice(config: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    """(start method, modules the fork server preloads) from the executor config, which
    takes ``start_method: forkserver`` with ``forkserver_preload: [...]`` or Dagster's
    ``start_method: {forkserver: {preload_modules: [...]}}``. A preload list with another
    method, or naming a module that cannot be found, is an error that says so (the fork
    server itself would skip it silently)."""
    chosen = config.get("start_method") or DEFAULT_START_METHOD
    preload = list(config.get("forkserver_preload") or [])
    if isinstance(chosen, dict):
        [(chosen, body)] = chosen.items()
        preload += list((body or {}).get("preload_modules") or [])
    if preload and chosen != "forkserver":
        raise DagsterInvariantViolationError(
            f"multiprocess executor: forkserver_preload {preload} is only used with "
            f'start_method: forkserver, not "{chosen}".')
    for module in preload:
        if importlib.util.find_spec(module) is None:
            raise DagsterInvariantViolationError(
                f'multiprocess executor: forkserver_preload names module "{module}", which '
                "cannot be imported here.")
    return chosen, tuple(preload)


def _create(init: InitExecutorContext) -> MultiprocessExecutor:
    config = init.executor_config
    max_concurrent = int(config.get("max_concurrent") or 0) or (os.cpu_count() or 1)
    retries = config.get("retries") or {"enabled": {}}
    start_method, preload = start_method_choice(config)
    return MultiprocessExecutor(max_concurrent, "disabled" not in retries,
                                config.get("step_timeout"), start_method, preload)


_START_METHOD = ScalarUnion(
    Enum("StartMethod", [EnumValue(m) for m in START_METHODS]),
    Selector({"fork": {}, "spawn": {},
              "forkserver": {"preload_modules": Field([str], is_required=False)}}),
)


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
        "start_method": Field(_START_METHOD, is_required=False,
                              description="How step processes start: fork (default on Linux), "
                              "forkserver or spawn (default elsewhere)."),
        "forkserver_preload": Field([str], is_required=False,
                                    description="Modules the fork server imports once "
                                    "(start_method: forkserver)."),
    },
    executor_creation_fn=_create,
    description="Runs each step in its own forked process.",
    requires_persistent_io=True,
)
