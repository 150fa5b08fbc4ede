"""A custom @logger in a mode, configured through run config."""

import logging

from orch import ModeDefinition, execute_pipeline, logger, pipeline, solid

RECORDS = []


class ListHandler(logging.Handler):
    def emit(self, record):
        RECORDS.append(record.getMessage())


@logger(config_schema={"name": str})
def list_logger(init_context):
    log = logging.getLogger(init_context.logger_config["name"])
    log.setLevel(logging.INFO)
    log.handlers = [ListHandler()]
    return log


@solid
def chatty(context):
    context.log.info("hello from chatty")
    return 1


@pipeline(mode_defs=[ModeDefinition(logger_defs={"list": list_logger})])
def logger_pipeline():
    chatty()


def run_logger():
    RECORDS.clear()
    result = execute_pipeline(logger_pipeline, run_config={
        "loggers": {"list": {"config": {"name": "conformance_list"}}}})
    return [result.success, any("hello from chatty" in r for r in RECORDS)]


def run_logger_missing_config():
    return execute_pipeline(logger_pipeline, run_config={"loggers": {"list": {}}})
