"""Solid definitions: ``@solid``, ``@lambda_solid`` and :class:`SolidDefinition`."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import (
    DagsterInvalidDefinitionError,
    DagsterInvalidInvocationError,
    DagsterInvariantViolationError,
)
from .events import DynamicOutput, Output
from .io_defs import (
    NO_DEFAULT,
    DynamicOutputDefinition,
    InputDefinition,
    OutputDefinition,
    check_valid_name,
)
from .retry import RetryPolicy

if TYPE_CHECKING:
    from .dependency import Graph

CONTEXT_PARAM_NAMES = ("context", "_context", "_", "ctx")


class NodeDefinition:
    """What solids and composite solids share: a name, inputs, outputs, invocation."""

    name: str
    input_defs: list[InputDefinition]
    output_defs: list[OutputDefinition]
    description: str | None
    tags: dict[str, Any]
    config_schema: Any
    # Composites only (``is_composite``): the inner graph and the config mapping.
    graph: Graph
    config_fn: Callable[[Any], dict[str, Any]] | None = None

    def _init_node(self, name, input_defs, output_defs, description, tags) -> None:
        self.name = check_valid_name(name, "Solid name")
        self.input_defs = list(input_defs)
        self.output_defs = list(output_defs)
        self.description = description
        self.tags = dict(tags or {})
        self.input_dict = {d.name: d for d in self.input_defs}
        self.output_dict = {d.name: d for d in self.output_defs}
        for what, defs in (("input", self.input_defs), ("output", self.output_defs)):
            seen: set[str] = set()
            for d in defs:
                if d.name in seen:
                    raise DagsterInvalidDefinitionError(
                        f'Solid "{name}" defines {what} "{d.name}" twice.'
                    )
                seen.add(d.name)

    def input_def_named(self, name: str) -> InputDefinition:
        if name not in self.input_dict:
            raise DagsterInvalidDefinitionError(
                f'Solid "{self.name}" has no input "{name}". '
                f"Its inputs are: {sorted(self.input_dict) or 'none'}."
            )
        return self.input_dict[name]

    def output_def_named(self, name: str) -> OutputDefinition:
        if name not in self.output_dict:
            raise DagsterInvalidDefinitionError(
                f'Solid "{self.name}" has no output "{name}". '
                f"Its outputs are: {sorted(self.output_dict) or 'none'}."
            )
        return self.output_dict[name]

    def has_input(self, name: str) -> bool:
        return name in self.input_dict

    def has_output(self, name: str) -> bool:
        return name in self.output_dict

    @property
    def is_composite(self) -> bool:
        return False

    # -- composition modifiers -------------------------------------------------------
    def alias(self, name: str):
        from .composition import PendingNodeInvocation

        return PendingNodeInvocation(self, given_alias=name)

    def tag(self, tags: dict[str, Any]):
        from .composition import PendingNodeInvocation

        return PendingNodeInvocation(self, tags=tags)

    def with_hooks(self, hook_defs):
        from .composition import PendingNodeInvocation

        return PendingNodeInvocation(self, hook_defs=set(hook_defs))

    def with_retry_policy(self, retry_policy: RetryPolicy):
        from .composition import PendingNodeInvocation

        return PendingNodeInvocation(self, retry_policy=retry_policy)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from .composition import PendingNodeInvocation, is_in_composition

        if is_in_composition():
            return PendingNodeInvocation(self)(*args, **kwargs)
        return self._direct_invoke(*args, **kwargs)

    def _direct_invoke(self, *args: Any, **kwargs: Any) -> Any:
        raise DagsterInvalidInvocationError(
            f'Composite solid "{self.name}" cannot be invoked directly outside a pipeline; '
            "use execute_solid."
        )

    def snapshot(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "is_composite": self.is_composite,
            "inputs": [d.snapshot() for d in self.input_defs],
            "outputs": [d.snapshot() for d in self.output_defs],
            "tags": {k: str(v) for k, v in self.tags.items()},
        }


class SolidDefinition(NodeDefinition):
    """A unit of computation. ``compute_fn(context, inputs)`` yields outputs and events."""

    def __init__(
        self,
        name: str,
        input_defs: list[InputDefinition],
        compute_fn: Callable[[Any, dict[str, Any]], Any],
        output_defs: list[OutputDefinition],
        config_schema: Any = None,
        description: str | None = None,
        tags: dict[str, Any] | None = None,
        required_resource_keys: set[str] | None = None,
        version: str | None = None,
        retry_policy: RetryPolicy | None = None,
        source_fn: Callable[..., Any] | None = None,
    ):
        self._init_node(name, input_defs, output_defs, description, tags)
        self.compute_fn = compute_fn
        if config_schema is not None:  # a bad schema fails here, where it is written
            from ..config import convert_potential_field

            convert_potential_field(config_schema)
        self.config_schema = config_schema
        self.required_resource_keys = frozenset(required_resource_keys or ())
        self.version = version
        self.retry_policy = retry_policy
        # The user's function, for code hashes and direct invocation.
        self.source_fn = source_fn
        self._takes_context = True
        # Set by .configured(): maps the run config given to this solid to the config the
        # compute function sees.
        self.config_mapping: Callable[[Any], Any] | None = None

    def map_config(self, config: Any) -> Any:
        return self.config_mapping(config) if self.config_mapping else config

    def configured(self, config_or_fn: Any, name: str | None = None, config_schema: Any = None):
        """A copy whose config is fixed (or mapped from a smaller schema by a function)."""
        from .configured import configure_solid

        return configure_solid(self, config_or_fn, name, config_schema)

    def _direct_invoke(self, *args: Any, **kwargs: Any) -> Any:
        from ..execution.direct import invoke_solid_directly

        return invoke_solid_directly(self, args, kwargs)


def _context_param(fn: Callable[..., Any]) -> bool:
    params = list(inspect.signature(fn).parameters.values())
    return bool(params) and params[0].name in CONTEXT_PARAM_NAMES


def _infer_inputs(
    fn: Callable[..., Any], solid_name: str, has_context: bool,
    input_defs: list[InputDefinition] | None,
) -> list[InputDefinition]:
    params = list(inspect.signature(fn).parameters.values())[1 if has_context else 0:]
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise DagsterInvalidDefinitionError(
                f'Solid "{solid_name}": compute function has *args/**kwargs parameter "{p.name}"; '
                "each input must be a named parameter."
            )
    hints = _type_hints(fn)
    if input_defs is not None:
        by_name = {d.name: d for d in input_defs}
        param_names = [p.name for p in params]
        # Nothing inputs only order execution: they carry no value and are not parameters.
        missing = [n for n, d in by_name.items() if n not in param_names and not d.is_nothing]
        if missing:
            raise DagsterInvalidDefinitionError(
                f'Solid "{solid_name}": input(s) {missing} are declared in input_defs but are '
                f"not parameters of the compute function (parameters: {param_names})."
            )
        extra = [n for n in param_names if n not in by_name]
        if extra:
            raise DagsterInvalidDefinitionError(
                f'Solid "{solid_name}": compute function parameter(s) {extra} have no '
                "InputDefinition; add them to input_defs or remove them."
            )
        return [
            d.with_inferred_type(_hint(hints, d.name, solid_name, f'input "{d.name}"'))
            if d.name in param_names and not d._explicit_type else d
            for d in input_defs
        ]
    inferred = []
    for p in params:
        default = NO_DEFAULT if p.default is inspect.Parameter.empty else p.default
        annotation = _hint(hints, p.name, solid_name, f'input "{p.name}"')
        inferred.append(InputDefinition(p.name, annotation, default_value=default))
    return inferred


class _UnresolvedAnnotation:
    """A string annotation (PEP 563) that could not be evaluated."""

    def __init__(self, text: str, error: Exception):
        self.text = text
        self.error = error


def _type_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    """The function's annotations, evaluated one by one so that one that cannot be evaluated
    (e.g. a class local to a function, under ``from __future__ import annotations``) does
    not silently turn every other annotation into Any."""
    try:
        return inspect.get_annotations(fn, eval_str=True)
    except Exception:
        pass
    hints: dict[str, Any] = {}
    for name, annotation in inspect.get_annotations(fn).items():
        if isinstance(annotation, str):
            try:
                annotation = eval(annotation, getattr(fn, "__globals__", {}))
            except Exception as e:
                annotation = _UnresolvedAnnotation(annotation, e)
        hints[name] = annotation
    return hints


def _hint(hints: dict[str, Any], name: str, solid_name: str, what: str) -> Any:
    annotation = hints.get(name)
    if isinstance(annotation, _UnresolvedAnnotation):
        raise DagsterInvalidDefinitionError(
            f'Solid "{solid_name}": cannot evaluate the annotation "{annotation.text}" of '
            f"{what} ({type(annotation.error).__name__}: {annotation.error}). String "
            "annotations are evaluated in the module's globals: define or import the type at "
            "module level, or give the type explicitly in input_defs / output_defs."
        )
    return annotation


def _return_annotation(fn: Callable[..., Any], solid_name: str) -> Any:
    """The return annotation (``type(None)`` for ``-> None``), or None when there is none."""
    if inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn):
        return None
    hints = _type_hints(fn)
    if "return" not in hints:
        return None
    annotation = _hint(hints, "return", solid_name, "the return value")
    return type(None) if annotation is None else annotation


def _infer_outputs(fn: Callable[..., Any], output_defs: list[OutputDefinition] | None,
                   solid_name: str):
    needs_annotation = output_defs is None or (
        len(output_defs) == 1 and not output_defs[0]._explicit_type
    )
    annotation = _return_annotation(fn, solid_name) if needs_annotation else None
    if output_defs is not None:
        if len(output_defs) == 1 and annotation is not None:
            return [output_defs[0].with_inferred_type(annotation)]
        return list(output_defs)
    return [OutputDefinition(annotation)]


def _make_compute(
    fn: Callable[..., Any], solid_name: str, has_context: bool,
    output_defs: list[OutputDefinition],
) -> Callable[[Any, dict[str, Any]], Iterator[Any]]:
    is_gen = inspect.isgeneratorfunction(fn)
    is_async = inspect.iscoroutinefunction(fn)
    is_async_gen = inspect.isasyncgenfunction(fn)

    def call(context: Any, inputs: dict[str, Any]) -> Any:
        return fn(context, **inputs) if has_context else fn(**inputs)

    def compute(context: Any, inputs: dict[str, Any]) -> Iterator[Any]:
        if is_gen:
            yield from call(context, inputs)
            return
        if is_async_gen:
            yield from _drain_async_gen(call(context, inputs))
            return
        if is_async:
            import asyncio  # only for async solids: importing it costs ~50 ms at startup

            result = asyncio.run(call(context, inputs))
        else:
            result = call(context, inputs)
        yield from _outputs_from_return(result, solid_name, output_defs)

    return compute


def _drain_async_gen(agen: Any) -> Iterator[Any]:
    import asyncio

    loop = asyncio.new_event_loop()
    try:
        while True:
            try:
                yield loop.run_until_complete(agen.__anext__())
            except StopAsyncIteration:
                return
    finally:
        loop.close()


@dataclass(frozen=True)
class ImplicitOutput(Output):
    """An Output made from a compute function's plain return value (not one it returned or
    yielded itself): direct invocation hands back the value, not this object."""


def _outputs_from_return(result: Any, solid_name: str, output_defs: list[OutputDefinition]):
    if isinstance(result, Output | DynamicOutput):
        yield result
        return
    if inspect.isgenerator(result):
        yield from result
        return
    if not output_defs:
        if result is not None:
            raise DagsterInvariantViolationError(
                f'Solid "{solid_name}" has no outputs but its compute function returned '
                f"{type(result).__name__}; declare an output or return None."
            )
        return
    if len(output_defs) == 1:
        out = output_defs[0]
        if out.is_dynamic:
            if isinstance(result, list) and all(isinstance(r, DynamicOutput) for r in result):
                yield from result
                return
            raise DagsterInvariantViolationError(
                f'Solid "{solid_name}" has a dynamic output: yield DynamicOutput values '
                "(or return a list of them)."
            )
        yield ImplicitOutput(result, out.name)
        return
    if isinstance(result, tuple) and len(result) == len(output_defs):
        for value, out in zip(result, output_defs, strict=True):
            yield value if isinstance(value, Output) else ImplicitOutput(value, out.name)
        return
    raise DagsterInvariantViolationError(
        f'Solid "{solid_name}" has {len(output_defs)} outputs '
        f"({[o.name for o in output_defs]}): yield an Output(value, name) for each, or return "
        "a tuple with one value per output."
    )


def solid(
    name: str | Callable[..., Any] | None = None,
    description: str | None = None,
    input_defs: list[InputDefinition] | None = None,
    output_defs: list[OutputDefinition] | None = None,
    config_schema: Any = None,
    required_resource_keys: set[str] | None = None,
    tags: dict[str, Any] | None = None,
    version: str | None = None,
    retry_policy: RetryPolicy | None = None,
):
    """Decorator turning a function into a :class:`SolidDefinition`.

    The first parameter, when named ``context`` (or ``_``, ``_context``, ``ctx``), receives
    the solid's execution context; the others are inputs, typed by their annotations.
    """

    def wrap(fn: Callable[..., Any]) -> SolidDefinition:
        solid_name = name if isinstance(name, str) else fn.__name__
        has_context = _context_param(fn)
        if config_schema is not None and not has_context:
            raise DagsterInvalidDefinitionError(
                f'Solid "{solid_name}" has config_schema but its compute function takes no '
                "context: add a first parameter named `context` to read context.solid_config."
            )
        if required_resource_keys and not has_context:
            raise DagsterInvalidDefinitionError(
                f'Solid "{solid_name}" requires resources {sorted(required_resource_keys)} but '
                "its compute function takes no context: add a first parameter named `context`."
            )
        inputs = _infer_inputs(fn, solid_name, has_context, input_defs)
        outputs = _infer_outputs(fn, output_defs, solid_name)
        definition = SolidDefinition(
            name=solid_name,
            input_defs=inputs,
            compute_fn=_make_compute(fn, solid_name, has_context, outputs),
            output_defs=outputs,
            config_schema=config_schema,
            description=description or inspect.getdoc(fn),
            tags=tags,
            required_resource_keys=required_resource_keys,
            version=version,
            retry_policy=retry_policy,
            source_fn=fn,
        )
        definition._takes_context = has_context
        return definition

    if callable(name):
        fn, name = name, None
        return wrap(fn)
    return wrap


def lambda_solid(
    name: str | Callable[..., Any] | None = None,
    description: str | None = None,
    input_defs: list[InputDefinition] | None = None,
    output_def: OutputDefinition | None = None,
):
    """A solid with no context and exactly one output."""

    def wrap(fn: Callable[..., Any]) -> SolidDefinition:
        if _context_param(fn):
            raise DagsterInvalidDefinitionError(
                f'@lambda_solid "{fn.__name__}" cannot take a context; use @solid instead.'
            )
        if isinstance(output_def, DynamicOutputDefinition):
            raise DagsterInvalidDefinitionError("@lambda_solid cannot have a dynamic output.")
        return solid(
            name=name if isinstance(name, str) else fn.__name__,
            description=description,
            input_defs=input_defs,
            output_defs=[output_def] if output_def else None,
        )(fn)

    if callable(name):
        fn, name = name, None
        return wrap(fn)
    return wrap
