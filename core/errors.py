"""orch's error hierarchy (legacy Dagster names kept)."""

from __future__ import annotations


class DagsterError(Exception):
    """Base class for every error orch raises on purpose."""


class DagsterInvalidDefinitionError(DagsterError):
    """A solid, pipeline, type or other definition is malformed."""


class DagsterInvariantViolationError(DagsterError):
    """An API was used in a way its contract forbids."""


class DagsterInvalidSubsetError(DagsterError):
    """A solid or step selection selects nothing, or names something that does not exist."""


class DagsterExecutionStepNotFoundError(DagsterError):
    """A step selection names a step the execution plan does not contain."""


class DagsterInvalidInvocationError(DagsterError):
    """A solid was invoked directly with arguments that do not fit its definition."""


class DagsterUnknownResourceError(DagsterError, AttributeError):
    """A solid used a resource it did not declare in required_resource_keys."""

    def __init__(self, resource_name: str, available: list[str] | None = None):
        self.resource_name = resource_name
        hint = (
            f" Declared resources: {sorted(available)}." if available is not None else ""
        )
        super().__init__(
            f"Unknown resource `{resource_name}`. Specify `{resource_name}` as a required "
            f"resource on the compute / config function that accessed it.{hint}"
        )


class DagsterTypeCheckDidNotPass(DagsterError):
    """A value failed the type check of an input or output."""

    def __init__(self, description: str, metadata_entries: list | None = None, dagster_type=None):
        super().__init__(description)
        self.description = description
        self.metadata_entries = metadata_entries or []
        self.dagster_type = dagster_type


class DagsterStepOutputNotFoundError(DagsterError):
    """A step finished without producing a required output."""

    def __init__(self, message: str, step_key: str, output_name: str):
        super().__init__(message)
        self.step_key = step_key
        self.output_name = output_name


class DagsterExecutionInterruptedError(BaseException):
    """The run was interrupted (SIGINT/SIGTERM or a cancel request).

    A BaseException, like KeyboardInterrupt, so ``except Exception`` in user code and in the
    step runner does not swallow it."""


class DagsterRunNotFoundError(DagsterError):
    """No run with the given id exists in the instance."""


class DagsterUserCodeExecutionError(DagsterError):
    """User code raised; the original exception is ``user_exception``."""

    def __init__(self, message: str, user_exception: BaseException):
        super().__init__(message)
        self.user_exception = user_exception


class DagsterExecutionStepExecutionError(DagsterUserCodeExecutionError):
    """User code in a step's compute function raised."""


class DagsterTypeLoadingError(DagsterUserCodeExecutionError):
    """A type's loader raised while turning input config into a value."""


class DagsterResourceFunctionError(DagsterUserCodeExecutionError):
    """A resource's initialisation function raised."""


class DagsterMissingInputError(DagsterInvariantViolationError):
    """A solid input has no dependency, config value, default or root input manager."""


def serializable_error_info(exc: BaseException) -> dict:
    """An exception as JSON-friendly data: class, message, traceback lines, cause."""
    import traceback

    info = {
        "cls_name": type(exc).__name__,
        "message": f"{type(exc).__name__}: {exc}",
        "stack": traceback.format_tb(exc.__traceback__),
    }
    cause = exc.__cause__ or exc.__context__
    if cause is not None and cause is not exc:
        info["cause"] = {
            "cls_name": type(cause).__name__,
            "message": f"{type(cause).__name__}: {cause}",
            "stack": traceback.format_tb(cause.__traceback__),
        }
    return info
