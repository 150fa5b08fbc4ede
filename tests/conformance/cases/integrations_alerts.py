"""dagster-slack, dagster-pagerduty and dagster-datadog as a legacy file uses them: the Slack
hooks and PagerDuty's failure hook on a failing pipeline (which steps run, which hooks fire,
what reaches the service), pagerduty_resource's Events API v2 body, and datadog_resource's
DogStatsD datagrams. The services are loopback sinks started by each scenario (an HTTP server
recording JSON bodies; a UDP socket where the DogStatsD agent would listen). Under Dagster the
PagerDuty client (pypd) is pointed at the sink by its class attribute, DogStatsD by
DD_AGENT_HOST/DD_DOGSTATSD_PORT before the import; orch takes base_url / host / port."""

import json
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from orch.integrations.pagerduty import pagerduty_on_failure, pagerduty_resource
from orch.integrations.slack import slack_on_failure, slack_on_success
from slack_sdk import WebClient

from orch import ModeDefinition, execute_pipeline, pipeline, resource, solid

ORCH = ModeDefinition.__module__.startswith("orch")
RECORDED = []


class _Sink(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        RECORDED.append({"path": self.path.rstrip("/"), "body": body})
        if self.path.startswith("/v2/enqueue"):
            status, answer = 202, {"status": "success", "message": "Event processed",
                                   "dedup_key": body.get("dedup_key") or "k"}
        else:
            status, answer = 200, {"ok": True, "channel": body["channel"], "ts": "1.0"}
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


SERVER = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
SINK = f"http://127.0.0.1:{SERVER.server_address[1]}"
threading.Thread(target=SERVER.serve_forever, daemon=True).start()
if not ORCH:
    import pypd

    pypd.EventV2.base_url = SINK + "/v2/enqueue"


@resource
def sink_slack(_):
    return WebClient(token="xoxb-1", base_url=SINK + "/api/")


MODE = ModeDefinition(resource_defs={"slack": sink_slack, "pagerduty": pagerduty_resource})
PD_CONFIG = {"resources": {"pagerduty": {"config": {"routing_key": "rk-1", **(
    {"base_url": SINK} if ORCH else {})}}}}


@solid
def extract():
    return 2


@solid
def load(n):
    raise ValueError(f"cannot load {n}")


@solid
def after(_x):
    return 1


@pagerduty_on_failure("error", dagit_base_url="http://dagit")
@pipeline(mode_defs=[MODE])
def alerting():
    after(load(extract.with_hooks({slack_on_success("#ok")})()))


@solid(required_resource_keys={"pagerduty"})
def page(context):
    return context.resources.pagerduty.EventV2_create(
        summary="disk full", source="db1", severity="critical", dedup_key="d1",
        component="disk", group="db", event_class="cap", custom_details={"free": "1%"})


@pipeline(mode_defs=[MODE])
def paging():
    page()


def _take():
    out = sorted(RECORDED, key=lambda r: json.dumps(r, sort_keys=True))
    RECORDED.clear()
    return out


def run_hooks_on_a_failing_pipeline():
    result = execute_pipeline(alerting, run_config=PD_CONFIG, raise_on_error=False)
    _take()
    return result


def run_hook_payloads():
    result = execute_pipeline(alerting, run_config=PD_CONFIG, raise_on_error=False)
    return json.loads(json.dumps(_take()).replace(result.run_id, "<run>"))


def run_slack_on_failure_custom_message():
    hook = slack_on_failure("#alerts", message_fn=lambda c: f"{c.solid.name} broke in "
                            f"{c.pipeline_name}", dagit_base_url="http://dagit")

    @pipeline(mode_defs=[ModeDefinition(resource_defs={"slack": sink_slack})])
    def custom():
        load.with_hooks({hook})(extract())

    result = execute_pipeline(custom, raise_on_error=False)
    texts = [r["body"]["text"].replace(result.run_id, "<run>") for r in _take()]
    return result.success, texts


def run_pagerduty_resource_event():
    result = execute_pipeline(paging, run_config=PD_CONFIG)
    return result.result_for_solid("page").output_value(), _take()


def run_datadog_datagrams():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    port = sock.getsockname()[1]
    os.environ.update(DD_AGENT_HOST="127.0.0.1", DD_DOGSTATSD_PORT=str(port))
    from orch.integrations.datadog import datadog_resource

    if not ORCH:  # the legacy resource is datadog's module-level statsd, built at import
        from datadog import statsd

        statsd.host, statsd.port = "127.0.0.1", port
        statsd.disable_buffering = True
        statsd._reset_telemetry()

    @solid(required_resource_keys={"datadog"})
    def report(context):
        dd = context.resources.datadog
        dd.gauge("users.online", 1001, tags=["protocol:http"])
        dd.increment("page.views")
        dd.service_check("svc.check", dd.CRITICAL)
        dd.event("Title", "Text")

    @pipeline(mode_defs=[ModeDefinition(resource_defs={"datadog": datadog_resource})])
    def metrics():
        report()

    result = execute_pipeline(metrics, run_config={"resources": {"datadog": {"config": {
        "api_key": "k", "app_key": "a"}}}})
    got = []
    try:
        while len(got) < 4:
            data = sock.recv(65535)
            got.extend(d for d in data.decode().split("\n")
                       if d and not d.startswith("datadog."))
    finally:
        sock.close()
    return result.success, got
