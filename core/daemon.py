"""The daemon: the loops that start and watch runs when no one is at the keyboard, in one
process — ``orch daemon run``, or inside ``orch dev`` (LEGACY_ORCHESTRATION.md §4.1).

Loops, each in a thread of its own with its own instance connection:

- ``QUEUED_RUN_COORDINATOR`` (when the run coordinator queues): a dequeue pass
  (:meth:`QueuedRunCoordinator.dequeue`) whenever anything is committed to the instance (a
  submit, a run ending: read from the storage's change token, which costs no query) and at
  least every ``dequeue_interval_seconds``;
- ``MONITORING`` (when ``run_monitoring.enabled``): a monitoring pass
  (:func:`run_monitor.monitor_runs`) every ``poll_interval_seconds``;
- ``SCHEDULER`` (given the code's location): just after every whole second of the clock, one
  evaluation pass of the running schedules and sensors (``scheduling.ticks.tick_all``) on
  that second's clock (so a schedule's run is created within tens of milliseconds of its
  cron time, and a sensor with a one-second interval ticks every second whatever the
  jitter), then one chunk of each REQUESTED backfill of that code
  (``scheduling.backfill.run_requested_backfills``: a backfill whose ``orch backfill``
  process died, or one resumed from the app), in a code server that holds the code — forked from a warm zygote, so the project's libraries are imported once. A save under the
  code's folder loads the code again in a fresh server before the next pass; a load that
  fails records a FAILURE tick, with the error, on every running schedule and sensor, and the
  daemon goes on (with the next save, or every minute, it tries again);
- more loops are :class:`DaemonLoop` values handed to :class:`Daemon`.

The policy:

- **One daemon per instance.** The daemon holds an exclusive lock on ``ORCH_HOME/daemon.lock``
  (``flock``): the kernel releases it when the process ends, however it ends, so a second
  daemon (or ``orch dev``) is told which process runs the first instead of guessing from
  heartbeats whether it is stale (Dagster's way, which let two daemons run for a while).
- **Heartbeats.** Each loop records a heartbeat (its loop, the daemon's id and pid, the time,
  its recent errors) after a pass, at most every :data:`HEARTBEAT_INTERVAL` seconds.
  ``orch daemon liveness-check`` calls a loop live while its heartbeat is younger than its
  interval plus :data:`HEARTBEAT_TOLERANCE`.
- **A failing pass never stops a loop.** Its error is recorded (the last five, in the
  heartbeat, and reported), and the loop waits a backoff that doubles from 1 s to 60 s, then
  goes on. Only a loop that stops heartbeating (a thread that died, a pass that hangs) makes
  :meth:`Daemon.run` return 1, so a supervisor restarts the process.
- **Stopping.** ``stop`` (SIGTERM or SIGINT in ``orch daemon run``) lets each loop finish its
  pass; the lock is released; ``run`` returns 0. What a pass did is in storage before it
  returns, so a restarted daemon never launches a run twice (the dequeue is a compare-and-set).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, NamedTuple

from .storage.base import DaemonHeartbeat

if TYPE_CHECKING:
    from .instance import Instance
    from .watch import CodeServerPool, RepositoryWatcher
    from .workspace import CodeServer, WorkspaceTarget

LOCK_FILE = "daemon.lock"
HEARTBEAT_INTERVAL = 5.0
HEARTBEAT_TOLERANCE = float(os.environ.get("ORCH_DAEMON_HEARTBEAT_TOLERANCE", "60"))
MAX_BACKOFF = 60.0
SCHEDULER_INTERVAL = 1.0  # a pass every whole second of the clock
ALIGN_SLACK = 0.005  # an aligned pass starts this long after its whole second
MAX_WAIT = 1.0  # a loop looks at its clock (and the stop flag) at least this often
CLOCK_SPEED_ENV = "ORCH_DAEMON_CLOCK_SPEED"
KEPT_ERRORS = 5

class Note(NamedTuple):
    """One thing a loop did: ``text`` for the headless output, the rest for the app."""

    text: str
    error: bool = False  # a pass, an evaluation or a run failed
    instigator: str | None = None  # the schedule or sensor it is about ("sensor new_files")
    load_error: bool = False  # the code did not load (the app's banner says so already)


# What a loop reports: (loop, note).
Report = Callable[[str, Note], None]


class DaemonAlreadyRunning(RuntimeError):
    """Another process holds the instance's daemon lock."""

    def __init__(self, home: Path, pid: int | None):
        self.pid = pid
        who = f"process {pid}" if pid else "another process"
        super().__init__(f"a daemon is already running for {home} ({who}); one instance has "
                         "one daemon")


class DaemonLock:
    """The exclusive ``ORCH_HOME/daemon.lock``; the pid of its holder is written in it."""

    def __init__(self, home: Path):
        self.home = home
        self.path = home / LOCK_FILE
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        f = open(self.path, "a+")  # held open for as long as the lock is
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            text = f.read().strip()
            f.close()
            raise DaemonAlreadyRunning(self.home, int(text) if text.isdigit() else None) \
                from None
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        self._file = f

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the descriptor releases the flock
            self._file = None


def lock_holder(home: Path) -> int | None:
    """The pid of the daemon running for ``home``, or None when none holds the lock."""
    lock = DaemonLock(home)
    try:
        lock.acquire()
    except DaemonAlreadyRunning as e:
        return e.pid or -1
    lock.release()
    return None


@dataclass(frozen=True)
class DaemonLoop:
    """One loop of the daemon: ``run_pass(instance)`` does one pass and returns notes saying
    what it did (empty when nothing); it runs every ``interval`` seconds and, with
    ``wake_on_commit``, also whenever anything is committed to the instance."""

    daemon_type: str
    interval: float
    run_pass: Callable[[Instance], list[Note]]
    wake_on_commit: bool = False
    close: Callable[[], None] | None = None  # when the loop ends (its thread, at stop)
    align: bool = False  # passes just after each whole multiple of ``interval`` on the clock


def standard_loops(instance: Instance, target: WorkspaceTarget | None = None,
                   pool: CodeServerPool | None = None) -> list[DaemonLoop]:
    """The loops orch.yaml asks for — the run queue (a queued coordinator), run monitoring —
    and, given the code's location, the schedules and sensors: evaluated in servers of
    ``pool`` when given (``orch dev`` shares its own: one zygote holds the project's libraries
    for the app and the daemon), else of a pool the loop starts and closes."""
    from .run_coordinator import QueuedRunCoordinator
    from .run_monitor import monitor_runs

    loops = []
    coordinator = instance.run_coordinator
    if isinstance(coordinator, QueuedRunCoordinator):
        def dequeue(own: Instance) -> list[Note]:
            state = own.run_coordinator.dequeue(own)  # type: ignore[attr-defined]
            return [Note(f"launched run {run_id}") for run_id in state.launched]

        loops.append(DaemonLoop("QUEUED_RUN_COORDINATOR", coordinator.dequeue_interval_seconds,
                                dequeue, wake_on_commit=True))
    monitoring = instance.run_monitoring
    if monitoring.enabled:
        def monitor(own: Instance) -> list[Note]:
            done = monitor_runs(own, monitoring)
            return ([Note(f"run {r} failed: it did not start in time", error=True)
                     for r in done.timed_out]
                    + [Note(f"run {r} failed: its worker process is gone", error=True)
                       for r in done.worker_gone]
                    + [Note(f"run {r} resumed from failure as {c}")
                       for r, c in done.resumed.items()])

        loops.append(DaemonLoop("MONITORING", monitoring.poll_interval_seconds, monitor))
    if target is not None:
        evaluator = InstigatorPass(target, instance.root_dir, scheduler_clock(), pool=pool)
        loops.append(DaemonLoop("SCHEDULER", SCHEDULER_INTERVAL, evaluator,
                                close=evaluator.close, align=True))
    return loops


def scheduler_clock(speed: str | None = None) -> Callable[[], float]:
    """The time schedules and sensors are evaluated at: the wall clock, or with
    ``ORCH_DAEMON_CLOCK_SPEED=N`` a clock that starts now and runs N times as fast (60: a
    minute a second), so an every-minute schedule is tried — or tested — in seconds. Only the
    SCHEDULER loop reads it; runs and heartbeats keep the wall clock."""
    from .errors import DagsterError

    raw = os.environ.get(CLOCK_SPEED_ENV, "") if speed is None else speed
    if not raw.strip():
        return time.time
    try:
        factor = float(raw)
    except ValueError:
        factor = 0.0
    if not factor > 0:
        raise DagsterError(
            f"{CLOCK_SPEED_ENV} must be a positive number (60: a minute a second), got {raw!r}.")
    start = time.time()
    return lambda: start + (time.time() - start) * factor


class InstigatorPass:
    """The SCHEDULER loop's pass: the schedules and sensors of ``target``, evaluated in a code
    server that is loaded again when the code changes (see the module docstring)."""

    RETRY_FAILED_LOAD = 60.0

    def __init__(self, target: WorkspaceTarget, home: Path | None,
                 clock: Callable[[], float] = time.time, pool: CodeServerPool | None = None):
        self.target = target
        self.home = home
        self.clock = clock
        self.server: CodeServer | None = None
        self.dirty = True
        self.failed_at: float | None = None
        self._pool = pool
        self._owns_pool = pool is None  # a pool it was given is its giver's to close
        self._watcher: RepositoryWatcher | None = None

    def _changed(self, _paths: set[str]) -> None:
        self.dirty = True
        self.failed_at = None

    def __call__(self, instance: Instance) -> list[Note]:
        lines: list[Note] = []
        if self.dirty or self.server is None:
            if self.failed_at is not None and \
                    time.monotonic() - self.failed_at < self.RETRY_FAILED_LOAD:
                return []
            lines += self._load(instance)
            if self.server is None:
                return lines
        from .workspace import WorkspaceLoadError

        try:
            # On the pass's whole second: one-second sensors stay due despite jitter.
            ticks = self.server.tick(float(int(self.clock())))
        except WorkspaceLoadError as e:
            self._drop_server()
            return [*lines, Note(f"error: {e.error.message}", error=True)]
        for tick in ticks:
            runs = f", runs {', '.join(tick['run_ids'])}" if tick["run_ids"] else ""
            why = tick.get("error") or tick.get("skip_reason") or ""
            who = f"{tick['type'].lower()} {tick['name']}"
            lines.append(Note(f"{who}: {tick['status']}{runs}"
                              + (f" ({why.splitlines()[0]})" if why else ""),
                              error=tick["status"] == "FAILURE", instigator=who))
        for backfill in self.server.backfills:
            who = f"backfill {backfill['backfill_id']}"
            failed = backfill["status"] == "FAILED"
            why = f" ({backfill['error'].splitlines()[0]})" if failed and backfill["error"] \
                else ""
            lines.append(Note(f"{who}: {backfill['status']}, submitted {backfill['submitted']}/"
                              f"{backfill['total']}{why}", error=failed, instigator=who))
        return lines

    def _load(self, instance: Instance) -> list[Note]:
        import os as _os

        from .watch import CodeServerPool, RepositoryWatcher
        from .workspace import WorkspaceLoadError

        if self._pool is None:
            env = dict(_os.environ)
            if self.home is not None:
                env["ORCH_HOME"] = str(self.home)
            self._pool = CodeServerPool(cwd=self.target.working_directory, env=env)
        if self._watcher is None:
            self._watcher = RepositoryWatcher(self.target.root, self._changed).start()
        self._drop_server()
        self.dirty = False
        server = self._pool.take()
        try:
            server.load(self.target)
        except WorkspaceLoadError as e:
            server.close()
            self.failed_at = time.monotonic()
            return record_load_failure(instance, e.error.message)
        self.server, self.failed_at = server, None
        return [Note(f"loaded {self.target.describe()}")]

    def _drop_server(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None

    def close(self) -> None:
        """Best effort, at shutdown: a supervisor's SIGTERM to the process group may have
        ended the server and the zygote already."""
        for step in (self._drop_server, getattr(self._watcher, "stop", None),
                     getattr(self._pool, "close", None) if self._owns_pool else None):
            if step is None:
                continue
            try:
                step()
            except Exception:  # the process is going; nothing to keep
                self.server = None


def record_load_failure(instance: Instance, message: str) -> list[Note]:
    """A FAILURE tick with the load error on every running schedule and sensor: their code
    could not be evaluated (rather than a silence that looks like nothing was due)."""
    from .storage.schedules import InstigatorStatus, Tick, TickStatus

    first = message.splitlines()[0] if message else ""
    lines = [Note(f"error: the code did not load: {first}", error=True, load_error=True)]
    now = time.time()
    for state in instance.storage.all_instigator_states():
        if state.status is not InstigatorStatus.RUNNING:
            continue
        tick = instance.storage.create_tick(Tick(state.selector_id, state.instigator_type,
                                                 state.name, TickStatus.STARTED, now))
        instance.storage.update_tick(replace(tick, status=TickStatus.FAILURE,
                                             error=f"The code did not load: {message}",
                                             end_timestamp=now))
        who = f"{state.instigator_type.value.lower()} {state.name}"
        lines.append(Note(f"{who}: FAILURE (the code did not load)", error=True,
                          instigator=who))
    return lines


class Daemon:
    """The loops of one instance (``home``), each in a thread; see the module docstring."""

    def __init__(self, home: Path, loops: list[DaemonLoop], report: Report | None = None):
        self.home = home
        self.loops = loops
        self.report = report or (lambda _loop, _line: None)
        self.daemon_id = uuid.uuid4().hex[:12]
        self.stop = threading.Event()
        self._lock = DaemonLock(home)
        self._threads: dict[str, threading.Thread] = {}
        self._beats: dict[str, float] = {}

    def start(self) -> None:
        """Take the lock (:class:`DaemonAlreadyRunning` if another daemon has it) and start
        the loops' threads."""
        self._lock.acquire()
        for loop in self.loops:
            thread = threading.Thread(target=self._run_loop, args=(loop,), daemon=True,
                                      name=f"orch-daemon-{loop.daemon_type.lower()}")
            self._beats[loop.daemon_type] = time.monotonic()
            self._threads[loop.daemon_type] = thread
            thread.start()

    def close(self, timeout: float = 10.0) -> None:
        self.stop.set()
        for thread in self._threads.values():
            thread.join(timeout)
        self._lock.release()

    def run(self, check_every: float = 1.0) -> int:
        """Start, then supervise until ``stop`` is set (0) or a loop stops beating (1)."""
        self.start()
        try:
            while not self.stop.wait(check_every):
                dead = self.dead_loops()
                if dead:
                    self.report("DAEMON", Note(f"stopping: loops no longer running: {dead}",
                                               error=True))
                    return 1
            return 0
        finally:
            self.close()

    def dead_loops(self) -> list[str]:
        """Loops whose thread ended or that have not finished a pass within their interval
        plus the tolerance (a hung pass)."""
        now = time.monotonic()
        out = []
        for loop in self.loops:
            thread = self._threads.get(loop.daemon_type)
            late = now - self._beats.get(loop.daemon_type, now) > \
                max(loop.interval, HEARTBEAT_INTERVAL) + HEARTBEAT_TOLERANCE
            if thread is None or not thread.is_alive() or late:
                out.append(loop.daemon_type)
        return out

    def _run_loop(self, loop: DaemonLoop) -> None:
        from .instance import Instance

        try:
            with Instance.from_home(self.home) as instance:
                _Loop(self, loop, instance).run()
        finally:
            if loop.close is not None:
                loop.close()


class _Loop:
    """The state of one loop's thread: when it last passed and beat, its backoff and errors."""

    def __init__(self, daemon: Daemon, loop: DaemonLoop, instance: Instance):
        self.daemon, self.loop, self.instance = daemon, loop, instance
        self.errors: list[tuple[float, str]] = []
        self.backoff = 0.0
        self.last_pass = self.last_beat = self.next_pass = float("-inf")
        self.seen: object = None

    def run(self) -> None:
        stop = self.daemon.stop
        while not stop.is_set():
            if self._due():
                self._pass()
            # Asleep until the next pass is due, unless commits wake it.
            stop.wait(0.01 if self.loop.wake_on_commit else
                      min(MAX_WAIT, max(0.0, self.next_pass - time.monotonic())))

    def _due(self) -> bool:
        if time.monotonic() >= self.next_pass:
            return True
        return not self.backoff and self.loop.wake_on_commit \
            and self.instance.storage.change_token() != self.seen

    def _plan_next_pass(self) -> None:
        """When the next pass is due (monotonic): after the backoff or the interval, or, for
        an aligned loop, just after the next whole multiple of the interval on the clock."""
        if self.backoff:
            self.next_pass = self.last_pass + self.backoff
        elif self.loop.align:
            interval = self.loop.interval
            self.next_pass = time.monotonic() + interval - time.time() % interval + ALIGN_SLACK
        else:
            self.next_pass = self.last_pass + self.loop.interval

    def _pass(self) -> None:
        self.seen = self.instance.storage.change_token() if self.loop.wake_on_commit else None
        self.last_pass = time.monotonic()
        try:
            lines = self.loop.run_pass(self.instance)
            self.backoff = 0.0
        except Exception as e:  # a failing pass is recorded and retried; the loop goes on
            self.backoff = min(MAX_BACKOFF, max(1.0, self.backoff * 2))
            where = traceback.extract_tb(e.__traceback__)[-1] if e.__traceback__ else None
            text = f"{type(e).__name__}: {e}" + (
                f" ({Path(where.filename).name}:{where.lineno})" if where else "")
            self.errors = (self.errors + [(time.time(), text)])[-KEPT_ERRORS:]
            lines = [Note(f"error: {text} (next try in {self.backoff:g} s)", error=True)]
        self._plan_next_pass()
        if lines:
            self.seen = None  # what it did was committed: look again at once
        for note in lines:
            self.daemon.report(self.loop.daemon_type, note)
        self.daemon._beats[self.loop.daemon_type] = time.monotonic()
        self._heartbeat()

    def _heartbeat(self) -> None:
        if time.monotonic() - self.last_beat < HEARTBEAT_INTERVAL:
            return
        before = self.instance.storage.change_token()
        recent = tuple(text for when, text in self.errors if time.time() - when < 300)
        self.instance.storage.add_daemon_heartbeat(DaemonHeartbeat(
            self.loop.daemon_type, self.daemon.daemon_id, os.getpid(), time.time(), recent))
        self.last_beat = time.monotonic()
        if self.seen == before:  # our own commit is no reason to pass again
            self.seen = self.instance.storage.change_token()


def liveness(instance: Instance, now: float | None = None) -> dict[str, bool]:
    """For each loop with a heartbeat: whether it is live (beat within its tolerance)."""
    now = time.time() if now is None else now
    loops = {loop.daemon_type: loop.interval for loop in standard_loops(instance)}
    return {t: now - hb.timestamp <= max(loops.get(t, 0.0), HEARTBEAT_INTERVAL)
            + HEARTBEAT_TOLERANCE for t, hb in instance.storage.get_daemon_heartbeats().items()}
