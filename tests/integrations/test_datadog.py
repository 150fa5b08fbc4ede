"""``datadog_resource`` through ``orch run`` against a real UDP socket standing where the
DogStatsD agent listens: every legacy method's datagram in DogStatsD's wire format, the orch
``host``/``port``/``namespace``/``constant_tags`` keys, and the legacy way of pointing it
(``DD_AGENT_HOST``/``DD_DOGSTATSD_PORT``, with only ``api_key``/``app_key`` in the config)."""

from __future__ import annotations

import re

import yaml

from .conftest import Project, require
from .sinks import udp_sink

require("datadog", "datadog")

REPO = '''
from orch import ModeDefinition, pipeline, solid
from orch.integrations.datadog import datadog_resource


@solid(required_resource_keys={"datadog"})
def report(context):
    dd = context.resources.datadog
    dd.event("Man down!", "This server needs assistance.")
    dd.gauge("users.online", 1001, tags=["protocol:http"])
    dd.increment("page.views")
    dd.decrement("page.views")
    dd.histogram("album.photo.count", 26, tags=["gender:female"])
    dd.distribution("album.photo.count", 26, tags=["color:blue"])
    dd.set("visitors.uniques", 999, tags=["browser:ie"])
    dd.service_check("svc.check_name", dd.WARNING)
    dd.timing("query.response.time", 1234)

    @dd.timed("run_fn")
    def run_fn():
        __import__("time").sleep(0.02)

    run_fn()


@pipeline(mode_defs=[ModeDefinition(resource_defs={"datadog": datadog_resource})])
def metrics():
    report()
'''

LEGACY_DATAGRAMS = [
    b"_e{9,29}:Man down!|This server needs assistance.",
    b"users.online:1001|g|#protocol:http",
    b"page.views:1|c",
    b"page.views:-1|c",
    b"album.photo.count:26|h|#gender:female",
    b"album.photo.count:26|d|#color:blue",
    b"visitors.uniques:999|s|#browser:ie",
    b"_sc|svc.check_name|1",
    b"query.response.time:1234|ms",
]
LEGACY_DATAGRAMS = [d + b"\n" for d in LEGACY_DATAGRAMS]  # the client ends each one with \n


def _run(project: Project, config: dict, **env: str):
    path = project.root / "run.yaml"
    path.write_text(yaml.safe_dump({"resources": {"datadog": {"config": config}}}))
    return project.run("metrics", "-c", str(path), env=project.env(**env))


def test_every_method_sends_its_datagram_to_the_configured_port(project):
    project.write(REPO)
    with udp_sink() as sink:
        run = _run(project, {"api_key": {"env": "DD_API_KEY"}, "app_key": "app",
                             "host": "127.0.0.1", "port": sink.port},
                   DD_API_KEY="dd-secret-key-42")
        assert run.returncode == 0, run.stderr
        got = sink.datagrams(10)
    assert got[:9] == LEGACY_DATAGRAMS
    timed = re.fullmatch(rb"run_fn:([0-9.e-]+)\|ms\n", got[9])
    assert timed and 0.02 <= float(timed.group(1)) < 5, got[9]  # seconds, as DogStatsd sends
    stored = b"".join(p.read_bytes() for p in project.home.rglob("*") if p.is_file())
    assert b"dd-secret-key-42" not in stored


def test_namespace_and_constant_tags(project):
    project.write(REPO)
    with udp_sink() as sink:
        run = _run(project, {"host": "127.0.0.1", "port": sink.port, "namespace": "orch",
                             "constant_tags": ["env:ci"]})
        assert run.returncode == 0, run.stderr
        got = sink.datagrams(10)
    assert got[1] == b"orch.users.online:1001|g|#protocol:http,env:ci\n"
    assert got[2] == b"orch.page.views:1|c|#env:ci\n"
    assert got[7] == b"_sc|svc.check_name|1|#env:ci\n"


def test_legacy_config_finds_the_agent_through_the_environment(project):
    project.write(REPO)
    with udp_sink() as sink:
        run = _run(project, {"api_key": "k", "app_key": "a"},
                   DD_AGENT_HOST="127.0.0.1", DD_DOGSTATSD_PORT=str(sink.port))
        assert run.returncode == 0, run.stderr
        assert sink.datagrams(10)[:9] == LEGACY_DATAGRAMS
