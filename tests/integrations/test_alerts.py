"""Slack and PagerDuty through ``orch run`` and ``orch sensor tick``, against loopback HTTP sinks
that record what the real clients send (no emulator exists for either service): the resources,
the hooks (slack_on_failure/slack_on_success, pagerduty_on_failure), the Slack run-failure
sensor, an error answer, and tokens given as ``{env: …}`` that never reach the instance."""

from __future__ import annotations

import subprocess
import time

import yaml

from .conftest import ORCH, Project, require
from .sinks import http_sink

require("slack", "slack_sdk")

REPO = '''
from orch import ModeDefinition, pipeline, repository, solid
from orch.integrations.pagerduty import pagerduty_on_failure, pagerduty_resource
from orch.integrations.slack import (make_slack_on_pipeline_failure_sensor, slack_on_failure,
                                     slack_on_success, slack_resource)
import os

MODE = ModeDefinition(resource_defs={"slack": slack_resource, "pagerduty": pagerduty_resource})


@solid
def extract():
    return 3


@solid
def load(n):
    raise ValueError(f"cannot load {n} rows")


@slack_on_failure("#alerts", dagit_base_url="http://orch.local")
@pagerduty_on_failure("error")
@pipeline(mode_defs=[MODE])
def nightly():
    load(extract.with_hooks({slack_on_success("#runs")})())


@solid(required_resource_keys={"pagerduty"})
def page(context):
    pd = context.resources.pagerduty
    sent = pd.EventV2_create(summary="disk full", source="db1", severity="critical",
                             event_action="trigger", dedup_key="disk-db1", component="disk",
                             group="db", event_class="capacity", custom_details={"free": "1%"},
                             timestamp="2026-12-01T12:00:00+0000")
    pd.EventV2_create(summary="disk ok", source="db1", severity="info",
                      event_action="resolve", dedup_key="disk-db1")
    context.log.info(f"PagerDuty answered {sent}")


@solid(required_resource_keys={"pagerduty"})
def bad_severity(context):
    context.resources.pagerduty.EventV2_create(summary="s", source="x", severity="fatal")


@pipeline(mode_defs=[MODE])
def paging():
    page()
    bad_severity()


@solid
def explode():
    raise RuntimeError("boom")


@pipeline
def fragile():
    explode()


alert = make_slack_on_pipeline_failure_sensor(
    "#oncall", os.environ.get("SLACK_TOKEN", ""), base_url=os.environ.get("SLACK_URL"),
    pipeline_selection=["fragile"], dagit_base_url="http://orch.local")


@repository
def repo():
    return [nightly, paging, fragile, alert]
'''

TOKEN = "xoxb-sekrit-token-0001"
ROUTING_KEY = "R0UT1NGKEY0123456789abcdef0123"


def _config(project: Project, sink_url: str, keys: tuple[str, ...] = ("slack", "pagerduty")
            ) -> str:
    """Run config for the resources ``keys`` (only those the pipeline's steps need)."""
    resources = {
        "slack": {"config": {"token": {"env": "SLACK_TOKEN"}, "base_url": sink_url + "/api/"}},
        "pagerduty": {"config": {"routing_key": {"env": "PD_KEY"}, "base_url": sink_url}}}
    config = {"resources": {k: resources[k] for k in keys}}
    path = project.root / "run.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def _stored_bytes(project: Project) -> bytes:
    return b"".join(p.read_bytes() for p in project.home.rglob("*") if p.is_file())


def test_hooks_post_to_slack_and_pagerduty_and_tokens_stay_out_of_storage(project):
    project.write(REPO)
    with http_sink() as sink:
        env = project.env(SLACK_TOKEN=TOKEN, PD_KEY=ROUTING_KEY)
        run = project.run("nightly", "-c", _config(project, sink.url), env=env)
        assert run.returncode == 1, run.stderr
        recorded = sink.wait_for(3)
    by_path = {r.path: r for r in recorded}
    assert sorted(by_path) == ["/api/chat.postMessage", "/v2/enqueue"]
    slack = [r for r in recorded if r.path == "/api/chat.postMessage"]
    assert [(r.body["channel"], r.body["text"]) for r in slack] == [
        ("#runs", f"Solid extract on pipeline nightly succeeded!\nRun ID: {run.run_id}"),
        ("#alerts", f"Solid load on pipeline nightly failed!\nRun ID: {run.run_id}"
                    f"\n<http://orch.local/instance/runs/{run.run_id}|View in Dagit>")]
    assert {r.headers["Authorization"] for r in slack} == {f"Bearer {TOKEN}"}
    assert by_path["/v2/enqueue"].body == {
        "routing_key": ROUTING_KEY, "event_action": "trigger", "dedup_key": "nightly|load",
        "payload": {"summary": "Solid load on pipeline nightly failed!", "source": "nightly",
                    "severity": "error", "custom_details": {}}}
    hooks = [(e["step_key"], e["data"]["hook_name"]) for e in run.of_type("HOOK_COMPLETED")]
    assert sorted(hooks) == [("extract", "_hook"), ("load", "_hook"), ("load", "_hook")]
    stored = _stored_bytes(project)
    assert TOKEN.encode() not in stored and ROUTING_KEY.encode() not in stored
    assert b"SLACK_TOKEN" in stored  # the reference is what the run config keeps


def test_pagerduty_resource_events_and_errors(project):
    project.write(REPO)
    with http_sink() as sink:
        run = project.run("paging", "-c", _config(project, sink.url, ("pagerduty",)),
                          env=project.env(SLACK_TOKEN=TOKEN, PD_KEY=ROUTING_KEY))
        bodies = [r.body for r in sink.wait_for(2)]
    assert run.returncode == 1
    assert bodies == [
        {"routing_key": ROUTING_KEY, "event_action": "trigger", "dedup_key": "disk-db1",
         "payload": {"summary": "disk full", "source": "db1", "severity": "critical",
                     "timestamp": "2026-12-01T12:00:00+0000", "component": "disk",
                     "group": "db", "class": "capacity", "custom_details": {"free": "1%"}}},
        {"routing_key": ROUTING_KEY, "event_action": "resolve", "dedup_key": "disk-db1",
         "payload": {"summary": "disk ok", "source": "db1", "severity": "info"}}]
    answers = [e["message"] for e in run.events
               if e["event_type"] is None and e["step_key"] == "page"]
    assert "PagerDuty answered {'status': 'success', 'message': 'Event processed', " \
        "'dedup_key': 'disk-db1'}" in answers
    [failure] = run.of_type("STEP_FAILURE", "bad_severity")
    assert "PagerDuty severity 'fatal' is not one of critical, error, warning, info" \
        in str(failure["data"])


def test_an_error_answer_fails_the_hook_with_the_status_and_body(project):
    project.write(REPO)
    with http_sink() as sink:
        sink.status = 400
        run = project.run("nightly", "-c", _config(project, sink.url),
                          env=project.env(SLACK_TOKEN=TOKEN, PD_KEY=ROUTING_KEY))
    errored = {e["message"] for e in run.of_type("HOOK_ERRORED", "load")}
    assert any("PagerDuty answered 400" in m and "invalid event" in m for m in errored), errored
    assert any("SlackApiError" in m for m in errored), errored


def _orch(project: Project, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    proc = subprocess.run([ORCH, *args, "-f", str(project.root / "repo.py")], cwd=project.root,
                          capture_output=True, text=True, timeout=120, env=env)
    return proc


def test_slack_run_failure_sensor_alerts_once_per_failed_run(project):
    project.write(REPO)
    with http_sink() as sink:
        env = project.env(SLACK_TOKEN=TOKEN, SLACK_URL=sink.url + "/api")
        assert _orch(project, "sensor", "start", "slack_on_pipeline_failure",
                     env=env).returncode == 0
        now = time.time()  # the sensor is due every 30 s: each tick is 31 s later
        first = _orch(project, "sensor", "tick", "--now", str(now), env=env)  # sets the cursor: nothing to report
        assert first.returncode == 0, first.stderr
        failed = project.run("fragile", env=env)
        assert failed.returncode == 1
        project.run("paging", "-c", _config(project, sink.url, ("pagerduty",)),
                    env={**env, "PD_KEY": "k"})
        sink.requests.clear()  # paging's own events; the sensor only watches `fragile`
        second = _orch(project, "sensor", "tick", "--now", str(now + 31), env=env)
        assert second.returncode == 0, second.stderr
        [post] = sink.wait_for(1)
        third = _orch(project, "sensor", "tick", "--now", str(now + 62), env=env)
        assert third.returncode == 0
        assert len(sink.requests) == 1  # not alerted twice
    run_id = failed.run_id
    [message] = failed.of_type("PIPELINE_FAILURE")
    assert post.path == "/api/chat.postMessage"
    assert post.headers["Authorization"] == f"Bearer {TOKEN}"
    assert post.body["channel"] == "#oncall"
    assert post.body["text"] == (f"Pipeline fragile failed!\nRun ID: {run_id}\nMode: default\n"
                                 f"Error: {message['message']}")
    assert post.body["blocks"] == [
        {"type": "section", "text": {"type": "mrkdwn",
                                     "text": f'*Pipeline "fragile" failed. `{run_id[:8]}`*'}},
        {"type": "section", "text": {"type": "mrkdwn", "text": post.body["text"]}},
        {"type": "actions", "elements": [{
            "type": "button", "text": {"type": "plain_text", "text": "View in Dagit"},
            "url": f"http://orch.local/instance/runs/{run_id}"}]}]
