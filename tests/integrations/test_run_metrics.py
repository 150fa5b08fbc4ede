"""The instance-level run metrics reporter (orch.yaml ``metrics: {name: dogstatsd}``) against a
real UDP socket where the DogStatsD agent would listen: step durations and outcomes and the run's
outcome from ``orch run`` (in process and multiprocess), the queue's depth as ``orch launch``
queues runs and ``orch queue run`` takes them, and an unknown reporter name refused."""

from __future__ import annotations

import re
import signal
import subprocess
import time

import pytest

from .conftest import ORCH, Project, require
from .sinks import UdpSink, udp_sink

require("datadog", "datadog")

REPO = '''
from orch import pipeline, solid

@solid
def extract():
    return 1

@solid
def load(n):
    raise ValueError("no table")

@pipeline
def nightly():
    load(extract())

@solid
def quick():
    return 0

@pipeline
def small():
    quick()
'''
METRIC = re.compile(rb"orch\.([\w.]+):([0-9.e-]+)\|(ms|c|g)\|#(.*)\n")


def _metrics(sink: UdpSink, count: int | None = None) -> list[tuple[str, float, str, str]]:
    out = []
    for datagram in sink.datagrams(count):
        match = METRIC.fullmatch(datagram)
        assert match, datagram
        name, value, kind, tags = match.groups()
        out.append((name.decode(), float(value), kind.decode(), tags.decode()))
    return out


def _configure(project: Project, extra: str = "") -> None:
    """orch.yaml naming the reporter; its port comes from $STATSD_PORT."""
    project.home.mkdir(exist_ok=True)
    (project.home / "orch.yaml").write_text(
        "metrics:\n  name: dogstatsd\n"
        "  config: {host: 127.0.0.1, port: {env: STATSD_PORT}, tags: [env:ci]}\n" + extra)


@pytest.mark.parametrize("executor", ["in_process", "multiprocess"])
def test_step_durations_and_the_run_outcome(project, executor):
    project.write(REPO)
    with udp_sink() as sink:
        _configure(project)
        run = project.run("nightly", "--executor", executor,
                          env=project.env(STATSD_PORT=str(sink.port)))
        assert run.returncode == 1, run.stderr
        got = _metrics(sink, 6)
    assert [(n, k, t) for n, _, k, t in got] == [
        ("step.duration", "ms", "pipeline:nightly,step:extract,outcome:success,env:ci"),
        ("step.finished", "c", "pipeline:nightly,step:extract,outcome:success,env:ci"),
        ("step.duration", "ms", "pipeline:nightly,step:load,outcome:failure,env:ci"),
        ("step.finished", "c", "pipeline:nightly,step:load,outcome:failure,env:ci"),
        ("run.finished", "c", "pipeline:nightly,status:failure,env:ci"),
        ("run.duration", "ms", "pipeline:nightly,status:failure,env:ci")]
    stats = {s["step_key"]: s["data"]["duration_ms"] for s in run.events
             if s["event_type"] in ("STEP_SUCCESS", "STEP_FAILURE")}
    assert got[0][1] == pytest.approx(stats["extract"])
    assert got[2][1] == pytest.approx(stats["load"])
    assert got[5][1] >= got[0][1] + got[2][1]


def test_queue_depth_as_runs_are_queued_and_taken(project):
    project.write(REPO)
    with udp_sink() as sink:
        _configure(project,
                   "run_coordinator:\n  name: queued\n  config: {max_concurrent_runs: 1}\n")
        env = project.env(STATSD_PORT=str(sink.port))
        for _ in range(2):
            launched = subprocess.run([ORCH, "launch", "-f", str(project.root / "repo.py"),
                                       "-p", "small"], env=env, capture_output=True,
                                      text=True, timeout=60, cwd=project.root)
            assert launched.returncode == 0, launched.stderr
        assert _metrics(sink, 2) == [("runs.queued", 1, "g", "env:ci"),
                                     ("runs.queued", 2, "g", "env:ci")]
        queue = subprocess.Popen([ORCH, "queue", "run"], env=env, cwd=project.root,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            seen: list[tuple[str, float, str, str]] = []
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and \
                    sum(m[0] == "run.finished" for m in seen) < 2:
                seen += _metrics(sink, 1)
        finally:
            queue.send_signal(signal.SIGINT)
            queue.wait(30)
    depths = [int(v) for n, v, _, _ in seen if n == "runs.queued"]
    assert depths[0] == 1 and 0 in depths, seen  # one launched, one waiting; then none
    finished = [t for n, _, _, t in seen if n == "run.finished"]
    assert finished == ["pipeline:small,status:success,env:ci"] * 2


def test_an_unknown_reporter_is_refused_with_the_choices(project):
    project.write(REPO)
    project.home.mkdir()
    (project.home / "orch.yaml").write_text("metrics:\n  name: statsd\n")
    run = project.run("small")
    assert run.returncode == 2
    assert "`metrics` names 'statsd'; choose one of: dogstatsd" in run.stderr
