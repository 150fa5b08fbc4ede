"""``StringSource``, ``IntSource``, ``BoolSource``: a literal, or ``{env: VAR}``.

Validation only checks the form; the environment is read by ``process_config``. Error
messages name the variable but never its value, which may be a secret.
"""

from __future__ import annotations

import os

from orch.core.config.errors import PostProcessingError
from orch.core.config.field import Field
from orch.core.config.types import (
    ConfigBool,
    ConfigInt,
    ConfigScalar,
    ConfigString,
    ScalarUnion,
    Selector,
)

_TRUE_STRINGS = frozenset({"true", "1", "yes", "y", "on"})
_FALSE_STRINGS = frozenset({"false", "0", "no", "n", "off"})


def read_env_var(name: str) -> str:
    """Return the value of environment variable ``name`` or raise PostProcessingError."""
    value = os.environ.get(name)
    if value is None:
        raise PostProcessingError(
            f'You have attempted to fetch the environment variable "{name}" which is not set. '
            "In order for this execution to succeed it must be set in this environment."
        )
    return value


class SourceType(ScalarUnion):
    """A scalar given literally or read from an environment variable (``{env: VAR}``)."""

    def __init__(self, name: str, scalar_type: ConfigScalar, description: str):
        env_selector = Selector(
            {"env": Field(ConfigString, description="Name of the environment variable to read.")}
        )
        super().__init__(scalar_type, env_selector, description=description, _name=name)

    def post_process(self, value: object) -> object:
        if not isinstance(value, dict):
            return value
        var = value["env"]
        return self.convert(var, read_env_var(var))

    def convert(self, var: str, raw: str) -> object:
        """Convert the raw string read from ``var`` to this source's scalar type."""
        return raw


class StringSourceType(SourceType):
    def __init__(self) -> None:
        super().__init__(
            "StringSource", ConfigString, "A string, or {env: VAR} to read it from the environment."
        )


class IntSourceType(SourceType):
    def __init__(self) -> None:
        super().__init__(
            "IntSource", ConfigInt, "An integer, or {env: VAR} to read it from the environment."
        )

    def convert(self, var: str, raw: str) -> object:
        try:
            return int(raw.strip())
        except ValueError:
            raise PostProcessingError(
                f'The environment variable "{var}" is set, but its value cannot be converted to '
                "an integer (the value is not shown because it may be secret)."
            ) from None


class BoolSourceType(SourceType):
    def __init__(self) -> None:
        super().__init__(
            "BoolSource", ConfigBool, "A boolean, or {env: VAR} to read it from the environment."
        )

    def convert(self, var: str, raw: str) -> object:
        text = raw.strip().lower()
        if text in _TRUE_STRINGS:
            return True
        if text in _FALSE_STRINGS:
            return False
        raise PostProcessingError(
            f'The environment variable "{var}" is set, but its value is not a boolean; use one '
            f"of {sorted(_TRUE_STRINGS)} or {sorted(_FALSE_STRINGS)} (case-insensitive; the "
            "value is not shown because it may be secret)."
        )


StringSource = StringSourceType()
IntSource = IntSourceType()
BoolSource = BoolSourceType()

SOURCE_TYPES: dict[str, SourceType] = {
    source.key: source for source in (StringSource, IntSource, BoolSource)
}
