"""``cloudwatch_logger`` (legacy ``dagster_aws.cloudwatch.loggers``): each log record of a run
becomes one CloudWatch Logs event (``put_log_events``) in ``log_group_name``/``log_stream_name``;
its message is the JSON of the record, its timestamp the event's, in milliseconds.

As in dagster-aws, the logger checks at start that the group and the stream exist (paging
through ``describe_log_groups``/``describe_log_streams``) and fails the run if either is
missing; orch adds ``create_if_missing: true`` to create them instead, and ``endpoint_url``
to reach a CloudWatch Logs endpoint other than AWS's (the legacy logger has no such key: it
could only be redirected by ``AWS_ENDPOINT_URL_CLOUDWATCH_LOGS``, which boto3 also honours
here). A record CloudWatch refuses is reported to Python's root logger, never raised into
the step.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from orch.core.config import Field, StringSource
from orch.core.errors import DagsterInvariantViolationError
from orch.core.execution.loggers import logger

_root = logging.getLogger()


class CloudwatchLoggerError(DagsterInvariantViolationError):
    """The log group or stream the cloudwatch logger writes to does not exist."""


def _timestamp_ms(record: logging.LogRecord) -> int:
    event = getattr(record, "orch_event", None)
    when = event.get("timestamp") if isinstance(event, dict) else None
    return int((when if isinstance(when, int | float) else record.created) * 1000)


class CloudwatchLogsHandler(logging.Handler):
    """Sends each record to one CloudWatch Logs stream."""

    def __init__(self, log_group_name: str, log_stream_name: str, aws_region: str | None = None,
                 aws_secret_access_key: str | None = None, aws_access_key_id: str | None = None,
                 endpoint_url: str | None = None, create_if_missing: bool = False) -> None:
        import boto3

        super().__init__()
        self.client = boto3.client("logs", region_name=aws_region, endpoint_url=endpoint_url,
                                   aws_access_key_id=aws_access_key_id,
                                   aws_secret_access_key=aws_secret_access_key)
        self.log_group_name = log_group_name
        self.log_stream_name = log_stream_name
        self.sequence_token: str | None = None
        if not self.log_group_exists():
            if not create_if_missing:
                raise CloudwatchLoggerError(
                    "Failed to initialize Cloudwatch logger: Could not find log group with name "
                    f"{log_group_name}")
            self.client.create_log_group(logGroupName=log_group_name)
        if not self.check_log_stream():
            if not create_if_missing:
                raise CloudwatchLoggerError(
                    "Failed to initialize Cloudwatch logger: Could not find log stream with "
                    f"name {log_stream_name}")
            self.client.create_log_stream(logGroupName=log_group_name,
                                          logStreamName=log_stream_name)

    def log_group_exists(self) -> bool:
        kwargs: dict[str, Any] = {"logGroupNamePrefix": self.log_group_name}
        while True:
            res = self.client.describe_log_groups(**kwargs)
            if any(g["logGroupName"] == self.log_group_name for g in res["logGroups"]):
                return True
            if not res.get("nextToken"):
                return False
            kwargs["nextToken"] = res["nextToken"]

    def check_log_stream(self) -> bool:
        """Whether the stream exists (and its upload sequence token, if CloudWatch gives
        one)."""
        kwargs: dict[str, Any] = {"logGroupName": self.log_group_name,
                                  "logStreamNamePrefix": self.log_stream_name}
        while True:
            res = self.client.describe_log_streams(**kwargs)
            for stream in res["logStreams"]:
                if stream["logStreamName"] == self.log_stream_name:
                    self.sequence_token = stream.get("uploadSequenceToken")
                    return True
            if not res.get("nextToken"):
                return False
            kwargs["nextToken"] = res["nextToken"]

    def emit(self, record: logging.LogRecord) -> None:
        self._emit(record, retry=False)

    def _emit(self, record: logging.LogRecord, retry: bool) -> None:
        params: dict[str, Any] = {
            "logGroupName": self.log_group_name,
            "logStreamName": self.log_stream_name,
            "logEvents": [{"timestamp": _timestamp_ms(record),
                           "message": json.dumps(record.__dict__, default=str)}],
        }
        if self.sequence_token is not None:
            params["sequenceToken"] = self.sequence_token
        errors = self.client.exceptions
        try:
            res = self.client.put_log_events(**params)
        except errors.InvalidSequenceTokenException as exc:
            if retry:
                _root.error("Cloudwatch logger: %s", exc)
                return
            self.check_log_stream()
            self._emit(record, retry=True)
            return
        except errors.ResourceNotFoundException as exc:
            _root.error("Cloudwatch logger: Resource not found. Check that the log stream or "
                        "log group was not deleted: %s", exc)
            return
        except Exception as exc:  # never raised into the step that logged
            _root.error("Cloudwatch logger: could not log (%s: %s)", type(exc).__name__, exc)
            return
        self.sequence_token = res.get("nextSequenceToken")
        if res.get("rejectedLogEventsInfo") is not None:
            _root.error("Cloudwatch logger: log events rejected: %s", res)


@logger(
    {
        "log_level": Field(str, is_required=False, default_value="INFO"),
        "name": Field(str, is_required=False, default_value="dagster"),
        "log_group_name": Field(str, description="The name of the log group"),
        "log_stream_name": Field(str, description="The name of the log stream"),
        "aws_region": Field(StringSource, is_required=False,
                            description="Specifies a custom region for the S3 session. Default "
                            "is chosen through the ordinary boto3 credential chain."),
        "aws_secret_access_key": Field(StringSource, is_required=False),
        "aws_access_key_id": Field(StringSource, is_required=False),
        "endpoint_url": Field(StringSource, is_required=False,
                              description="orch: a CloudWatch Logs endpoint other than AWS's."),
        "create_if_missing": Field(bool, is_required=False, default_value=False,
                                   description="orch: create the log group and stream when "
                                   "they do not exist (default: fail, as dagster-aws does)."),
    },
    description="The default colored console logger.",  # sic: dagster-aws' description
)
def cloudwatch_logger(init_context: Any) -> logging.Logger:
    """Sends the run's log records to AWS CloudWatch Logs."""
    config = init_context.logger_config
    level = logging.getLevelName(str(config.get("log_level", "INFO")).upper())
    if not isinstance(level, int):
        raise DagsterInvariantViolationError(
            f"cloudwatch_logger: log_level {config['log_level']!r} is not one of DEBUG, INFO, "
            "WARNING, ERROR, CRITICAL")
    py_logger = logging.getLoggerClass()(config.get("name", "dagster"), level=level)
    py_logger.addHandler(CloudwatchLogsHandler(
        config["log_group_name"], config["log_stream_name"],
        aws_region=config.get("aws_region"),
        aws_secret_access_key=config.get("aws_secret_access_key"),
        aws_access_key_id=config.get("aws_access_key_id"),
        endpoint_url=config.get("endpoint_url"),
        create_if_missing=config.get("create_if_missing", False)))
    return py_logger
