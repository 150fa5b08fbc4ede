"""Success and failure hooks: functions run after a step finishes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import DagsterInvalidDefinitionError
from .io_defs import check_valid_name

SUCCESS = "success"
FAILURE = "failure"


class HookDefinition:
    """A hook; ``trigger`` is ``"success"`` or ``"failure"`` (or None: runs on either)."""

    def __init__(
        self,
        name: str,
        hook_fn: Callable[[Any], Any],
        trigger: str | None,
        required_resource_keys: set[str] | None = None,
        description: str | None = None,
    ):
        self.name = check_valid_name(name, "Hook name")
        self.hook_fn = hook_fn
        self.trigger = trigger
        self.required_resource_keys = frozenset(required_resource_keys or ())
        self.description = description

    def should_run(self, step_succeeded: bool) -> bool:
        if self.trigger is None:
            return True
        return (self.trigger == SUCCESS) == step_succeeded

    def __call__(self, obj: Any) -> Any:
        # `@my_hook` on a pipeline function attaches the hook to every solid in it.
        from .pipeline import PipelineDefinition

        if isinstance(obj, PipelineDefinition):
            return obj.with_hooks({self})
        self._check_resources(obj)
        return self.hook_fn(obj)

    def _check_resources(self, context: Any) -> None:
        """Called directly (``my_hook(build_hook_context(...))``): the context must provide
        the resources the hook requires."""
        resources = getattr(context, "resources", None)
        for key in sorted(self.required_resource_keys):
            if resources is None or key not in resources:
                raise DagsterInvalidDefinitionError(
                    f"resource with key '{key}' required by hook '{self.name}' was not "
                    "provided. Pass it: build_hook_context(resources={...})."
                )


def _hook_decorator(trigger: str | None):
    def decorator(
        name: Callable | str | None = None,
        required_resource_keys: set[str] | None = None,
    ):
        def wrap(fn: Callable[[Any], Any]) -> HookDefinition:
            return HookDefinition(
                name=name if isinstance(name, str) else fn.__name__,
                hook_fn=fn,
                trigger=trigger,
                required_resource_keys=required_resource_keys,
                description=fn.__doc__,
            )

        if callable(name):
            return wrap(name)
        return wrap

    return decorator


success_hook = _hook_decorator(SUCCESS)
failure_hook = _hook_decorator(FAILURE)
event_list_hook = _hook_decorator(None)
