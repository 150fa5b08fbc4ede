"""Launching runs: create the run record, then hand it to a run worker.

:class:`RunLauncher` is *how* a run starts and stops (launch, terminate, health check); the
instance's run coordinator (``core/run_coordinator.py``) decides *when*.
:class:`DefaultRunLauncher` starts ``python -m orch.core.worker RUN_ID`` (:func:`launch_run`);
a submitter that executes the run itself (``orch run`` forks a worker that already holds the
code, the code server executes the run in its own process) offers its own launcher
(:class:`CallerLauncher`) to ``Instance.submit_run``: the default coordinator uses it at
once; under the queued one the submitter uses it when its run's turn comes
(``run_coordinator.wait_for_turn``), or follows the worker another dequeuer started
(:class:`RecordedWorker`)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .events import EventRecord, EventType
from .runs import PipelineRun

if TYPE_CHECKING:
    from .instance import Instance


def create_run(instance: Instance, pipeline: Any, **prepare_kwargs: Any) -> PipelineRun:
    """Validate everything (config, selection, mode, preset) and store the run NOT_STARTED.

    ``pipeline`` must carry its origin (``reconstructable(...)`` or a loaded workspace
    pipeline) so the worker can import it again. Invalid input raises before anything is
    stored."""
    from .definitions.snapshot import pipeline_snapshot
    from .execution.api import prepare_run

    prepared = prepare_run(pipeline, **prepare_kwargs)
    return instance.create_run(prepared.run, pipeline_snapshot(prepared.pipeline_def),
                               prepared.plan.snapshot())


def launch_run(instance: Instance, run: PipelineRun, *, stdout: Any = None, stderr: Any = None,
               env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start ``python -m orch.core.worker RUN_ID`` for a stored run.

    PIPELINE_STARTING is committed *before* the worker exists (naming this process as the one
    responsible), so it can never land after the worker's own events; once the worker runs,
    its pid is recorded for crash recovery. If this process dies in between, recovery fails
    the run instead of leaving it STARTING."""
    child_env = dict(os.environ if env is None else env)
    if instance.root_dir is not None:
        child_env["ORCH_HOME"] = str(instance.root_dir)
    working_directory = _announce(instance, run)
    process = subprocess.Popen(
        [sys.executable, "-m", "orch.core.worker", run.run_id],
        cwd=working_directory, env=child_env, stdout=stdout, stderr=stderr,
        start_new_session=False,
    )
    instance.storage.set_run_worker(run.run_id, process.pid)
    return process


def _announce(instance: Instance, run: PipelineRun) -> str:
    """Commit PIPELINE_STARTING naming this process; the run's working directory."""
    instance.handle_new_event(EventRecord(
        run.run_id, run.pipeline_name, EventType.PIPELINE_STARTING,
        f"Launching a run worker process from process {os.getpid()}.",
        data={"worker_pid": os.getpid()},
    ))
    return (run.pipeline_origin or {}).get("working_directory") or os.getcwd()


class ForkedWorker:
    """A run worker forked from this process, with the part of ``subprocess.Popen``'s
    interface a follower uses (``pid``, ``poll``, ``wait``, ``send_signal``, ``returncode``),
    and :meth:`pause`: a sleep that the worker cuts short when its run is over.

    ``done_fd`` is the read end of a pipe whose write end only the worker holds: it writes a
    byte once its run's last event is committed, and the pipe reads as closed the moment it
    exits however it ends (a crash, a signal). A follower can then wait long between polls of
    storage — each poll wakes it, and on 2 cores those wake-ups take time from the run — and
    still see the run's end at once."""

    def __init__(self, pid: int, done_fd: int | None = None):
        self.pid = pid
        self.returncode: int | None = None
        self._done_fd = done_fd

    @property
    def reported_done(self) -> bool:
        """The worker said its run is over, or exited (or there is no pipe to wait on)."""
        return self._done_fd is None

    def pause(self, seconds: float) -> None:
        """Sleep ``seconds``, or less when the worker says its run is over (or exits)
        meanwhile; once it has, a plain sleep."""
        fd = self._done_fd
        if fd is None:
            time.sleep(seconds)
            return
        ready, _, _ = select.select([fd], [], [], seconds)
        if ready:
            self._close_done_fd()

    def _close_done_fd(self) -> None:
        if self._done_fd is not None:
            os.close(self._done_fd)
            self._done_fd = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
                self._close_done_fd()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"run worker {self.pid}", timeout or 0)
            time.sleep(0.005)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class RecordedWorker:
    """The worker of a run that another process launched (a dequeuer took a run its
    submitter was waiting to execute), known only from the instance, with the same interface
    as :class:`ForkedWorker`: ``poll`` is the run's exit code once it finished (0 success,
    130 canceled, 1 otherwise) or 1 once its recorded worker is gone."""

    def __init__(self, instance: Instance, run_id: str):
        self.instance = instance
        self.run_id = run_id
        self.returncode: int | None = None

    @property
    def pid(self) -> int | None:
        run = self.instance.get_run(self.run_id)
        return run.worker_pid if run is not None else None

    def poll(self) -> int | None:
        if self.returncode is None:
            run = self.instance.get_run(self.run_id)
            if run is None or run.status.is_finished:
                value = run.status.value if run is not None else "FAILURE"
                self.returncode = {"SUCCESS": 0, "CANCELED": 130}.get(value, 1)
            elif self.instance.run_launcher.check_health(self.instance, run) == WORKER_GONE:
                self.returncode = 1
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"run {self.run_id}", timeout or 0)
            time.sleep(0.05)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, sig: int) -> None:
        pid = self.pid
        if self.returncode is None and pid and pid != os.getpid():
            os.kill(pid, sig)


def fork_run(instance: Instance, run: PipelineRun, pipeline_def: Any, *, output: Any = None,
             console: bool = False) -> ForkedWorker | subprocess.Popen:
    """Execute a stored run in a fork of this process: the run worker of ``launch_run``
    without a second interpreter, for a caller that has just loaded ``pipeline_def`` from the
    run's origin (``orch run``). The worker is still its own process — a crash, ``os._exit``
    or a signal in user code ends it, not the caller — it opens its own connection to the
    instance and writes every event of the run, and its output goes to ``output`` (a file).
    ``console=False`` (the default): the caller shows the events from storage, so the worker
    does not also echo each one through the console logger into ``output``.

    Falls back to ``launch_run`` where there is no fork or no instance directory to reopen.
    Fork safety: the caller must not hold a lock another thread needs (event writers park
    their timer threads around ``fork`` themselves)."""
    if not hasattr(os, "fork") or instance.root_dir is None:
        return launch_run(instance, run, stdout=output, stderr=output)
    working_directory = _announce(instance, run)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    done_read, done_write = os.pipe()  # see ForkedWorker
    pid = os.fork()
    if pid == 0:  # the run worker
        os.close(done_read)
        _run_forked_worker(str(instance.root_dir), run.run_id, pipeline_def, output,
                           working_directory, console, done_write)
    os.close(done_write)
    instance.storage.set_run_worker(run.run_id, pid)
    return ForkedWorker(pid, done_read)


def _run_forked_worker(home: str, run_id: str, pipeline_def: Any, output: Any,
                       working_directory: str, console: bool, done_fd: int) -> None:
    """The forked worker's whole life; never returns. Once the run is over and its instance
    closed (every event committed), one byte on ``done_fd`` tells the caller."""
    code = 70
    try:
        import gc

        # What the worker inherited (the CLI's heap: its imports, the loaded code) goes to
        # the collector's permanent generation: the run's own collections never walk it.
        gc.freeze()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_DFL)
        if output is not None:
            fd = output.fileno()
            os.dup2(fd, 1)
            os.dup2(fd, 2)
        _unbuffered_output()
        os.environ["PYTHONUNBUFFERED"] = "1"  # and so are processes the user's code starts
        os.environ["ORCH_HOME"] = home
        os.environ.setdefault("ORCH_WORKER", "1")
        os.chdir(working_directory)
        from .instance import Instance
        from .worker import execute_stored_run

        with Instance.from_home(home) as instance:
            code = execute_stored_run(instance, run_id, pipeline_def=pipeline_def,
                                      console=console)
        _say_done(done_fd)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _say_done(fd: int) -> None:
    """The run is over (see ForkedWorker); a caller that has gone away is no error."""
    try:
        os.write(fd, b"\n")
    except OSError:
        pass


def _unbuffered_output() -> None:
    """``sys.stdout``/``sys.stderr`` write straight to fds 1 and 2, as with
    ``PYTHONUNBUFFERED`` (which a forked process cannot read at start-up): the follower shows
    what user code prints as it happens."""
    import io

    for name, fd in (("stdout", 1), ("stderr", 2)):
        current = getattr(sys, name)
        stream = io.TextIOWrapper(io.FileIO(fd, "w", closefd=False), write_through=True,
                                  encoding=getattr(current, "encoding", None) or "utf-8",
                                  errors=getattr(current, "errors", None) or "backslashreplace")
        setattr(sys, name, stream)


WORKER_RUNNING, WORKER_GONE, WORKER_UNKNOWN = "RUNNING", "GONE", "UNKNOWN"


class RunLauncher(ABC):
    """Starts the worker of a stored run, stops it, and says whether it still runs."""

    @classmethod
    def from_config(cls, config: dict[str, Any], root: Path) -> RunLauncher:
        return cls(**config)

    @abstractmethod
    def launch_run(self, instance: Instance, run: PipelineRun) -> None:
        """Start ``run``'s worker (PIPELINE_STARTING is committed before it exists)."""

    def terminate(self, instance: Instance, run_id: str) -> bool:
        """Ask the run to stop: the cancel flag its worker polls, and SIGTERM to the worker.
        False if the run does not exist or has finished."""
        run = instance.get_run(run_id)
        if run is None or run.status.is_finished:
            return False
        requested = instance.request_cancel(run_id)
        if run.worker_pid and run.worker_pid != os.getpid():
            try:
                os.kill(run.worker_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        return requested

    def check_health(self, instance: Instance, run: PipelineRun) -> str:
        """WORKER_RUNNING, WORKER_GONE, or WORKER_UNKNOWN (no worker recorded yet)."""
        from .storage.recovery import is_worker_alive

        if not run.worker_pid:
            return WORKER_UNKNOWN
        return WORKER_RUNNING if is_worker_alive(run.worker_pid, None) else WORKER_GONE


class DefaultRunLauncher(RunLauncher):
    """A fresh ``python -m orch.core.worker`` process per run; its own output is discarded
    (events and compute logs are in the instance)."""

    def launch_run(self, instance: Instance, run: PipelineRun) -> None:
        launch_run(instance, run, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class CallerLauncher(RunLauncher):
    """The submitter executes the run itself, by ``start(run)`` (a fork that holds the
    code, or the code server's own process) — offered to ``Instance.submit_run``."""

    def __init__(self, start: Callable[[PipelineRun], Any]):
        self.start = start
        self.started: Any = None

    def launch_run(self, instance: Instance, run: PipelineRun) -> None:
        self.started = self.start(run)
