"""The built-in loggers legacy modes list (colored_console_logger, json_console_logger,
default_loggers) and calling a logger directly with build_init_logger_context."""

import logging

from orch import (
    ModeDefinition,
    build_init_logger_context,
    colored_console_logger,
    default_loggers,
    execute_pipeline,
    json_console_logger,
    logger,
    pipeline,
    solid,
)


@solid
def chatty(context):
    context.log.info("hello from a solid")
    return 1


@pipeline(mode_defs=[ModeDefinition(logger_defs={"console": colored_console_logger,
                                                 "json": json_console_logger})])
def logged_pipeline():
    chatty()


def run_with_builtin_loggers():
    return execute_pipeline(logged_pipeline, run_config={"loggers": {
        "console": {"config": {"log_level": "INFO"}},
        "json": {"config": {"log_level": "DEBUG", "name": "json_logs"}}}})


def run_with_default_loggers_mode():
    @pipeline(mode_defs=[ModeDefinition(logger_defs=default_loggers())])
    def default_logged():
        chatty()

    return [sorted(default_loggers()), execute_pipeline(default_logged).success]


def run_logger_called_directly():
    py_logger = colored_console_logger(build_init_logger_context({"log_level": "WARNING",
                                                                 "name": "mine"}))
    defaulted = json_console_logger(build_init_logger_context())
    return [py_logger.name, py_logger.level == logging.WARNING, defaulted.name,
            defaulted.level == logging.INFO]


@logger({"prefix": str})
def custom_logger(init_context):
    made = logging.Logger(init_context.logger_config["prefix"] + "_logger", level=logging.INFO)
    return made


def run_custom_logger_called_directly():
    return custom_logger(build_init_logger_context({"prefix": "app"})).name


def run_custom_logger_bad_config():
    return custom_logger(build_init_logger_context({"prefix": 3}))


def run_builtin_logger_schema():
    return [colored_console_logger.description is not None,
            json_console_logger.description is not None]
