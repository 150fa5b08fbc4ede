"""cloudwatch_logger (orch.integrations.aws.cloudwatch) against moto's server, a stand-in for
CloudWatch Logs, through ``orch run`` with the logger in the mode and named in run config."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from ..cloud_servers import moto_server
from ..conftest import Project, require

require("aws", "boto3")

REPO = '''
from orch.integrations.aws.cloudwatch import cloudwatch_logger
from orch import ModeDefinition, pipeline, solid


@solid
def hello(context):
    context.log.info("Hello, Cloudwatch!")
    context.log.error("This is an error")
    context.log.debug("below the threshold")


@pipeline(mode_defs=[ModeDefinition(logger_defs={"cloudwatch": cloudwatch_logger})])
def hello_cloudwatch():
    hello()
'''
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("moto")) as endpoint:
        yield endpoint


def logs_client(endpoint: str) -> Any:
    import boto3

    return boto3.client("logs", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def run(project: Project, endpoint: str | None, group: str, stream: str, **extra: Any):
    config: dict[str, Any] = {"log_group_name": group, "log_stream_name": stream,
                              "aws_region": "us-east-1", **extra}
    if endpoint:
        config["endpoint_url"] = endpoint
    path = project.root / "run.yaml"
    path.write_text(json.dumps({"loggers": {"cloudwatch": {"config": config}}}))
    return path


def messages(endpoint: str, group: str, stream: str) -> list[dict[str, Any]]:
    events = logs_client(endpoint).get_log_events(logGroupName=group, logStreamName=stream,
                                                  startFromHead=True)["events"]
    return [json.loads(e["message"]) | {"_timestamp": e["timestamp"]} for e in events]


def test_records_go_to_the_stream(project: Project, moto: str) -> None:
    group, stream = f"/orch/{uuid.uuid4().hex[:8]}", "test-logging"
    client = logs_client(moto)
    client.create_log_group(logGroupName=group)
    client.create_log_stream(logGroupName=group, logStreamName=stream)
    project.write(REPO)
    config = run(project, moto, group, stream)
    result = project.run("hello_cloudwatch", "-c", str(config), env=project.env(**CREDENTIALS))
    assert result.returncode == 0, result.stderr
    got = messages(moto, group, stream)
    texts = [m["msg"] for m in got]
    assert any("Hello, Cloudwatch!" in t for t in texts), texts
    assert any("This is an error" in t for t in texts)
    assert not any("below the threshold" in t for t in texts)  # log_level INFO by default
    (hello,) = [m for m in got if "Hello, Cloudwatch!" in m["msg"]]
    assert hello["levelname"] == "INFO" and hello["name"] == "dagster"
    event = next(e for e in result.events if "Hello, Cloudwatch!" in e.get("message", ""))
    assert abs(hello["_timestamp"] - event["timestamp"] * 1000) < 1


def test_a_missing_group_or_stream_fails_the_run_as_the_legacy_logger_does(
        project: Project, moto: str) -> None:
    group = f"/orch/{uuid.uuid4().hex[:8]}"
    project.write(REPO)
    result = project.run("hello_cloudwatch", "-c", str(run(project, moto, group, "s")),
                         env=project.env(**CREDENTIALS))
    assert result.returncode != 0
    assert (f"Failed to initialize Cloudwatch logger: Could not find log group with name "
            f"{group}") in result.stderr + json.dumps(result.events)

    logs_client(moto).create_log_group(logGroupName=group)
    result = project.run("hello_cloudwatch", "-c", str(run(project, moto, group, "s")),
                         env=project.env(**CREDENTIALS))
    assert result.returncode != 0
    assert "Failed to initialize Cloudwatch logger: Could not find log stream with name s" in \
        result.stderr + json.dumps(result.events)


def test_create_if_missing_and_the_legacy_endpoint_variable(project: Project,
                                                            moto: str) -> None:
    group, stream = f"/orch/{uuid.uuid4().hex[:8]}", "made-by-orch"
    project.write(REPO)
    # No endpoint_url key: the environment variable boto3 reads for CloudWatch Logs.
    config = run(project, None, group, stream, create_if_missing=True)
    env = project.env(**CREDENTIALS, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS=moto)
    result = project.run("hello_cloudwatch", "-c", str(config), env=env)
    assert result.returncode == 0, result.stderr
    assert any("Hello, Cloudwatch!" in m["msg"] for m in messages(moto, group, stream))
