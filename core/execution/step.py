"""Run one step: load inputs, call the compute function, store outputs, run hooks.

The runner is a generator of events, identical whichever executor runs it (in the run
process, in a forked child, on a Dask worker). Per-step event sequence (LEGACY_API.md §3):
STEP_START/STEP_RESTARTED, LOADED_INPUT + STEP_INPUT per input, user events, STEP_OUTPUT +
HANDLED_OUTPUT per output, STEP_SUCCESS/STEP_FAILURE/STEP_UP_FOR_RETRY, hook events.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Generator, Iterable, Iterator
from typing import Any

from ..definitions.events import (
    AssetMaterialization,
    DynamicOutput,
    ExpectationResult,
    Failure,
    Output,
    RetryRequested,
)
from ..definitions.metadata import MetadataEntry, normalize_metadata
from ..definitions.types import type_resource_keys
from ..errors import (
    DagsterInvariantViolationError,
    DagsterStepOutputNotFoundError,
    DagsterTypeCheckDidNotPass,
    DagsterTypeLoadingError,
    DagsterUserCodeExecutionError,
    serializable_error_info,
)
from ..events import EventRecord, EventType, closing_step_failure
from ..plan.plan import ExecutionStep, StepInput
from ..plan.sources import (
    FromConfig,
    FromDefaultValue,
    FromMultipleSources,
    FromNothing,
    FromRootInputManager,
    FromStepOutput,
    FromValue,
    InputSource,
    StepOutputHandle,
)
from ..storage.serde import dumps_compact, loads
from .context import (
    HookContext,
    InputContext,
    OutputContext,
    Resources,
    RunContext,
    SolidExecutionContext,
)
from .resources import output_io_manager_key


class StepRunner:
    """Executes one attempt of one step, yielding its events in order."""

    def __init__(self, run_context: RunContext, step: ExecutionStep, resources: Resources,
                 attempt: int = 0, missing: frozenset[StepOutputHandle] = frozenset()):
        self.rc = run_context
        self.step = step
        self.resources = resources
        self.attempt = attempt
        self.missing = missing
        self.log_buffer: list[EventRecord] = []
        self.log = run_context.log_manager(step.key)
        self.log._emit = self._emit
        self.output_values: dict[str, Any] = {}
        self.user_exception: BaseException | None = None
        self.retries_exhausted = False

    def _event(self, event_type: EventType, message: str, level: int = 10,
               **data: Any) -> EventRecord:
        return self.rc.event(event_type, message, self.step.key, level, data)

    def _emit(self, event: EventRecord) -> None:
        """An event the step's code emits while it runs (``context.log``, ``log_event``):
        buffered for the step's stream, and delivered at once when the run's consumer
        takes events live (``live.py``)."""
        self.log_buffer.append(event)
        live = self.rc.live
        if live is not None:
            live(event)

    def _drain_logs(self) -> Iterator[EventRecord]:
        if self.log_buffer:
            drained, self.log_buffer[:] = list(self.log_buffer), []
            yield from drained

    def run(self) -> Iterator[EventRecord]:
        step = self.step
        started = time.perf_counter()
        if self.attempt == 0:
            yield self._event(EventType.STEP_START, f'Started execution of step "{step.key}".')
        else:
            yield self._event(EventType.STEP_RESTARTED,
                              f'Started re-execution (attempt # {self.attempt + 1}) of step '
                              f'"{step.key}".', retry_number=self.attempt)
        succeeded = False
        try:
            inputs: dict[str, Any] = {}
            loaded = []  # every input is loaded before any is type-checked, as in Dagster
            for step_input in step.inputs:
                if not (isinstance(step_input.source, FromNothing)
                        or step_input.definition.is_nothing):
                    value = yield from self._load_input(step_input)
                    loaded.append((step_input, value))
            for step_input, value in loaded:
                yield from self._check_input(step_input.definition, value)
                inputs[step_input.name] = value
            yield from self._compute(inputs)
            duration_ms = (time.perf_counter() - started) * 1000
            yield self._event(EventType.STEP_SUCCESS,
                              f'Finished execution of step "{step.key}" in '
                              f"{_format_ms(duration_ms)}.", duration_ms=duration_ms)
            succeeded = True
        except Exception as exc:  # user code or engine-side errors inside the step
            yield from self._drain_logs()
            retry_event = self._retry_event(exc, started)
            if retry_event is not None:
                yield retry_event
                return
            self.user_exception = exc
            yield self._failure_event(self._exhausted_retries(exc), started)
        except (SystemExit, KeyboardInterrupt) as exc:
            # User code left with sys.exit() or raised KeyboardInterrupt: the step fails with
            # that cause (never left in progress). A real Ctrl-C can only look like this where
            # SIGINT still raises KeyboardInterrupt (not in a run worker, which turns signals
            # into a cancel, nor in a step process, which ignores SIGINT): there the run is
            # interrupted once the failure is recorded.
            yield from self._drain_logs()
            self.user_exception = exc
            yield self._failure_event(exc, started)
            if isinstance(exc, KeyboardInterrupt) and _sigint_raises():
                raise
        yield from self._hooks(succeeded)
        if not succeeded and self.rc.raise_on_error and self.user_exception is not None \
                and not self.retries_exhausted:  # as in Dagster: a failed result, no raise
            error = self.user_exception
            if isinstance(error, DagsterUserCodeExecutionError):  # the user's error, as Dagster
                raise error.user_exception from error
            raise error

    # -- inputs -------------------------------------------------------------------------
    def _load_input(self, step_input: StepInput) -> Generator[EventRecord, None, Any]:
        value = yield from self._load_source(step_input, step_input.source,
                                             step_input.definition.dagster_type)
        yield from self._drain_logs()
        return value

    def _load_source(self, step_input: StepInput, source: InputSource,
                     dagster_type: Any) -> Generator[EventRecord, None, Any]:
        """The value ``source`` gives ``step_input`` (``dagster_type`` loads config)."""
        input_def = step_input.definition
        if isinstance(source, FromStepOutput):
            return (yield from self._load_from_output(step_input, source.handle))
        if isinstance(source, FromMultipleSources):
            element_type = getattr(dagster_type, "inner_type", None) or dagster_type
            values = []
            for item in source.sources:
                if isinstance(item, FromStepOutput) and item.handle in self.missing:
                    continue
                values.append((yield from self._load_source(step_input, item, element_type)))
            return values
        if isinstance(source, FromConfig):
            return self._load_from_config(input_def.name, dagster_type, source.config_value)
        if isinstance(source, FromDefaultValue | FromValue):
            return source.value
        if isinstance(source, FromRootInputManager):
            manager = getattr(self.resources, source.manager_key)
            value = manager.load_input(InputContext(
                name=input_def.name, pipeline_name=self.rc.pipeline_name,
                solid_def=self.step.solid_def, metadata=input_def.metadata,
                dagster_type=input_def.dagster_type, log=self.log, resources=self.resources,
            ))
            yield self._event(EventType.LOADED_INPUT,
                              f'Loaded input "{input_def.name}" using input manager '
                              f'"{source.manager_key}"', input_name=input_def.name,
                              manager_key=source.manager_key)
            return value
        raise DagsterInvariantViolationError(
            f'Input "{input_def.name}" of step "{self.step.key}" is not resolved '
            f"({source.describe()})."
        )

    def _check_input(self, input_def: Any, value: Any) -> Iterator[EventRecord]:
        check = input_def.dagster_type.type_check(self._type_context(input_def.dagster_type),
                                                  value)
        type_name = input_def.dagster_type.display_name
        passed = "passed" if check.success else "failed"
        yield self._event(EventType.STEP_INPUT,
                          f'Got input "{input_def.name}" of type "{type_name}". '
                          f"(Type check {passed}).", input_name=input_def.name,
                          dagster_type=type_name, type_check=_plain(check.to_data(), self._where(
                              f'the type check of input "{input_def.name}"')))
        if not check.success:
            raise DagsterTypeCheckDidNotPass(
                f'Type check failed for step input "{input_def.name}" - expected type '
                f'"{type_name}". {check.description or ""}'.strip(),
                check.metadata_entries, input_def.dagster_type,
            )

    def _load_from_config(self, input_name: str, dagster_type: Any, config_value: Any) -> Any:
        loader = dagster_type.loader
        if loader is None:
            return config_value
        try:
            return loader.construct_from_config_value(self._type_context(dagster_type),
                                                      config_value)
        except Exception as exc:
            raise DagsterTypeLoadingError(
                f'Error occurred while loading input "{input_name}" of step '
                f'"{self.step.key}" from config: {type(exc).__name__}: {exc}', exc) from exc

    def _load_from_output(self, step_input: StepInput, handle: StepOutputHandle):
        manager_key = output_io_manager_key(self.rc, handle)
        manager = getattr(self.resources, manager_key)
        upstream_step = self.rc.plan.steps.get(handle.step_key) if self.rc.plan else None
        upstream_def = upstream_step.solid_def if upstream_step else None
        upstream_out = upstream_def.output_dict.get(handle.output_name) if upstream_def else None
        upstream = OutputContext(
            step_key=handle.step_key, name=handle.output_name,
            run_id=self.rc.run_id_for_step_output(handle.step_key),
            pipeline_name=self.rc.pipeline_name, mapping_key=handle.mapping_key,
            solid_def=upstream_def, partition_key=self.rc.partition_key,
            metadata=upstream_out.metadata if upstream_out is not None else {},
        )
        value = manager.load_input(InputContext(
            name=step_input.name, pipeline_name=self.rc.pipeline_name,
            solid_def=self.step.solid_def, metadata=step_input.definition.metadata,
            upstream_output=upstream, dagster_type=step_input.definition.dagster_type,
            log=self.log, resources=self.resources,
        ))
        yield self._event(EventType.LOADED_INPUT,
                          f'Loaded input "{step_input.name}" using input manager '
                          f'"{manager_key}", from output "{handle.output_name}" of step '
                          f'"{handle.step_key}"', input_name=step_input.name,
                          manager_key=manager_key, upstream_step_key=handle.step_key,
                          upstream_output_name=handle.output_name,
                          mapping_key=handle.mapping_key)
        return value

    def _materialize(self, out_def: Any, value: Any) -> Iterator[EventRecord]:
        """Output config (``solids.<s>.outputs``) for this output, through its type's
        materializer: each entry stores the value and records an ASSET_MATERIALIZATION."""
        entries = self.rc.solid_run_config(self.step.handle).get("outputs") or []
        materializer = getattr(out_def.dagster_type, "materializer", None)
        for entry in entries:
            if out_def.name not in (entry or {}) or materializer is None:
                continue
            result = materializer.materialize_runtime_values(
                self._type_context(out_def.dagster_type), entry[out_def.name], value)
            for item in result if isinstance(result, list | tuple) else [result]:
                if isinstance(item, AssetMaterialization):
                    yield self._event(EventType.ASSET_MATERIALIZATION,
                                      f"Materialized value {item.key.to_string()}.",
                                      **_plain(item.to_data(), self._where(
                                          "an output materialization")))

    # -- compute ------------------------------------------------------------------------
    def _solid_context(self) -> SolidExecutionContext:
        if not hasattr(self, "_ctx"):
            scoped = self.resources.scoped(frozenset(self.step.solid_def.required_resource_keys))
            self._ctx = SolidExecutionContext(self.rc, self.step, scoped, self.attempt, self.log,
                                              self._log_user_event)
        return self._ctx

    def _type_context(self, dagster_type: Any) -> SolidExecutionContext:
        """The context a type check gets: the step's, with the type's own resources."""
        keys = type_resource_keys(dagster_type)
        if not keys:
            return self._solid_context()
        return SolidExecutionContext(self.rc, self.step, self.resources.scoped(keys),
                                     self.attempt, self.log, self._log_user_event)

    def _log_user_event(self, item: AssetMaterialization | ExpectationResult) -> None:
        """``context.log_event(...)``: the event joins the step's stream where it is logged."""
        self._emit(self._user_event(item))

    def _user_event(self, item: AssetMaterialization | ExpectationResult) -> EventRecord:
        if isinstance(item, AssetMaterialization):
            return self._event(EventType.ASSET_MATERIALIZATION,
                               f"Materialized value {item.key.to_string()}.",
                               **_plain(item.to_data(), self._where("an asset materialization")))
        outcome = "passed" if item.success else "failed"
        return self._event(EventType.STEP_EXPECTATION_RESULT,
                           f"Expectation{' ' + item.label if item.label else ''} {outcome}.",
                           **_plain(item.to_data(), self._where("an expectation result")))

    def _compute(self, inputs: dict[str, Any]) -> Iterator[EventRecord]:
        solid_def = self.step.solid_def
        seen_outputs: set[str] = set()
        seen_keys: dict[str, set[str]] = {}
        before_user_code = self.rc.before_user_code or _nothing
        before_user_code()
        for item in solid_def.compute_fn(self._solid_context(), inputs):
            yield from self._drain_logs()
            if isinstance(item, Output | DynamicOutput):
                yield from self._handle_output(item, seen_outputs, seen_keys)
            elif isinstance(item, AssetMaterialization | ExpectationResult):
                yield self._user_event(item)
            else:
                raise DagsterInvariantViolationError(
                    f'Compute function for solid "{solid_def.name}" yielded a value of type '
                    f"{type(item)} rather than an instance of Output, DynamicOutput, "
                    "AssetMaterialization or ExpectationResult. Values yielded by solids must "
                    "be wrapped in one of these types."
                )
            before_user_code()  # the compute function resumes next
        yield from self._drain_logs()
        for out in solid_def.output_defs:
            if out.is_required and not out.is_dynamic and out.name not in seen_outputs:
                raise DagsterStepOutputNotFoundError(
                    f'Core compute for solid "{solid_def.name}" did not return an output for '
                    f'non-optional output "{out.name}"', self.step.key, out.name,
                )

    def _handle_output(self, item: Output | DynamicOutput, seen_outputs: set[str],
                       seen_keys: dict[str, set[str]]) -> Iterator[EventRecord]:
        solid_def = self.step.solid_def
        name = item.output_name
        if name not in solid_def.output_dict:
            raise DagsterInvariantViolationError(
                f'Core compute for solid "{solid_def.name}" returned an output "{name}" that '
                f"does not exist. The available outputs are {list(solid_def.output_dict)}."
            )
        out_def = solid_def.output_dict[name]
        mapping_key = None
        if isinstance(item, DynamicOutput):
            if not out_def.is_dynamic:
                raise DagsterInvariantViolationError(
                    f'Solid "{solid_def.name}" yielded a DynamicOutput for output "{name}", '
                    "which is not a DynamicOutputDefinition."
                )
            mapping_key = item.mapping_key
            keys = seen_keys.setdefault(name, set())
            if mapping_key in keys:
                raise DagsterInvariantViolationError(
                    f'Solid "{solid_def.name}" yielded output "{name}" with mapping_key '
                    f'"{mapping_key}" more than once; mapping keys must be unique.'
                )
            keys.add(mapping_key)
        elif out_def.is_dynamic:
            raise DagsterInvariantViolationError(
                f'Solid "{solid_def.name}" yielded an Output for dynamic output "{name}"; '
                "yield DynamicOutput(value, mapping_key=...) instead."
            )
        elif name in seen_outputs:
            raise DagsterInvariantViolationError(
                f'Compute for solid "{solid_def.name}" returned an output "{name}" multiple times'
            )
        seen_outputs.add(name)
        check = out_def.dagster_type.type_check(self._type_context(out_def.dagster_type),
                                                item.value)
        type_name = out_def.dagster_type.display_name
        passed = "passed" if check.success else "failed"
        key_text = f" (mapping key {mapping_key})" if mapping_key else ""
        yield self._event(EventType.STEP_OUTPUT,
                          f'Yielded output "{name}"{key_text} of type "{type_name}". '
                          f"(Type check {passed}).", output_name=name, mapping_key=mapping_key,
                          dagster_type=type_name, type_check=_plain(check.to_data(), self._where(
                              f'the type check of output "{name}"')),
                          metadata=_plain_entries([e.to_dict() for e in item.all_metadata],
                                                  self._where(f'output "{name}"')))
        if not check.success:
            raise DagsterTypeCheckDidNotPass(
                f'Type check failed for step output "{name}" - expected type "{type_name}". '
                f"{check.description or ''}".strip(), check.metadata_entries, out_def.dagster_type,
            )
        manager = getattr(self.resources, out_def.io_manager_key)
        output_context = OutputContext(
            step_key=self.step.key, name=name, run_id=self.rc.run_id,
            pipeline_name=self.rc.pipeline_name, mapping_key=mapping_key,
            metadata=out_def.metadata, solid_def=solid_def, dagster_type=out_def.dagster_type,
            log=self.log, version=solid_def.version, resources=self.resources,
            partition_key=self.rc.partition_key,
        )
        returned = manager.handle_output(output_context, item.value)
        yield from self._drain_logs()
        entries = yield from self._manager_events(output_context, returned)
        metadata: dict[str, Any] = {"metadata": _plain_entries(
            [e.to_dict() for e in entries], self._where(f'handling output "{name}"'))} \
            if entries else {}
        yield self._event(EventType.HANDLED_OUTPUT,
                          f'Handled output "{name}" using IO manager "{out_def.io_manager_key}"',
                          output_name=name, mapping_key=mapping_key,
                          manager_key=out_def.io_manager_key, **metadata)
        yield from self._materialize(out_def, item.value)
        if self.rc.output_capture is not None:
            self.rc.output_capture[(self.step.key, name, mapping_key)] = item.value
        if mapping_key is None:
            self.output_values[name] = item.value

    def _manager_events(self, context: OutputContext,
                        returned: Any) -> Generator[EventRecord, None, list[MetadataEntry]]:
        """What ``handle_output`` recorded, as Dagster 0.15 takes it: the metadata it added
        (``context.add_output_metadata``, or yielded MetadataEntry objects) goes on the
        HANDLED_OUTPUT event; an AssetMaterialization it returned or yielded becomes an
        ASSET_MATERIALIZATION carrying that metadata (unless it has its own), one it logged
        (``context.log_event``) is recorded as it is."""
        items = list(returned) if isinstance(returned, Iterator) else \
            [] if returned is None else [returned]
        for logged in context.consume_events():
            yield self._user_event(logged)
        entries = normalize_metadata(None, context.consume_logged_metadata())
        materializations = []
        for item in items:
            if isinstance(item, MetadataEntry):
                entries.append(item)
            elif isinstance(item, AssetMaterialization):
                materializations.append(item)
            else:
                raise DagsterInvariantViolationError(
                    f'IO manager on output {context.name} has returned value {item!r} of type '
                    f"{type(item).__name__}. The return type can only be one of "
                    "AssetMaterialization, MetadataEntry."
                )
        for materialization in materializations:
            if entries and not materialization.metadata_entries:
                materialization = AssetMaterialization(
                    materialization.asset_key, materialization.description, list(entries),
                    materialization.partition)
            yield self._user_event(materialization)
        return entries

    # -- outcomes -----------------------------------------------------------------------
    def _retry_event(self, exc: Exception, started: float) -> EventRecord | None:
        if isinstance(exc, RetryRequested):
            max_retries, wait = exc.max_retries, exc.seconds_to_wait
        elif self.step.retry_policy is not None:
            policy = self.step.retry_policy
            max_retries, wait = policy.max_retries, policy.calculate_delay(self.attempt + 1)
        else:
            return None
        if not self.rc.retries_enabled or self.attempt >= max_retries:
            return None
        cause = exc.__cause__ if isinstance(exc, RetryRequested) and exc.__cause__ else exc
        return self._event(
            EventType.STEP_UP_FOR_RETRY,
            f'Execution of step "{self.step.key}" failed and has requested a retry'
            f"{f' in {wait} seconds' if wait else ''}.",
            error=serializable_error_info(cause), seconds_to_wait=wait,
            retry_number=self.attempt + 1, max_retries=max_retries,
        )

    def _exhausted_retries(self, exc: Exception) -> Exception:
        """The error a failed step reports: for a step that asked for retries and ran out,
        a RetryRequested whose cause is the last attempt's error, as Dagster reports it."""
        if isinstance(exc, RetryRequested):
            self.retries_exhausted = True
            return exc
        policy = self.step.retry_policy
        if policy is None or not self.rc.retries_enabled:
            return exc
        self.retries_exhausted = True
        wrapper = RetryRequested(max_retries=policy.max_retries)
        wrapper.__cause__ = exc
        return wrapper

    def _where(self, what: str) -> str:
        return f'{what} of step "{self.step.key}"'

    def _failure_event(self, exc: BaseException, started: float) -> EventRecord:
        data: dict[str, Any] = {
            "error": serializable_error_info(exc),
            "duration_ms": (time.perf_counter() - started) * 1000,
            "error_source": "USER_CODE_ERROR",
        }
        if isinstance(exc, Failure):
            data["user_failure"] = {
                "description": exc.description,
                "metadata": _plain_entries([e.to_dict() for e in exc.metadata_entries],
                                           self._where("the Failure"), on_error="describe"),
            }
        if isinstance(exc, RetryRequested):
            data["error_source"] = "RETRIES_EXHAUSTED"
        message = f'Execution of step "{self.step.key}" failed.'
        if not isinstance(exc, Exception):
            message = (f'Execution of step "{self.step.key}" failed: user code raised '
                       f"{type(exc).__name__}({exc}).")
        return self._event(EventType.STEP_FAILURE, message, level=40, **data)

    def _hooks(self, succeeded: bool) -> Iterator[EventRecord]:
        for hook in sorted(self.step.hook_defs, key=lambda h: h.name):
            if not hook.should_run(succeeded):
                yield self._event(EventType.HOOK_SKIPPED,
                                  f'Skipped the execution of hook "{hook.name}". It did not meet '
                                  "its triggering condition during the execution of "
                                  f'"{self.step.key}".', hook_name=hook.name)
                continue
            context = HookContext(
                step_key=self.step.key, solid=self.step.node, mode_def=self.rc.mode_def,
                resources=self.resources.scoped(frozenset(hook.required_resource_keys)),
                log=self.log, solid_config=self.rc.solid_config(self.step.handle),
                pipeline_name=self.rc.pipeline_name, run_id=self.rc.run_id, hook_def=hook,
                solid_exception=self.user_exception, solid_output_values=self.output_values,
            )
            try:
                hook.hook_fn(context)
            except Exception as e:
                yield from self._drain_logs()
                yield self._event(EventType.HOOK_ERRORED,
                                  f'Error in hook "{hook.name}": {type(e).__name__}: {e}',
                                  level=40, hook_name=hook.name,
                                  error=serializable_error_info(e))
                continue
            yield from self._drain_logs()
            yield self._event(EventType.HOOK_COMPLETED,
                              f'Finished the execution of hook "{hook.name}" triggered for '
                              f'"{self.step.key}".', hook_name=hook.name)


# -- timeouts and step processes -------------------------------------------------------------
TIMEOUT_TAGS = ("orch/timeout", "dagster/timeout", "timeout")
# A step (multiprocess) whose process group is left alone when it ends, e.g. one that starts a
# daemon on purpose. Otherwise every process the step started is killed with it.
KEEP_PROCESSES_TAG = "orch/keep_processes"


class DagsterInvalidStepTagError(DagsterInvariantViolationError):
    """A step's tag that orch reads (a timeout) has a value it cannot use."""


class DagsterStepTimeoutError(DagsterInvariantViolationError):
    """A step ran longer than its timeout (raised inside the step, in process)."""


def step_timeout(step: ExecutionStep, default: float | None = None) -> float | None:
    """Seconds the step may run (its timeout tag, else ``default``); raises
    :class:`DagsterInvalidStepTagError` naming the tag when it is not a positive number."""
    for tag in TIMEOUT_TAGS:
        if tag in step.tags:
            value = step.tags[tag]
            try:
                seconds = float(value)
            except (TypeError, ValueError):
                seconds = -1.0
            if not seconds > 0 or seconds != seconds or seconds == float("inf"):
                raise DagsterInvalidStepTagError(
                    f'Step "{step.key}": tag {tag}={value!r} must be a positive number of '
                    "seconds."
                )
            return seconds
    return default


def check_step_timeouts(steps: Iterable[ExecutionStep]) -> None:
    """Validate every timeout tag before a run exists (a bad one is bad input, exit 2)."""
    for step in steps:
        step_timeout(step)


def with_timeout(events: Iterator[EventRecord], step: ExecutionStep,
                 timeout: float | None) -> Iterator[EventRecord]:
    """In process: the step's events, with SIGALRM raising :class:`DagsterStepTimeoutError`
    inside the step once it has *run* for ``timeout`` seconds (the clock stops while the
    caller handles an event). Python code is interrupted between bytecodes; a long call into
    C (a sleep, a query) when it returns to Python; code that catches every exception can
    swallow it. Only on the main thread (signals); elsewhere the timeout is not enforced."""
    if timeout is None or threading.current_thread() is not threading.main_thread():
        yield from events
        return

    fired = False

    def on_alarm(_signum: int, _frame: Any) -> None:
        nonlocal fired
        fired = True
        raise DagsterStepTimeoutError(
            f'Step "{step.key}" exceeded its timeout of {timeout:g}s and was interrupted.')

    previous = signal.signal(signal.SIGALRM, on_alarm)
    remaining = timeout
    try:
        while True:
            if not fired:  # once fired, the step only reports its failure: no second alarm
                signal.setitimer(signal.ITIMER_REAL, remaining)
            try:
                event = next(events)
            except StopIteration:
                return
            finally:
                remaining = signal.setitimer(signal.ITIMER_REAL, 0)[0] or 1e-6
            yield event
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_STARTS = frozenset({EventType.STEP_START, EventType.STEP_RESTARTED})
_ENDS = frozenset({EventType.STEP_SUCCESS, EventType.STEP_FAILURE, EventType.STEP_SKIPPED})


class OpenSteps:
    """The steps of a run that started and have no outcome yet (running, or up for retry),
    followed from the run's events in order; :meth:`close` gives each a terminal event when
    the run ends without them (canceled, or failed outside any step)."""

    def __init__(self) -> None:
        self.keys: dict[str, None] = {}

    def note(self, event: EventRecord) -> None:
        if event.step_key is None:
            return
        if event.event_type in _STARTS:
            self.keys[event.step_key] = None
        elif event.event_type in _ENDS:
            self.keys.pop(event.step_key, None)

    def close(self, rc: RunContext, *, canceled: bool, cause: str) -> Iterator[EventRecord]:
        for key in list(self.keys):
            how = "was canceled" if canceled else "did not finish"
            yield closing_step_failure(rc.run_id, rc.pipeline_name, key, f"{how}: {cause}",
                                       canceled=canceled)
        self.keys.clear()


def _sigint_raises() -> bool:
    return signal.getsignal(signal.SIGINT) is signal.default_int_handler


class DagsterUnstorableDataError(DagsterInvariantViolationError):
    """A step produced event data (metadata, a type check) that cannot be stored."""


def _why_unstorable(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "it is cyclic or nested too deeply (RecursionError)"
    return f"{type(exc).__name__}: {exc}"


def _plain_value(value: Any) -> Any:
    """``value`` as the plain JSON data storage keeps (so it also pickles across processes)."""
    if isinstance(value, dict | list):
        return loads(dumps_compact(value))
    return value


def _plain_entries(entries: list[dict[str, Any]], where: str,
                   on_error: str = "raise") -> list[dict[str, Any]]:
    """Metadata entries whose values are plain data; an entry that cannot be stored raises
    :class:`DagsterUnstorableDataError` naming it (or, with ``on_error="describe"``, is
    replaced by a note saying why)."""
    out = []
    for entry in entries:
        try:
            out.append({**entry, "value": _plain_value(entry.get("value"))})
        except (RecursionError, ValueError, TypeError) as exc:
            message = (f'Metadata entry "{entry.get("label")}" of {where} cannot be stored: '
                       f"{_why_unstorable(exc)}.")
            if on_error != "describe":
                raise DagsterUnstorableDataError(message) from None
            out.append({**entry, "entry_type": "text", "value": message})
    return out


def _plain(data: dict[str, Any], where: str) -> dict[str, Any]:
    """``data`` (a ``to_data()`` dict) with its metadata entries made plain (see above)."""
    if data.get("metadata"):
        return {**data, "metadata": _plain_entries(data["metadata"], where)}
    return data


def _format_ms(ms: float) -> str:
    return f"{ms:.2f}ms" if ms < 1000 else f"{ms / 1000:.2f}s"


def execute_step(run_context: RunContext, step: ExecutionStep, resources: Resources,
                 attempt: int = 0, missing: frozenset[StepOutputHandle] = frozenset()
                 ) -> Iterator[EventRecord]:
    """The events of one attempt of ``step``."""
    return StepRunner(run_context, step, resources, attempt, missing).run()


def _nothing() -> None:
    return None
