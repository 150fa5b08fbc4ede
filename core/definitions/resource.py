"""Resources: objects (clients, connections, IO managers) built once and handed to solids."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ..config import ConfigAny
from ..sentinel import Sentinel

_NO_CONFIG: Any = Sentinel("_NO_CONFIG", __name__)


class ResourceDefinition:
    """A resource: ``resource_fn(init_context)`` returns the resource, or yields it and runs
    teardown after the ``yield``."""

    def __init__(
        self,
        resource_fn: Callable[[Any], Any],
        config_schema: Any = None,
        description: str | None = None,
        required_resource_keys: set[str] | None = None,
        version: str | None = None,
    ):
        self.resource_fn = resource_fn
        self.config_schema = config_schema
        self.description = description
        self.required_resource_keys = frozenset(required_resource_keys or ())
        self.version = version
        self.configured_value: Any = _NO_CONFIG
        self.configured_schema: Any = None  # the smaller schema a configured function takes
        self._generator_of: Callable[[Any], Any] | None = None
        self._is_generator = False
        self.is_generator  # noqa: B018 - looked up now (see the property)

    @property
    def is_configured(self) -> bool:
        return self.configured_value is not _NO_CONFIG

    def configured(self, config_or_fn: Any, config_schema: Any = None) -> ResourceDefinition:
        """A copy whose config is fixed (validated now, defaults filled), or computed by a
        function from config matching the smaller ``config_schema``."""
        from .configured import validated_config

        copy = self._copy()
        if callable(config_or_fn):
            schema = self.config_schema
            copy.configured_value = lambda cfg: validated_config(
                schema, config_or_fn(cfg), f"resource {self.description or 'configured'}")
        else:
            copy.configured_value = validated_config(self.config_schema, config_or_fn,
                                                     "configured resource")
        copy.configured_schema = config_schema
        return copy

    def _copy(self) -> ResourceDefinition:
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        return copy

    @staticmethod
    def none_resource(description: str | None = None) -> ResourceDefinition:
        return ResourceDefinition.hardcoded_resource(None, description)

    @staticmethod
    def hardcoded_resource(value: Any, description: str | None = None) -> ResourceDefinition:
        return ResourceDefinition(lambda _ctx: value, description=description)

    @staticmethod
    def mock_resource(description: str | None = None) -> ResourceDefinition:
        def make(_ctx: Any) -> Any:
            from unittest import mock  # imports asyncio: ~25 ms nobody else should pay

            return mock.MagicMock()

        return ResourceDefinition(make, description=description)

    @staticmethod
    def string_resource(description: str | None = None) -> ResourceDefinition:
        return ResourceDefinition(lambda ctx: ctx.resource_config, config_schema=str,
                                  description=description)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Direct invocation for tests: ``my_resource(build_init_resource_context(...))``."""
        if not args and not kwargs:
            from ..execution.context import build_init_resource_context

            args = (build_init_resource_context(),)
        return self.resource_fn(*args, **kwargs)

    @property
    def is_generator(self) -> bool:
        """Whether ``resource_fn`` yields its resource (teardown after the ``yield``). Looked
        up once per function, when the definition is made in the process that loads the code,
        so a step process forked from it does not look again."""
        fn = self.resource_fn
        if self._generator_of is not fn:
            self._generator_of, self._is_generator = fn, inspect.isgeneratorfunction(fn)
        return self._is_generator


def resource(
    config_schema: Any = None,
    description: str | None = None,
    required_resource_keys: set[str] | None = None,
    version: str | None = None,
):
    """Decorator: ``@resource(config_schema={...}) def db(init_context): ...``."""

    def wrap(fn: Callable[[Any], Any]) -> ResourceDefinition:
        return ResourceDefinition(
            _accept_optional_context(fn), config_schema, description or fn.__doc__,
            required_resource_keys, version,
        )

    if callable(config_schema) and not isinstance(config_schema, type | dict | list):
        fn, config_schema = config_schema, None
        return wrap(fn)
    return wrap


def _accept_optional_context(fn: Callable[..., Any]) -> Callable[[Any], Any]:
    """Resource functions may omit the init context parameter."""
    if len(inspect.signature(fn).parameters) == 0:
        if inspect.isgeneratorfunction(fn):
            def gen_no_ctx(_ctx: Any) -> Any:
                return (yield from fn())

            return gen_no_ctx
        return lambda _ctx: fn()
    return fn


def make_values_resource(**kwargs: Any) -> ResourceDefinition:
    """A resource whose value is its own config: ``make_values_resource(rate=float)`` takes
    ``resources: {values: {config: {rate: 1.5}}}`` and gives ``{"rate": 1.5}`` (with no
    fields, any config)."""
    return ResourceDefinition(resource_fn=lambda init_context: init_context.resource_config,
                              config_schema=kwargs or ConfigAny)
