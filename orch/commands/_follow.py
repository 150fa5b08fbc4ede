"""Following a run from SQLite while its worker executes it: progress on stderr (rich live
display on a terminal, plain lines otherwise), ``--json`` events on stdout, a JUnit report and
GitHub Actions annotations at the end, and Ctrl-C as a clean cancel.

Every view reads the same stored events (``instance.tail``), so what ``orch run`` shows is
exactly what the app and ``orch runs`` show later.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from orch.core.errors import error_location, format_error
from orch.core.run_progress import RunProgress
from orch.core.runs import PipelineRunStatus, StepStatus

from ._common import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_INVALID, EXIT_OK

# How often the follower reads the run's new events. A forked worker cuts the wait short when
# its run is over (``ForkedWorker.pause``), so the two long ones never delay the run's end.
SHOW_POLL_SECONDS = 0.05  # a sink shows them (as often as the app reads them)
QUIET_POLL_SECONDS = 0.25  # nothing shows them (``-q``): only the run's end matters
POLL_SECONDS = 0.01  # watch mode (a newer save cancels the run at once), a worker that is
# not a fork (it cannot say when it is done), and a run whose worker said it is over
CANCEL_GRACE_SECONDS = 30.0
STDERR_TAIL_LINES = 30

def plan_step_keys(instance: Any, run: Any) -> list[str]:
    snapshot = instance.get_run_snapshot(run.execution_plan_snapshot_id) \
        if run.execution_plan_snapshot_id else None
    if not snapshot:
        return list(run.step_keys_to_execute or [])
    return list(snapshot.get("step_keys_to_execute") or [s["key"] for s in snapshot["steps"]])


def _fmt_seconds(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 0.001:
        return "<1ms"
    return f"{seconds * 1000:.0f}ms" if seconds < 1 else f"{seconds:.2f}s"


def error_text(error: dict[str, Any] | None) -> str:
    if not error:
        return ""
    return str(error.get("message") or "")


def traceback_lines(error: dict[str, Any] | None, *, verbose: bool = False,
                    indent: str = "    ") -> list[str]:
    """The user's traceback of an error payload (``format_error``) under its headline:
    the lines after the message, indented."""
    text = format_error(error, verbose=verbose)
    lines = text.splitlines()
    if lines and lines[0] == error_text(error):
        lines = lines[1:]
    return [indent + line for line in lines]


# -- sinks -----------------------------------------------------------------------------------
class Sink:
    def start(self, tracker: RunProgress) -> None: ...
    def event(self, e: Any, tracker: RunProgress) -> None: ...
    def output(self, step_key: str, stream: str, line: str) -> None:
        """One line a step wrote to its stdout or stderr."""
    def note(self, text: str) -> None: ...
    def finish(self, tracker: RunProgress) -> None: ...


def output_line(step_key: str, stream: str, line: str) -> str:
    """A step's output line as ``orch run`` prints it, prefixed like its log lines."""
    return f"  [{step_key}] {stream}: {line}"


_STEP_ENDS = ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED", "STEP_UP_FOR_RETRY")


class StepOutputTail:
    """New lines of each running step's stdout/stderr, read through the instance's
    compute-log manager once its LOGS_CAPTURED event is seen, from its STEP_START on (a retry
    appends to the same log). A step that has ended is read for a moment longer: what its
    process writes after its outcome (a resource's teardown in a step process) still shows;
    once its capture is complete and read to the end, it is not read again (every ended step
    was read at every poll for its linger: a run of fast steps had hundreds lingering, and
    the follower took a core from the run)."""

    LINGER_SECONDS = 2.0

    def __init__(self, logs: Any, run_id: str, enabled: bool = True) -> None:
        self.logs = logs  # the ComputeLogManager
        self.run_id = run_id
        self.enabled = enabled  # False: no sink shows output lines, so none are read
        self.offsets: dict[tuple[str, str], int] = {}
        self.partial: dict[tuple[str, str], bytes] = {}
        self.active: set[str] = set()
        self.ended: dict[str, float] = {}
        self.complete: set[tuple[str, str]] = set()  # captures ended and read to the end

    def event(self, e: Any) -> list[tuple[str, str, str]]:
        """Track the event's step; the lines of a step that just ended."""
        key = e.step_key
        t = e.event_type_value
        if not self.enabled:
            return []
        if key and t == "LOGS_CAPTURED":
            for stream in ("stdout", "stderr"):
                if e.data.get(stream):
                    self.offsets.setdefault((key, stream), 0)
        elif key and t in ("STEP_START", "STEP_RESTARTED"):
            self.active.add(key)  # read from now on: its lines follow its START line
            self.ended.pop(key, None)
            self.complete -= {(key, "stdout"), (key, "stderr")}  # a retry captures again
        elif key in self.active and t in _STEP_ENDS:
            self.active.discard(key)
            self.ended[key] = time.monotonic()
            return self._read(key, final=True)
        return []

    def poll(self) -> list[tuple[str, str, str]]:
        """Complete lines written since the last poll by the running (and just ended)
        steps."""
        now = time.monotonic()
        for key, when in list(self.ended.items()):
            if now - when > self.LINGER_SECONDS:
                del self.ended[key]
        lines: list[tuple[str, str, str]] = []
        for key in sorted(self.active | set(self.ended)):
            lines += self._read(key, final=key in self.ended)
            if key in self.ended and all(where in self.complete for where in self._streams(key)):
                del self.ended[key]  # nothing more can come
        return lines

    def close(self) -> list[tuple[str, str, str]]:
        lines: list[tuple[str, str, str]] = []
        for key in sorted(self.active | set(self.ended)):
            lines += self._read(key, final=True)
        self.active.clear()
        self.ended.clear()
        return lines

    def _streams(self, key: str) -> list[tuple[str, str]]:
        """The step's captured streams (those its LOGS_CAPTURED named)."""
        return [w for w in ((key, "stdout"), (key, "stderr")) if w in self.offsets]

    def _read(self, key: str, final: bool) -> list[tuple[str, str, str]]:
        lines: list[tuple[str, str, str]] = []
        for where in self._streams(key):
            stream = where[1]
            if where in self.complete:
                continue
            try:
                data, self.offsets[where], ended = self.logs.read(
                    self.run_id, key, stream, self.offsets[where])
            except OSError:
                continue
            if ended:  # the capture is over and read to its end: a last line needs no "\n"
                self.complete.add(where)
            last = final or ended
            if not data and not last:
                continue
            text = self.partial.pop(where, b"") + data
            whole, _, rest = text.rpartition(b"\n") if not last else (text, b"", b"")
            if rest:
                self.partial[where] = rest
            for line in whole.decode(errors="replace").splitlines():
                lines.append((key, stream, line))
        return lines


class JsonSink(Sink):
    """Every event as one JSON object per line (stdout)."""

    def __init__(self, stream: IO[str]):
        self.stream = stream

    def event(self, e: Any, tracker: RunProgress) -> None:
        self.stream.write(json.dumps(e.to_dict(), default=str) + "\n")
        self.stream.flush()


class PlainSink(Sink):
    """One line per step transition and user log line (CI logs, pipes)."""

    def __init__(self, stream: IO[str], verbose: bool = False):
        self.stream = stream
        self.verbose = verbose

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def _lines(self, lines: list[str]) -> None:
        if lines:
            self._line("\n".join(lines))

    def start(self, tracker: RunProgress) -> None:
        run = tracker.run
        self._line(f"orch: run {run.run_id} of {run.pipeline_name} ({step_count(tracker)})")

    def note(self, text: str) -> None:
        self._line(f"orch: {text}")

    def output(self, step_key: str, stream: str, line: str) -> None:
        self._line(output_line(step_key, stream, line))

    def event(self, e: Any, tracker: RunProgress) -> None:
        if self.verbose:
            self._line(e.console_line())
            if e.event_type_value in _ERROR_EVENTS and e.data.get("error"):
                self._lines(traceback_lines(e.data["error"], verbose=True))
            return
        t = e.event_type_value
        key = e.step_key
        if t is None:
            if e.level >= 20:
                where = f"[{key}] " if key else ""
                self._line(f"  {where}{e.level_name}: {e.message}")
            return
        if t == "STEP_START":
            self._line(f"  START    {key}")
        elif t == "STEP_RESTARTED":
            self._line(f"  RETRY    {key} (attempt {tracker.steps[key].attempts})")
        elif t == "STEP_SUCCESS":
            self._line(f"  OK       {key} ({_fmt_seconds(tracker.steps[key].duration)})")
        elif t == "STEP_FAILURE" and tracker.steps[key].status is StepStatus.CANCELED:
            self._line(f"  CANCELED {key}")
        elif t == "STEP_FAILURE":
            self._line(f"  FAILED   {key}: {error_text(e.data.get('error')) or e.message}")
            self._lines(traceback_lines(e.data.get("error"), indent=" " * 11))
        elif t == "STEP_SKIPPED":
            self._line(f"  SKIPPED  {key}")
        elif t == "STEP_UP_FOR_RETRY":
            self._line(f"  UP FOR RETRY {key}: {_retry_reason(e)}")
        elif t == "PIPELINE_FAILURE" and e.data.get("error"):
            self._line(f"  ERROR    {error_text(e.data['error'])}")
        elif t == "ENGINE_EVENT" and e.level >= 30:
            self._line(f"  {e.level_name}: {e.message}")
        elif t == "PIPELINE_CANCELING":
            self._line("  CANCELING the run")

    def finish(self, tracker: RunProgress) -> None:
        self._line(summary_line(tracker))


_ERROR_EVENTS = ("STEP_FAILURE", "STEP_UP_FOR_RETRY", "PIPELINE_FAILURE", "HOOK_ERRORED")


def _retry_reason(e: Any) -> str:
    error = e.data.get("error")
    if not error:
        return e.message
    where = error_location(error)
    return error_text(error) + (f" (at {_short_path(where)})" if where else "")


def _short_path(location: str) -> str:
    """``file:line`` relative to the current directory when the file lies under it."""
    cwd = os.getcwd() + os.sep
    return location[len(cwd):] if location.startswith(cwd) else location


def step_count(tracker: RunProgress) -> str:
    """"5 steps", or for a run with mapped steps not yet resolved "4 steps + fx[?] per
    mapping key" (their copies are known only once their producer has run)."""
    keys = list(tracker.steps)
    mapped = [k for k in keys if k.endswith("[?]")]
    fixed = len(keys) - len(mapped)
    text = f"{fixed} step{'s' if fixed != 1 else ''}"
    return text + (f" + {', '.join(mapped)} per mapping key" if mapped else "")


def summary_line(tracker: RunProgress) -> str:
    counts = tracker.counts()
    parts = [f"{n} {status.label}" for status, n in counts.items() if n]
    ended = tracker.status.value if tracker.status and tracker.finished else "ENDED"
    return (f"orch: run {tracker.run.run_id} {ended} in "
            f"{_fmt_seconds(tracker.elapsed())} ({', '.join(parts) or 'no steps'})")


def outcome_lines(tracker: RunProgress) -> list[str]:
    """A finished run in brief (what ``--watch -q`` prints of each run): the summary line
    and each failed step with its error and where in user code it was raised."""
    lines = [summary_line(tracker)]
    for state in tracker.visible_steps():
        if state.status is StepStatus.FAILURE:
            where = error_location(state.error)
            lines.append(f"  FAILED   {state.key}: {error_text(state.error) or state.message}"
                         + (f" (at {_short_path(where)})" if where else ""))
    if tracker.status is PipelineRunStatus.FAILURE and len(lines) == 1 and tracker.run_error:
        lines.append(f"  ERROR    {error_text(tracker.run_error)}")
    return lines


class RichSink(Sink):
    """A live table of steps on a terminal (stderr), refreshed ~10 times a second."""

    _STYLE = {StepStatus.PENDING: "dim", StepStatus.SUCCESS: "green",
              StepStatus.FAILURE: "bold red", StepStatus.SKIPPED: "dim",
              StepStatus.UP_FOR_RETRY: "yellow", StepStatus.NOT_EXECUTED: "dim red",
              StepStatus.ABANDONED: "dim red", StepStatus.CANCELED: "yellow",
              StepStatus.REUSED: "dim green"}

    def __init__(self, stream: IO[str]):
        from rich.console import Console

        self.console = Console(file=stream, stderr=stream is sys.stderr)
        self.live: Any = None
        self.tracker: RunProgress | None = None
        self.logs: list[str] = []

    def _render(self) -> Any:
        from rich.console import Group
        from rich.spinner import Spinner
        from rich.table import Table
        from rich.text import Text

        tracker = self.tracker
        assert tracker is not None
        table = Table(box=None, show_header=False, padding=(0, 1), expand=False)
        table.add_column(width=2)
        table.add_column()
        table.add_column(justify="right")
        table.add_column(overflow="fold")
        for state in tracker.visible_steps():
            if state.status is StepStatus.IN_PROGRESS:
                mark: Any = Spinner("dots", style="yellow")
            else:
                mark = Text(state.status.glyph, style=self._STYLE.get(state.status, "dim"))
            detail = error_text(state.error) if state.status is StepStatus.FAILURE else \
                (state.message if state.status is StepStatus.UP_FOR_RETRY else "")
            table.add_row(mark, Text(state.key, style="bold" if state.status is StepStatus.IN_PROGRESS else ""),
                          _fmt_seconds(state.duration), Text(detail, style="red"))
        counts = tracker.counts()
        header = Text.assemble(
            (f"{tracker.run.pipeline_name} ", "bold"), (f"run {tracker.run.run_id[:8]}  ", "dim"),
            (f"{counts.get(StepStatus.SUCCESS, 0)} done  ", "green"),
            (f"{counts.get(StepStatus.IN_PROGRESS, 0)} running  ", "yellow"),
            (f"{counts.get(StepStatus.FAILURE, 0)} failed  ",
             "red" if counts.get(StepStatus.FAILURE) else "dim"),
            (f"{(time.time() - tracker.followed_since) if tracker.ended is None else tracker.elapsed():.1f}s",
             "bold"),
        )
        return Group(header, *[Text(line, style="dim") for line in self.logs[-5:]], table)

    def start(self, tracker: RunProgress) -> None:
        from rich.live import Live

        self.tracker = tracker
        self.logs = []
        self.live = Live(get_renderable=self._render, console=self.console,
                         refresh_per_second=10, transient=False)
        self.live.start()

    def note(self, text: str) -> None:
        self.console.print(f"[bold]orch:[/bold] {text}", highlight=False)

    def output(self, step_key: str, stream: str, line: str) -> None:
        self.console.print(output_line(step_key, stream, line), style="dim", highlight=False,
                           markup=False, soft_wrap=True)

    def event(self, e: Any, tracker: RunProgress) -> None:
        if e.event_type is None and e.level >= 20:
            self.logs.append(f"{e.step_key + ': ' if e.step_key else ''}{e.message}")

    def finish(self, tracker: RunProgress) -> None:
        if self.live is not None:
            self.live.refresh()
            self.live.stop()
            self.live = None
        for state in tracker.visible_steps():
            if state.status is StepStatus.FAILURE and state.error:
                self.console.print(f"{state.key} failed: {error_text(state.error)}",
                                   style="bold red", highlight=False, markup=False)
                lines = traceback_lines(state.error)
                if lines:
                    self.console.print("\n".join(lines), highlight=False, markup=False,
                                       soft_wrap=True)
        style = "green" if tracker.status is PipelineRunStatus.SUCCESS else "red"
        self.console.print(summary_line(tracker), style=style, highlight=False)


# -- the follow loop -------------------------------------------------------------------------
@dataclass
class FollowResult:
    run: Any
    tracker: RunProgress
    exit_code: int
    interrupted: bool = False
    superseded: bool = False
    worker_output: str = ""
    worker_exit: int | None = None
    notes: list[str] = field(default_factory=list)


def _signal_process(process: Any, sig: int) -> None:
    try:
        process.send_signal(sig)
    except (ProcessLookupError, OSError):
        pass


class FileTail:
    """Complete new lines of a file another process appends to (read by offset)."""

    def __init__(self, fileno: int):
        self.fileno = fileno
        self.offset = 0
        self.partial = b""

    def lines(self, final: bool = False) -> list[str]:
        try:
            data = os.pread(self.fileno, 1 << 20, self.offset)
        except OSError:
            return []
        self.offset += len(data)
        text = self.partial + data
        if final:
            self.partial, complete = b"", text
        else:
            complete, _, self.partial = text.rpartition(b"\n")
        return complete.decode(errors="replace").splitlines()


def follow_run(instance: Any, run: Any, process: Any, sinks: list[Sink], *,
               worker_output: Callable[[], str] | None = None,
               worker_log: int | None = None,
               should_stop: Callable[[], bool] | None = None,
               wait_for_exit: bool = True) -> FollowResult:
    """Stream ``run``'s events to ``sinks`` until its worker ``process`` has exited and every
    event is read. Ctrl-C (or SIGTERM to this process) cancels the run: SIGTERM to the worker,
    which marks it CANCELED; a second Ctrl-C kills the worker. ``should_stop`` (polled) cancels
    the run the same way, for a newer run replacing it (watch mode). Without
    ``wait_for_exit`` it returns once the run's final event is read, leaving the worker to
    tear down on its own (``orch run`` exits ~40 ms sooner)."""
    tracker = RunProgress(run.run_id, plan_step_keys(instance, run), run=run)
    for sink in sinks:
        sink.start(tracker)
    tail = instance.tail(run.run_id)
    interrupted = superseded = False
    cancel_deadline: float | None = None

    output = StepOutputTail(instance.compute_log_manager, run.run_id,
                            enabled=any(type(s).output is not Sink.output for s in sinks))
    worker = FileTail(worker_log) if worker_log is not None else None

    def emit(lines: list[tuple[str, str, str]]) -> None:
        for key, stream, line in lines:
            for sink in sinks:
                sink.output(key, stream, line)

    echoed = f" - {run.run_id} - "  # the worker's console echo of the events shown already

    def emit_worker(final: bool = False) -> None:
        if worker is not None:
            emit([("run", "output", line) for line in worker.lines(final)
                  if echoed not in line])

    def dispatch(events: list[Any]) -> None:
        for e in events:
            emit(output.event(e))  # a step's last lines come before its outcome
            tracker.event(e)
            for sink in sinks:
                sink.event(e, tracker)
        emit(output.poll())
        emit_worker()

    def cancel() -> None:
        nonlocal cancel_deadline
        if cancel_deadline is None:
            cancel_deadline = time.monotonic() + CANCEL_GRACE_SECONDS
            current = instance.get_run(run.run_id)
            if current is not None and current.status.value == "QUEUED":
                instance.cancel_run(run.run_id)  # it never starts (or, if just taken, stops)
            else:
                instance.request_cancel(run.run_id)
            _signal_process(process, signal.SIGTERM)

    pause = _pauser(process, POLL_SECONDS if should_stop is not None
                    else SHOW_POLL_SECONDS if sinks else QUIET_POLL_SECONDS)
    try:
        while True:
            try:
                events = tail.poll()
                dispatch(events)
                if process.poll() is not None:
                    dispatch(tail.poll(final=True))
                    break
                if tracker.finished and not wait_for_exit and cancel_deadline is None:
                    break  # the run is over; its worker only tears down now (a canceled
                    # run's worker is waited for: it may still be stopping step processes)
                if should_stop is not None and not superseded and should_stop():
                    superseded = True
                    cancel()
                if cancel_deadline is not None and time.monotonic() > cancel_deadline:
                    _signal_process(process, signal.SIGKILL)
                # Also after a poll that found events: a busy run commits every few ms, and
                # a follower that polled again at once would take a core from the run. Once
                # the worker said its run is over, only its last events and exit are awaited.
                pause()
            except KeyboardInterrupt:
                if interrupted:  # a second Ctrl-C: stop waiting
                    _signal_process(process, signal.SIGKILL)
                interrupted = True
                for sink in sinks:
                    sink.note("interrupted: canceling the run (Ctrl-C again to kill it)")
                cancel()
        # The worker is gone; a worker that died without reporting is failed by recovery.
        current = instance.get_run(run.run_id)
        if current is not None and not current.status.is_finished:
            instance.recover_crashed_runs()
            dispatch(tail.poll(final=True))
    finally:
        emit(output.close())
        emit_worker(final=True)
        for sink in sinks:
            sink.finish(tracker)
    final = instance.get_run(run.run_id) or run
    code = process.poll()
    status = final.status.value
    if interrupted or superseded or status == "CANCELED":
        exit_code = EXIT_INTERRUPTED
    elif status == "SUCCESS":
        exit_code = EXIT_OK
    elif code == EXIT_INVALID:
        exit_code = EXIT_INVALID
    else:
        exit_code = EXIT_FAILURE
    output = worker_output() if worker_output is not None else ""
    return FollowResult(final, tracker, exit_code, interrupted, superseded, output, code)


def _pauser(process: Any, idle: float) -> Callable[[], None]:
    """The follower's sleep between polls: ``idle`` seconds for a worker that will say when
    its run is over (cut short then, and ``POLL_SECONDS`` from then on, for its last events
    and its exit); ``POLL_SECONDS`` for any other."""
    from orch.core.launcher import ForkedWorker

    if not isinstance(process, ForkedWorker):
        return lambda: time.sleep(POLL_SECONDS)
    return lambda: process.pause(POLL_SECONDS if process.reported_done else idle)


class TerminateAsInterrupt:
    """While active, SIGTERM to this process raises KeyboardInterrupt (a CI job being
    stopped cancels its run the same way Ctrl-C does)."""

    def __enter__(self) -> TerminateAsInterrupt:
        self._previous = signal.signal(signal.SIGTERM, self._handler)
        return self

    @staticmethod
    def _handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    def __exit__(self, *exc: Any) -> None:
        signal.signal(signal.SIGTERM, self._previous)


# -- reports ---------------------------------------------------------------------------------
def stderr_tail(instance: Any, run_id: str, step_key: str, lines: int = STDERR_TAIL_LINES) -> str:
    try:
        data, _, _ = instance.compute_log_manager.read(run_id, step_key, "stderr")
    except Exception:
        return ""
    text = data.decode(errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def write_junit(path: str, instance: Any, result: FollowResult) -> None:
    """One testcase per step; a failed step carries its error, stack and stderr tail."""
    import xml.etree.ElementTree as ET

    tracker, run = result.tracker, result.run
    steps = tracker.visible_steps()
    failures = sum(1 for s in steps if s.status is StepStatus.FAILURE)
    skipped = sum(1 for s in steps
                  if s.status.did_not_run)
    suites = ET.Element("testsuites", name="orch", tests=str(len(steps)),
                        failures=str(failures), errors="0", skipped=str(skipped),
                        time=f"{tracker.elapsed():.3f}")
    suite = ET.SubElement(suites, "testsuite", name=run.pipeline_name, tests=str(len(steps)),
                          failures=str(failures), errors="0", skipped=str(skipped),
                          time=f"{tracker.elapsed():.3f}",
                          timestamp=time.strftime("%Y-%m-%dT%H:%M:%S",
                                                  time.localtime(tracker.started or time.time())))
    props = ET.SubElement(suite, "properties")
    for name, value in (("run_id", run.run_id), ("status", run.status.value),
                        ("mode", run.mode), ("parent_run_id", run.parent_run_id or "")):
        ET.SubElement(props, "property", name=name, value=str(value))
    for state in steps:
        case = ET.SubElement(suite, "testcase", classname=run.pipeline_name, name=state.key,
                             time=f"{state.duration or 0.0:.3f}")
        if state.status is StepStatus.FAILURE:
            message = error_text(state.error) or state.message or "step failed"
            failure = ET.SubElement(case, "failure", message=message,
                                    type=(state.error or {}).get("cls_name") or "StepFailure")
            tail = stderr_tail(instance, run.run_id, state.key)
            body = format_error(state.error, verbose=True) or message
            if tail:
                body += f"\n--- stderr of {state.key} (last {STDERR_TAIL_LINES} lines) ---\n{tail}\n"
                ET.SubElement(case, "system-err").text = tail
            failure.text = body
        elif state.status.did_not_run:
            reason = state.message or {
                StepStatus.NOT_EXECUTED: "not executed: an upstream step failed or the run ended",
                StepStatus.CANCELED: "canceled while running"}.get(state.status, state.status.label)
            ET.SubElement(case, "skipped", message=reason)
    if tracker.status is PipelineRunStatus.FAILURE and tracker.run_error and not failures:
        case = ET.SubElement(suite, "testcase", classname=run.pipeline_name, name="(run)",
                             time=f"{tracker.elapsed():.3f}")
        failure = ET.SubElement(case, "failure", message=error_text(tracker.run_error),
                                type=tracker.run_error.get("cls_name") or "RunFailure")
        failure.text = format_error(tracker.run_error, verbose=True)
        suites.set("failures", "1")
        suite.set("failures", "1")
        suite.set("tests", str(len(steps) + 1))
    ET.indent(suites)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _user_location(error: dict[str, Any] | None) -> tuple[str, int] | None:
    """The innermost user frame, when it lies under the current directory: where a GitHub
    annotation should point."""
    where = error_location(error)
    if not where:
        return None
    path, _, line = where.rpartition(":")
    if not path.startswith(os.getcwd() + os.sep):
        return None
    return os.path.relpath(path), int(line)


def github_annotations(instance: Any, result: FollowResult, stream: IO[str]) -> None:
    """``::error`` workflow commands for failed steps (and a run that failed without one)."""
    tracker, run = result.tracker, result.run
    emitted = 0
    for state in tracker.visible_steps():
        if state.status is not StepStatus.FAILURE:
            continue
        message = error_text(state.error) or state.message or "step failed"
        tail = stderr_tail(instance, run.run_id, state.key, lines=10)
        if tail:
            message += f"\n--- stderr (last lines) ---\n{tail}"
        props = [f"title={_escape_property(f'{run.pipeline_name}: step {state.key} failed')}"]
        where = _user_location(state.error)
        if where:
            props.insert(0, f"file={_escape_property(where[0])},line={where[1]}")
        stream.write(f"::error {','.join(props)}::{_escape_data(message)}\n")
        emitted += 1
    if not emitted and tracker.status is PipelineRunStatus.FAILURE:
        message = error_text(tracker.run_error) or tracker.run_message or "run failed"
        title = _escape_property(f"{run.pipeline_name}: run {run.run_id[:8]} failed")
        stream.write(f"::error title={title}::{_escape_data(message)}\n")
    stream.flush()


def make_sinks(*, json_output: bool, verbose: bool, quiet: bool = False) -> list[Sink]:
    """``--json`` to stdout; progress on stderr: live on a terminal, plain lines otherwise."""
    sinks: list[Sink] = []
    if json_output:
        sinks.append(JsonSink(sys.stdout))
    if not quiet:
        use_rich = sys.stderr.isatty() and not verbose and os.environ.get("TERM") != "dumb"
        sinks.append(RichSink(sys.stderr) if use_rich else PlainSink(sys.stderr, verbose))
    return sinks
