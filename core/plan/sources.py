"""Where a step input's value comes from (LEGACY_API.md §3, in precedence order)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StepOutputHandle:
    """Addresses one output of one step (``mapping_key`` for one value of a dynamic output)."""

    step_key: str
    output_name: str = "result"
    mapping_key: str | None = None

    def describe(self) -> str:
        key = f"[{self.mapping_key}]" if self.mapping_key else ""
        return f"{self.step_key}.{self.output_name}{key}"


class InputSource:
    """Base: what a step input reads. Sources that name steps report them in step_keys()."""

    def step_keys(self) -> set[str]:
        return set()

    def handles(self) -> list[StepOutputHandle]:
        return []

    def resolve(self, mapping_key: str) -> InputSource:
        return self

    def describe(self) -> str:
        return type(self).__name__


@dataclass(frozen=True)
class FromStepOutput(InputSource):
    handle: StepOutputHandle

    def step_keys(self) -> set[str]:
        return {self.handle.step_key}

    def handles(self) -> list[StepOutputHandle]:
        return [self.handle]

    def describe(self) -> str:
        return f"output {self.handle.describe()}"


@dataclass(frozen=True)
class FromMultipleSources(InputSource):
    """Fan-in: a list with one value per source that produced one. A source is a step's
    output or, for a composite input in the list, whatever feeds that input (config, a
    default value, another fan-in)."""

    sources: tuple[InputSource, ...]

    def step_keys(self) -> set[str]:
        return {key for s in self.sources for key in s.step_keys()}

    def handles(self) -> list[StepOutputHandle]:
        return [h for s in self.sources for h in s.handles()]

    def describe(self) -> str:
        return "fan-in of " + ", ".join(s.describe() for s in self.sources)


@dataclass(frozen=True)
class FromPendingDynamicStepOutput(InputSource):
    """One value of a dynamic output, once the mapping key is known."""

    producer_key: str
    output_name: str

    def step_keys(self) -> set[str]:
        return {self.producer_key}

    def resolve(self, mapping_key: str) -> InputSource:
        return FromStepOutput(StepOutputHandle(self.producer_key, self.output_name, mapping_key))

    def describe(self) -> str:
        return f"dynamic output {self.producer_key}.{self.output_name}[?]"


@dataclass(frozen=True)
class FromUnresolvedStepOutput(InputSource):
    """The output of a mapped step (``x[?]``), chained through another ``.map``."""

    producer_key: str
    upstream_handle: str
    output_name: str

    def step_keys(self) -> set[str]:
        return {self.producer_key}

    def resolve(self, mapping_key: str) -> InputSource:
        return FromStepOutput(
            StepOutputHandle(f"{self.upstream_handle}[{mapping_key}]", self.output_name)
        )

    def describe(self) -> str:
        return f"mapped output {self.upstream_handle}[?].{self.output_name}"


@dataclass(frozen=True)
class FromDynamicCollect(InputSource):
    """Every value of a dynamic output (or every mapped copy's output), as a list."""

    producer_key: str
    upstream_handle: str
    output_name: str
    from_producer: bool
    # The producer's dynamic output (differs from output_name when collecting mapped copies).
    producer_output: str | None = None

    @property
    def dynamic_output(self) -> tuple[str, str]:
        """(producer step key, dynamic output name) whose mapping keys resolve this input."""
        return self.producer_key, self.producer_output or self.output_name

    def step_keys(self) -> set[str]:
        return {self.producer_key}

    def collect(self, mapping_keys: list[str]) -> FromMultipleSources:
        if self.from_producer:
            handles = [StepOutputHandle(self.producer_key, self.output_name, mk)
                       for mk in mapping_keys]
        else:
            handles = [StepOutputHandle(f"{self.upstream_handle}[{mk}]", self.output_name)
                       for mk in mapping_keys]
        return FromMultipleSources(tuple(FromStepOutput(h) for h in handles))

    def describe(self) -> str:
        return f"collect of {self.upstream_handle}.{self.output_name}"


@dataclass(frozen=True)
class FromConfig(InputSource):
    """``solids.<handle>.inputs.<name>`` in run config, through the type's loader."""

    handle: str
    input_name: str
    config_value: Any

    def describe(self) -> str:
        return f"config solids.{self.handle}.inputs.{self.input_name}"


@dataclass(frozen=True)
class FromDefaultValue(InputSource):
    value: Any

    def describe(self) -> str:
        return "default value"


@dataclass(frozen=True)
class FromRootInputManager(InputSource):
    manager_key: str

    def describe(self) -> str:
        return f"root input manager {self.manager_key}"


@dataclass(frozen=True)
class FromValue(InputSource):
    """A value given directly (``execute_solid(input_values=...)``)."""

    value: Any

    def describe(self) -> str:
        return "given value"


@dataclass(frozen=True)
class FromNothing(InputSource):
    """An unconnected ``Nothing`` input: no value, no ordering."""

    def describe(self) -> str:
        return "nothing"
