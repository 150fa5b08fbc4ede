"""Result objects of ``execute_pipeline`` / ``execute_solid``: outcomes and output values."""

from __future__ import annotations

from typing import Any

from ..definitions.events import (
    AssetKey,
    AssetMaterialization,
    EventMetadataEntry,
    ExpectationResult,
)
from ..errors import DagsterInvariantViolationError
from ..events import EventRecord, EventType


def _metadata_entries(data: list[dict[str, Any]] | None) -> list[EventMetadataEntry]:
    return [EventMetadataEntry.from_dict(d) for d in data or []]


def materialization_from_data(data: dict[str, Any]) -> AssetMaterialization:
    """The AssetMaterialization an ASSET_MATERIALIZATION event records."""
    return AssetMaterialization(asset_key=AssetKey(data.get("asset_key") or []),
                                description=data.get("description"),
                                metadata_entries=_metadata_entries(data.get("metadata")),
                                partition=data.get("partition"))


def expectation_from_data(data: dict[str, Any]) -> ExpectationResult:
    """The ExpectationResult a STEP_EXPECTATION_RESULT event records."""
    return ExpectationResult(success=bool(data.get("success")), label=data.get("label"),
                             description=data.get("description"),
                             metadata_entries=_metadata_entries(data.get("metadata")))


class SerializableErrorInfo:
    """An error as stored in an event: ``message``, ``cls_name``, ``stack``, ``cause``."""

    def __init__(self, data: dict[str, Any]):
        self._data = data
        self.message: str = data.get("message", "")
        self.cls_name: str | None = data.get("cls_name")
        self.stack: list[str] = list(data.get("stack") or [])
        cause = data.get("cause")
        self.cause = SerializableErrorInfo(cause) if cause else None

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def to_string(self) -> str:
        return self.message + "\n" + "".join(self.stack)

    def __repr__(self) -> str:
        return f"SerializableErrorInfo({self.cls_name!r}, {self.message!r})"


class UserFailureData:
    """What a raised ``Failure`` carried: its description and metadata entries."""

    def __init__(self, data: dict[str, Any]):
        self.description: str | None = data.get("description")
        self.metadata_entries = _metadata_entries(data.get("metadata"))
        self.label = "intentional-failure"


class StepFailureData:
    """``SolidExecutionResult.failure_data``, shaped like the legacy object
    (``.error.cls_name``, ``.error.message``, ``.user_failure_data``); the raw event payload
    stays readable by key (``failure_data["error"]``)."""

    def __init__(self, data: dict[str, Any]):
        self._data = data
        self.error = SerializableErrorInfo(data["error"]) if data.get("error") else None
        user = data.get("user_failure")
        self.user_failure_data = UserFailureData(user) if user else None
        self.error_source: str | None = data.get("error_source")

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __contains__(self, key: str) -> bool:
        return key in self._data

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def __repr__(self) -> str:
        return f"StepFailureData(error={self.error!r}, error_source={self.error_source!r})"


class SolidExecutionResult:
    """The outcome of one solid (all its steps, including dynamic copies)."""

    def __init__(self, handle: str, events: list[EventRecord],
                 output_capture: dict[tuple[str, str, str | None], Any] | None,
                 load_output: Any = None, solid: Any = None):
        self.handle = handle
        self.solid = solid  # the invocation (``.name``, ``.definition``), when known
        self.step_events = events
        self._capture = output_capture
        self._load_output = load_output

    def _of(self, *types: EventType) -> list[EventRecord]:
        return [e for e in self.step_events if e.event_type in types]

    @property
    def success(self) -> bool:
        outcomes = self._of(EventType.STEP_SUCCESS, EventType.STEP_FAILURE, EventType.STEP_SKIPPED)
        return bool(outcomes) and all(
            e.event_type is not EventType.STEP_FAILURE for e in outcomes
        ) and any(e.event_type is EventType.STEP_SUCCESS for e in outcomes)

    @property
    def skipped(self) -> bool:
        """True when every step event is a skip, as in the legacy result: so also for a solid
        that never ran because an upstream step failed (abandoned, no step events)."""
        return all(e.event_type is EventType.STEP_SKIPPED for e in self.step_events)

    @property
    def failure_data(self) -> StepFailureData | None:
        failures = self._of(EventType.STEP_FAILURE)
        return StepFailureData(failures[-1].data) if failures else None

    @property
    def retry_attempts(self) -> int:
        """How many times the solid's step was retried."""
        return len(self._of(EventType.STEP_RESTARTED))

    @property
    def materializations_during_compute(self) -> list[AssetMaterialization]:
        return [materialization_from_data(e.data)
                for e in self._of(EventType.ASSET_MATERIALIZATION)]

    materializations = materializations_during_compute

    @property
    def materialization_events_during_compute(self) -> list[EventRecord]:
        return self._of(EventType.ASSET_MATERIALIZATION)

    @property
    def expectation_results_during_compute(self) -> list[ExpectationResult]:
        return [expectation_from_data(e.data) for e in self._of(EventType.STEP_EXPECTATION_RESULT)]

    expectation_results = expectation_results_during_compute

    @property
    def input_events_during_compute(self) -> list[EventRecord]:
        return self._of(EventType.STEP_INPUT)

    @property
    def output_events_during_compute(self) -> list[EventRecord]:
        return self._of(EventType.STEP_OUTPUT)

    @property
    def compute_input_event_dict(self) -> dict[str, EventRecord]:
        """The STEP_INPUT events by input name."""
        return {str(e.data.get("input_name")): e for e in self.input_events_during_compute}

    @property
    def compute_output_events_dict(self) -> dict[str, list[EventRecord]]:
        """The STEP_OUTPUT events by output name (several for a dynamic output)."""
        by_name: dict[str, list[EventRecord]] = {}
        for e in self.output_events_during_compute:
            by_name.setdefault(str(e.data.get("output_name")), []).append(e)
        return by_name

    def get_output_events_for_compute(self, output_name: str = "result") -> list[EventRecord]:
        return self.compute_output_events_dict[output_name]

    def get_output_event_for_compute(self, output_name: str = "result") -> EventRecord:
        events = self.get_output_events_for_compute(output_name)
        if len(events) != 1:
            raise DagsterInvariantViolationError(
                f'Output "{output_name}" of solid "{self.handle}" has {len(events)} events '
                "(a dynamic output): use get_output_events_for_compute."
            )
        return events[0]

    @property
    def expectation_events_during_compute(self) -> list[EventRecord]:
        return self._of(EventType.STEP_EXPECTATION_RESULT)

    def get_step_success_event(self) -> EventRecord:
        successes = self._of(EventType.STEP_SUCCESS)
        if not successes:
            raise DagsterInvariantViolationError(
                f'Step success not found for solid "{self.handle}".')
        return successes[0]

    @property
    def compute_step_failure_event(self) -> EventRecord:
        if self.success:
            raise DagsterInvariantViolationError(
                "Cannot call compute_step_failure_event if successful")
        return self._of(EventType.STEP_FAILURE)[-1]

    @property
    def compute_step_events(self) -> list[EventRecord]:
        return self.step_events

    def _value(self, step_key: str, output_name: str, mapping_key: str | None) -> Any:
        key = (step_key, output_name, mapping_key)
        if self._capture is not None and key in self._capture:
            return self._capture[key]
        if self._load_output is not None:
            return self._load_output(step_key, output_name, mapping_key)
        raise DagsterInvariantViolationError(
            f'No value recorded for output "{output_name}" of step "{step_key}".'
        )

    @property
    def output_values(self) -> dict[str, Any]:
        """Every output's value; a dynamic output (or a mapped solid) maps key → value."""
        values: dict[str, Any] = {}
        for e in self._of(EventType.STEP_OUTPUT):
            name = e.data["output_name"]
            mapping_key = e.data.get("mapping_key")
            step_key = e.step_key or ""
            step_mapping = step_key.split("[", 1)[1][:-1] if "[" in step_key else None
            value = self._value(step_key, name, mapping_key)
            if mapping_key is not None or step_mapping is not None:
                values.setdefault(name, {})[mapping_key or step_mapping] = value
            else:
                values[name] = value
        return values

    def output_value(self, output_name: str = "result") -> Any:
        """The value of one output (a dict by mapping key for dynamic or mapped outputs)."""
        values = self.output_values
        if output_name not in values:
            produced = [e.data["output_name"] for e in self._of(EventType.STEP_OUTPUT)]
            if self.skipped or not self.success:  # skipped, failed, or never ran (abandoned)
                return None
            raise DagsterInvariantViolationError(
                f'Output "{output_name}" of solid "{self.handle}" was not produced. '
                f"Outputs produced: {produced}."
            )
        return values[output_name]


class CompositeSolidExecutionResult(SolidExecutionResult):
    """A composite: its inner solids' results, and outputs through its output mappings."""

    def __init__(self, handle: str, composite_def: Any, pipeline_result: PipelineExecutionResult,
                 solid: Any = None):
        events = [e for e in pipeline_result.step_event_list
                  if e.step_key and (e.step_key.split("[", 1)[0] + ".").startswith(handle + ".")]
        super().__init__(handle, events, pipeline_result._capture, pipeline_result._load_output,
                         solid)
        self.composite_def = composite_def
        self._pipeline_result = pipeline_result

    def result_for_solid(self, name: str) -> SolidExecutionResult:
        return self._pipeline_result.result_for_handle(f"{self.handle}.{name}")

    @property
    def solid_result_list(self) -> list[SolidExecutionResult]:
        """The results of the composite's own solids."""
        return [self.result_for_solid(name) for name in self.composite_def.graph.order]

    @property
    def skipped(self) -> bool:
        """The legacy composite result has no ``skipped``: ask its solids."""
        raise AttributeError("'CompositeSolidExecutionResult' object has no attribute 'skipped'")

    @property
    def success(self) -> bool:
        return bool(self.step_events) and not any(
            e.event_type is EventType.STEP_FAILURE for e in self.step_events
        )

    def output_value(self, output_name: str = "result") -> Any:
        handle, inner_output = _leaf_for_output(self.composite_def, self.handle, output_name)
        return self._pipeline_result.result_for_handle(handle).output_value(inner_output)

    @property
    def output_values(self) -> dict[str, Any]:
        """The mapped outputs that were produced (an optional one not yielded is absent)."""
        values = {}
        for out in self.composite_def.output_defs:
            handle, inner_output = _leaf_for_output(self.composite_def, self.handle, out.name)
            produced = self._pipeline_result.result_for_handle(handle).output_values
            if inner_output in produced:
                values[out.name] = produced[inner_output]
        return values


def _leaf_for_output(definition: Any, handle: str, output_name: str) -> tuple[str, str]:
    ref = definition.graph.output_mappings[output_name]
    node = definition.graph.nodes[ref.node]
    inner_handle = f"{handle}.{ref.node}"
    if node.definition.is_composite:
        return _leaf_for_output(node.definition, inner_handle, ref.output)
    return inner_handle, ref.output


class PipelineExecutionResult:
    """What ``execute_pipeline`` returns."""

    def __init__(self, pipeline_def: Any, run_id: str, event_list: list[EventRecord],
                 output_capture: dict[tuple[str, str, str | None], Any] | None = None,
                 load_output: Any = None):
        self.pipeline_def = pipeline_def
        self.run_id = run_id
        # Like the legacy result, event_list holds structured events only; user log lines
        # stay in all_events (and in the instance).
        self.all_events = event_list
        self.event_list = [e for e in event_list if e.is_dagster_event]
        self._capture = output_capture
        self._load_output = load_output

    @property
    def pipeline_name(self) -> str:
        return self.pipeline_def.name

    @property
    def success(self) -> bool:
        return any(e.event_type is EventType.PIPELINE_SUCCESS for e in self.event_list)

    @property
    def step_event_list(self) -> list[EventRecord]:
        return [e for e in self.event_list if e.step_key is not None and e.is_dagster_event]

    @property
    def solid_result_list(self) -> list[SolidExecutionResult]:
        return [self.result_for_solid(n.name) for n in self.pipeline_def.solids]

    @property
    def events_by_step_key(self) -> dict[str | None, list[EventRecord]]:
        """Every structured event by step key; run-level events under ``None``."""
        grouped: dict[str | None, list[EventRecord]] = {}
        for event in self.event_list:
            grouped.setdefault(event.step_key, []).append(event)
        return grouped

    def events_for_step(self, step_key: str) -> list[EventRecord]:
        return [e for e in self.step_event_list if e.step_key == step_key]

    def result_for_solid(self, name: str) -> SolidExecutionResult:
        if not self.pipeline_def.has_solid_named(name):
            raise DagsterInvariantViolationError(
                f'Pipeline "{self.pipeline_name}" has no solid named "{name}". '
                f"Solids: {sorted(n.name for n in self.pipeline_def.solids)}."
            )
        return self.result_for_handle(name)

    def result_for_handle(self, handle: str) -> SolidExecutionResult:
        node = _node_at(self.pipeline_def, handle)
        if node.definition.is_composite:
            return CompositeSolidExecutionResult(handle, node.definition, self, node)
        events = [e for e in self.step_event_list if e.solid_handle == handle]
        return SolidExecutionResult(handle, events, self._capture, self._load_output, node)

    def output_for_solid(self, name: str, output_name: str = "result") -> Any:
        return self.result_for_solid(name).output_value(output_name)


def _node_at(pipeline_def: Any, handle: str) -> Any:
    graph = pipeline_def.graph
    node = None
    for part in handle.split("."):
        if graph is None or part not in graph.nodes:
            raise DagsterInvariantViolationError(
                f'Pipeline "{pipeline_def.name}" has no solid at handle "{handle}".'
            )
        node = graph.nodes[part]
        graph = getattr(node.definition, "graph", None)
    return node
