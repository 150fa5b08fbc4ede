"""The daemon as a user runs it: ``python -m benchmarks daemon [--window S] [--ticks N]
[--drops N] [--quick]``.

1. **Idle CPU** (target < 2 % of one core): a generated repository with 50 schedules (daily
   cron times hours away, so none fires during the measurement) and 50 sensors
   (``minimum_interval_seconds=30``, returning ``SkipReason``), all turned on with ``orch
   schedule start --start-all`` / ``orch sensor start --start-all`` in a temporary
   ``ORCH_HOME``. ``orch dev -f repo.py`` runs as a real subprocess in a pseudo-terminal
   (120 x 40, ``TERM=xterm-256color``; its output is read all the time, as a terminal does),
   and so does ``orch daemon run -f repo.py`` (headless). Once the code is loaded and every
   sensor has ticked once, the CPU time (user + system) of the whole process tree — the
   command, its threads, the code server, the zygote — is sampled over a fixed window and
   reported as % of one core, per process, and for ``orch dev`` its main thread (Textual's
   event loop) apart from the others (the daemon's loops, watchers).
2. **Tick latency** (target ≤ 1 s): ``orch daemon run`` on a repository with a schedule on
   ``* * * * *`` (its runs launched by the default coordinator: a run worker each), started
   a few seconds before a minute boundary: from the scheduled minute to the run's creation
   (the run record) and to its ``PIPELINE_STARTING`` (launched). Then a sensor
   (``minimum_interval_seconds=1``) watching a directory, one run per new file (run key: the
   file's name, which holds the moment it was dropped): from the drop to the run's creation,
   median and p90 over several drops, each at a random phase of the sensor's interval.

The two run at once, each in a project and ``ORCH_HOME`` of its own: the latency part waits
for a minute boundary (up to a minute of nothing), and the idle window fills that wait. Each
figure is of its own process trees — the idle CPU is the CPU time of the idle commands'
trees, not the machine's, and the latency daemon's runs are none of them — and the latency
part's files are dropped and its tick waited for once every idle command has loaded its code
(their start-up is the busy part), so neither part measures the other.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.entry import load, mark, orch_script, scratch, timing_env

Row = tuple[str, str, bool | None]  # a figure, its value, whether it met its target (None: none)
IDLE_TARGET_PCT = 2.0
LATENCY_TARGET_S = 1.0
PIPELINE = """\
from orch import RunRequest, SkipReason, pipeline, repository, schedule, sensor, solid


@solid
def noop(_):
    return 1


@pipeline
def p():
    noop()
"""


# -- the repositories -----------------------------------------------------------------------
def idle_repository(schedules: int, sensors: int, now: float) -> str:
    """``schedules`` daily schedules, each at a time 10 to 14 hours after ``now`` (none fires
    while it is measured), and ``sensors`` sensors ticking every 30 s that skip."""
    lines = [PIPELINE]
    names = ["p"]
    base = datetime.datetime.fromtimestamp(now, datetime.UTC) + datetime.timedelta(hours=10)
    for i in range(schedules):
        at = base + datetime.timedelta(minutes=5 * i)
        lines += [f'@schedule(cron_schedule="{at.minute} {at.hour} * * *", pipeline_name="p", '
                  f'name="daily_{i}")',
                  f"def daily_{i}(context):", "    return {}", ""]
        names.append(f"daily_{i}")
    for i in range(sensors):
        lines += [f'@sensor(pipeline_name="p", name="watch_{i}", minimum_interval_seconds=30)',
                  f"def watch_{i}(context):", "    return SkipReason('no new files')", ""]
        names.append(f"watch_{i}")
    lines += ["@repository", "def bench():", f"    return [{', '.join(names)}]"]
    return "\n".join(lines) + "\n"


def latency_repository(watched: Path) -> str:
    """A schedule every minute that launches a run, and a sensor that launches one run per
    file in ``watched`` (run key: the file's name)."""
    return PIPELINE + f'''

@schedule(cron_schedule="* * * * *", pipeline_name="p", name="every_minute")
def every_minute(context):
    return {{}}


@sensor(pipeline_name="p", name="new_files", minimum_interval_seconds=1)
def new_files(context):
    import os

    names = sorted(os.listdir({str(watched)!r}))
    if not names:
        return SkipReason("no files")
    for name in names:
        yield RunRequest(run_key=name, run_config={{}})


@repository
def bench():
    return [p, every_minute, new_files]
'''


# -- the process tree and its CPU time ------------------------------------------------------
def _label(cmdline: list[str]) -> str:
    """What a process of the tree is, from its command line."""
    text = " ".join(cmdline)
    for needle, name in (("--zygote", "zygote"), ("workspace_server", "code server"),
                         (" dev ", "orch dev"), ("daemon run", "orch daemon run"),
                         ("execute_run", "run worker"), ("run_worker", "run worker")):
        if needle in f"{text} ":
            return name
    return os.path.basename(cmdline[0]) if cmdline else "?"


@dataclass
class TreeCpu:
    """CPU seconds (user + system) each process of a tree used between the first and last
    sample (a process that starts later counts from its start), the root's threads apart."""

    root: int
    first: dict[int, float] = field(default_factory=dict)
    last: dict[int, float] = field(default_factory=dict)
    labels: dict[int, str] = field(default_factory=dict)
    threads_first: dict[int, float] = field(default_factory=dict)
    threads_last: dict[int, float] = field(default_factory=dict)
    started: float = 0.0
    ended: float = 0.0
    samples: int = 0

    def sample(self) -> None:
        import psutil

        now = time.monotonic()
        try:
            root = psutil.Process(self.root)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        for proc in procs:
            try:
                with proc.oneshot():
                    times = proc.cpu_times()
                    if proc.pid not in self.labels:
                        label = _label(proc.cmdline())
                        if label == "zygote" and self.labels.get(proc.ppid()) == "zygote":
                            label = "code server"  # a fork of the zygote
                        self.labels[proc.pid] = label
            except psutil.NoSuchProcess:
                continue
            used = times.user + times.system
            self.first.setdefault(proc.pid, used if not self.samples else 0.0)
            self.last[proc.pid] = used
        try:
            for thread in root.threads():
                used = thread.user_time + thread.system_time
                self.threads_first.setdefault(thread.id, used if not self.samples else 0.0)
                self.threads_last[thread.id] = used
        except psutil.NoSuchProcess:
            pass
        if not self.samples:
            self.started = now
        self.ended, self.samples = now, self.samples + 1

    @property
    def wall(self) -> float:
        return self.ended - self.started

    def per_process(self) -> list[tuple[str, int, float]]:
        """(label, pid, % of one core), the busiest first."""
        rows = [(self.labels.get(pid, "?"), pid,
                 100 * (self.last[pid] - self.first[pid]) / self.wall) for pid in self.last]
        return sorted(rows, key=lambda r: -r[2])

    def total_pct(self) -> float:
        return sum(pct for _, _, pct in self.per_process())

    def main_thread_pct(self) -> tuple[float, float]:
        """The root's main thread, and its other threads, in % of one core."""
        main = self.threads_last.get(self.root, 0.0) - self.threads_first.get(self.root, 0.0)
        rest = sum(self.threads_last[t] - self.threads_first[t] for t in self.threads_last
                   if t != self.root)
        return 100 * main / self.wall, 100 * rest / self.wall


def measure_cpu(trees: list[TreeCpu], window: float, every: float = 0.5) -> None:
    """Sample each tree every ``every`` seconds for ``window`` seconds."""
    deadline = time.monotonic() + window
    while True:
        for tree in trees:
            tree.sample()
        if time.monotonic() >= deadline:
            return
        time.sleep(min(every, max(0.0, deadline - time.monotonic())))


# -- the commands -------------------------------------------------------------------------------
class Terminal:
    """A command in a pseudo-terminal (``rows`` x ``cols``), its output read all the time
    (a terminal that is not read blocks the app, which would then use no CPU at all)."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path,
                 rows: int = 40, cols: int = 120):
        import fcntl
        import pty
        import struct
        import termios

        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the command on the terminal
            try:
                os.chdir(cwd)
                os.execve(argv[0], argv, {**env, "TERM": "xterm-256color",
                                          "LINES": str(rows), "COLUMNS": str(cols)})
            finally:
                os._exit(127)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.received = 0
        self.status: int | None = None
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        import select

        while not self._stop.is_set():
            if select.select([self.fd], [], [], 0.1)[0]:
                try:
                    chunk = os.read(self.fd, 1 << 16)
                except OSError:
                    return
                if not chunk:
                    return
                self.received += len(chunk)

    def alive(self) -> bool:
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
        return self.status is None

    def close(self, timeout: float = 15.0) -> None:
        """Quit with ``q``; SIGTERM to its process group if it has not gone in ``timeout``."""
        try:
            os.write(self.fd, b"q")
        except OSError:
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.alive():
            time.sleep(0.1)
        if self.alive():
            os.killpg(self.pid, signal.SIGTERM)
            self.status = os.waitpid(self.pid, 0)[1]
        self._stop.set()
        self._reader.join(2)
        os.close(self.fd)


class Headless:
    """``orch daemon run`` as a service runs it: its own session, output to a file."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path):
        self.output = cwd / "daemon.out"
        with open(self.output, "wb") as out:
            self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self, timeout: float = 15.0) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            self.proc.wait()


@contextmanager
def project(root: Path, source: str) -> Iterator[tuple[Path, Path, dict[str, str]]]:
    """A project folder: ``repo.py`` with ``source``, an ``ORCH_HOME`` (``.orch``) in it, and
    the environment a command run there gets."""
    root.mkdir(parents=True)
    home, repo = root / ".orch", root / "repo.py"
    home.mkdir()
    repo.write_text(source)
    yield home, repo, timing_env(home)


def turn_everything_on(repo: Path, env: dict[str, str]) -> None:
    for kind in ("schedule", "sensor"):
        subprocess.run([orch_script(), kind, "start", "--start-all", "-f", str(repo)], env=env,
                       cwd=repo.parent, check=True, capture_output=True)


def wait_for(condition: Callable[[], bool], timeout: float, what: str,
             alive: Callable[[], bool] = lambda: True) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline or not alive():
            raise RuntimeError(f"{what}: not within {timeout:g} s"
                               + ("" if alive() else " (the process ended)"))
        time.sleep(0.2)


def sensors_ticked(home: Path) -> bool:
    """Every running sensor has ticked at least once (the daemon has loaded the code)."""
    from orch.core.instance import Instance
    from orch.core.storage.schedules import InstigatorType

    with Instance.from_home(home) as instance:
        states = instance.storage.all_instigator_states(InstigatorType.SENSOR)
    return bool(states) and all(s.last_tick_timestamp is not None for s in states
                                if s.is_running)


# -- 1. idle CPU ----------------------------------------------------------------------------------
@dataclass
class Idle:
    command: str
    cpu: TreeCpu
    sensor_ticks: int  # sensor ticks stored during the window
    terminal_bytes: int | None = None  # drawn to the terminal during the window (orch dev)


COMMANDS = {  # what is measured idle: (arguments, in a terminal, hosts a daemon)
    "orch dev": (["dev", "-f", "repo.py"], True, True),
    "orch daemon run": (["daemon", "run", "-f", "repo.py"], False, True),
    "orch dev --no-daemon": (["dev", "--no-daemon", "-f", "repo.py"], True, False),
}


def idle_cpu(tmp: Path, window: float, schedules: int, sensors: int,
             settle: float = 3.0, loaded: threading.Event | None = None) -> list[Idle]:
    """Each of :data:`COMMANDS` on a project of its own with every instigator on, measured
    over the same ``window`` once every daemon has loaded the code and ticked each sensor
    once (``orch dev --no-daemon``, the app alone, shows what the daemon adds to it).
    ``loaded`` is set then (also if they fail to start)."""
    source = idle_repository(schedules, sensors, time.time())
    started: list[tuple[str, Path, Terminal | Headless]] = []
    try:
        for command, (argv, in_terminal, _) in COMMANDS.items():
            with project(tmp / command.replace(" ", "-"), source) as (home, repo, env):
                turn_everything_on(repo, env)
                full = [orch_script(), *argv]
                started.append((command, home, Terminal(full, env, repo.parent) if in_terminal
                                else Headless(full, env, repo.parent)))
        try:
            for command, home, proc in started:
                if COMMANDS[command][2]:
                    wait_for(lambda h=home: sensors_ticked(h), 90,
                             f"{command}: every sensor ticked", proc.alive)
        finally:
            if loaded is not None:
                loaded.set()
        time.sleep(settle)
        trees = [TreeCpu(proc.pid) for _, _, proc in started]
        drawn = [getattr(proc, "received", 0) for _, _, proc in started]
        window_start = time.time()
        measure_cpu(trees, window)
        return [Idle(command, tree, _sensor_ticks_since(home, window_start),
                     proc.received - before if isinstance(proc, Terminal) else None)
                for (command, home, proc), tree, before in zip(started, trees, drawn,
                                                                strict=True)]
    finally:
        for _, _, proc in started:
            proc.close()


def _sensor_ticks_since(home: Path, since: float) -> int:
    from orch.core.instance import Instance
    from orch.core.storage.schedules import InstigatorType

    with Instance.from_home(home) as instance:
        states = instance.storage.all_instigator_states(InstigatorType.SENSOR)
        return sum(len([t for t in instance.storage.get_ticks(s.selector_id)
                        if t.timestamp >= since]) for s in states)


# -- 2. tick latency ------------------------------------------------------------------------------
DROP_SUFFIX = ".drop"


def drop_file(watched: Path) -> str:
    """Drop a new file into ``watched`` (whole: written beside it, then moved in); its name
    is the moment it appeared, which is also the run key of the run it asks for."""
    name = f"{time.time():.6f}{DROP_SUFFIX}"
    staging = watched.parent / f".{name}"
    staging.write_text("new data\n")
    staging.rename(watched / name)
    return name


def schedule_latencies(home: Path, after: float) -> list[tuple[float, float, float | None]]:
    """For each scheduled run of a time later than ``after``, from the stored data: (the
    scheduled time, seconds to the run's creation, seconds to its ``PIPELINE_STARTING``)."""
    from orch.core.definitions.schedules import SCHEDULED_EXECUTION_TIME_TAG
    from orch.core.instance import Instance

    out = []
    with Instance.from_home(home) as instance:
        for run in instance.get_runs():
            iso = run.tags.get(SCHEDULED_EXECUTION_TIME_TAG)
            if iso is None:
                continue
            when = datetime.datetime.fromisoformat(iso).timestamp()
            if when <= after or run.create_timestamp is None:
                continue
            starting = _starting_time(instance, run.run_id)
            out.append((when, run.create_timestamp - when,
                        None if starting is None else starting - when))
    return sorted(out)


def sensor_latencies(home: Path) -> list[tuple[float, float | None]]:
    """For each run a drop asked for, from the stored data: (seconds from the drop to the
    run's creation, to its ``PIPELINE_STARTING``)."""
    from orch.core.definitions.schedules import RUN_KEY_TAG
    from orch.core.instance import Instance

    out = []
    with Instance.from_home(home) as instance:
        for run in instance.get_runs():
            key = run.tags.get(RUN_KEY_TAG, "")
            if not key.endswith(DROP_SUFFIX) or run.create_timestamp is None:
                continue
            dropped = float(key.removesuffix(DROP_SUFFIX))
            starting = _starting_time(instance, run.run_id)
            out.append((run.create_timestamp - dropped,
                        None if starting is None else starting - dropped))
    return out


def _starting_time(instance: object, run_id: str) -> float | None:
    from orch.core.events import EventType

    events = instance.get_logs_for_run(  # type: ignore[attr-defined]
        run_id, of_type=[EventType.PIPELINE_STARTING])
    return events[0].timestamp if events else None


def _run_with_key(home: Path, key: str) -> bool:
    from orch.core.definitions.schedules import RUN_KEY_TAG
    from orch.core.instance import Instance

    with Instance.from_home(home) as instance:
        return bool(instance.get_runs(tags={RUN_KEY_TAG: key}, limit=1))


@dataclass
class Latency:
    ready: float  # when the daemon had loaded the code (its first sensor tick)
    schedule: list[tuple[float, float, float | None]]
    sensor: list[tuple[float, float | None]]


TICK_LEAD_S = 3.0  # no file is dropped, nor a tick waited for, closer than this to a minute


def first_boundary(after: float, lead: float = TICK_LEAD_S) -> int:
    """The first minute boundary more than ``lead`` seconds after ``after``."""
    return (int(after + lead) // 60 + 1) * 60


def tick_latency(tmp: Path, ticks: int, drops: int, lead: float = TICK_LEAD_S,
                 after: threading.Event | None = None) -> Latency:
    """``orch daemon run`` on :func:`latency_repository`: ``drops`` files dropped one at a
    time (each after its run exists, at a random phase; none within ``lead`` seconds of a
    minute), and ``ticks`` minute boundaries after the daemon is ready (and ``after`` is
    set: the idle commands started beside it have loaded their code)."""
    watched = tmp / "latency" / "incoming"
    with project(tmp / "latency", latency_repository(watched)) as (home, repo, env):
        watched.mkdir()
        turn_everything_on(repo, env)
        daemon = Headless([orch_script(), "daemon", "run", "-f", str(repo)], env, repo.parent)
        try:
            wait_for(lambda: sensors_ticked(home), 90, "orch daemon run: the sensor ticked",
                     daemon.alive)
            if after is not None:
                after.wait(120)
            ready = time.time()
            first = first_boundary(ready, lead)
            boundaries = [first + 60 * i for i in range(ticks)]
            for _ in range(drops):
                time.sleep(random.uniform(0.2, 1.2))  # a random phase of the 1 s interval
                upcoming = [b for b in boundaries if b + 2 > time.time()]
                if upcoming and upcoming[0] - time.time() < lead:
                    time.sleep(upcoming[0] + 2 - time.time())  # keep clear of a tick
                name = drop_file(watched)
                wait_for(lambda n=name: _run_with_key(home, n), 30, f"a run for {name}",
                         daemon.alive)
            wait_for(lambda: len(schedule_latencies(home, ready)) >= ticks,
                     max(0.0, boundaries[-1] - time.time()) + 30, "the scheduled runs",
                     daemon.alive)
        finally:
            daemon.close()
        return Latency(ready, schedule_latencies(home, ready), sensor_latencies(home))


# -- the report ---------------------------------------------------------------------------------
def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1] if len(values) > 1 \
        else values[0]


def _print_idle(results: list[Idle], schedules: int, sensors: int) -> list[Row]:
    rows: list[Row] = []
    for r in results:
        total = r.cpu.total_pct()
        print(f"  {r.command}: {total:.2f} % of one core over {r.cpu.wall:.1f} s "
              f"({r.sensor_ticks} sensor ticks in the window)"
              + (f", {r.terminal_bytes / r.cpu.wall / 1024:.1f} KiB/s drawn"
                 if r.terminal_bytes is not None else ""))
        for label, pid, pct in r.cpu.per_process():
            print(f"      {label:<16} pid {pid:<8} {pct:6.2f} %")
        main, rest = r.cpu.main_thread_pct()
        print(f"      of which the {r.command} process's main thread {main:.2f} %, its other "
              f"threads {rest:.2f} %")
        hosts_daemon = COMMANDS[r.command][2]
        rows.append((f"idle CPU, {r.command}, {schedules} schedules + {sensors} sensors on"
                     + ("" if hosts_daemon else " (the app alone: no target)"),
                     f"{total:.2f} % of one core", total < IDLE_TARGET_PCT if hosts_daemon
                     else None))
    return rows


def _print_latency(result: Latency) -> list[Row]:
    rows: list[Row] = []
    for when, created, starting in result.schedule:
        at = datetime.datetime.fromtimestamp(when, datetime.UTC).strftime("%H:%M:%S")
        print(f"  schedule tick {at} UTC: run created after {created * 1000:.0f} ms, "
              f"PIPELINE_STARTING after "
              + ("-" if starting is None else f"{starting * 1000:.0f} ms"))
    if result.schedule:
        worst = max(s if s is not None else c for _, c, s in result.schedule)
        rows.append((f"tick latency, schedule * * * * * (worst of {len(result.schedule)}, "
                     "scheduled minute → PIPELINE_STARTING)", f"{worst:.2f} s",
                     worst <= LATENCY_TARGET_S))
    if result.sensor:
        to_created = sorted(c for c, _ in result.sensor)
        launched = sorted(s if s is not None else c for c, s in result.sensor)
        print(f"  sensor, file dropped → run created: median {statistics.median(to_created):.2f} "
              f"s, p90 {_p90(to_created):.2f} s, max {max(to_created):.2f} s over {len(to_created)} "
              "drops")
        rows.append((f"sensor latency (interval 1 s), drop → PIPELINE_STARTING, median / p90 "
                     f"of {len(launched)}",
                     f"{statistics.median(launched):.2f} / {_p90(launched):.2f} s",
                     statistics.median(launched) <= LATENCY_TARGET_S))
    return rows


def _table(rows: list[Row]) -> None:
    width = max(len(name) for name, _, _ in rows)
    print(f"\n  {'figure':<{width}}  {'value':>22}  target")
    for name, value, ok in rows:
        print(f"  {name:<{width}}  {value:>22}  {'-' if ok is None else mark(ok)}")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks daemon")
    parser.add_argument("--window", type=float, default=60.0,
                        help="seconds of idle CPU measured (default 60; --quick 30, which is "
                             "still one whole round of the 30 s sensors)")
    parser.add_argument("--schedules", type=int, default=50)
    parser.add_argument("--sensors", type=int, default=50)
    parser.add_argument("--ticks", type=int, default=3, help="minute boundaries (--quick 1)")
    parser.add_argument("--drops", type=int, default=20, help="files dropped (--quick 6)")
    parser.add_argument("--quick", action="store_true")
    args, _ = parser.parse_known_args(argv)
    if args.quick:
        args.window, args.ticks, args.drops = min(args.window, 30.0), 1, 6
    print(f"idle: {args.schedules} schedules + {args.sensors} sensors on, the commands at "
          f"once, {args.window:g} s window; beside it, latency: orch daemon run, {args.ticks} "
          f"minute tick(s), {args.drops} drops; {load()}", flush=True)
    with scratch("orch-bench-daemon-") as tmp, ThreadPoolExecutor(2) as both:
        loaded = threading.Event()
        idle = both.submit(idle_cpu, tmp, args.window, args.schedules, args.sensors,
                           loaded=loaded)
        latency = both.submit(tick_latency, tmp, args.ticks, args.drops, after=loaded)
        rows = _print_idle(idle.result(), args.schedules, args.sensors)
        rows += _print_latency(latency.result())
    _table(rows)
    print(f"  {load()}")


if __name__ == "__main__":
    main(sys.argv[1:])
