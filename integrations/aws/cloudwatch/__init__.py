"""CloudWatch Logs for orch (legacy ``dagster_aws.cloudwatch``):
``from dagster_aws.cloudwatch import cloudwatch_logger`` becomes
``from orch.integrations.aws.cloudwatch import cloudwatch_logger``. boto3 (``orch[aws]``) is
imported when the logger starts."""

from .loggers import CloudwatchLoggerError, CloudwatchLogsHandler, cloudwatch_logger

__all__ = ["CloudwatchLoggerError", "CloudwatchLogsHandler", "cloudwatch_logger"]
