"""The in-process executor: every step runs serially inside the run process."""

from __future__ import annotations

from collections.abc import Iterator

from orch.core.config import Field, Selector, String
from orch.core.events import EventRecord, EventType
from orch.core.execution.context import RunContext
from orch.core.execution.executor import Executor, ExecutorDefinition, InitExecutorContext
from orch.core.execution.scheduler import RunStep
from orch.core.execution.step import step_timeout, with_timeout
from orch.core.plan.plan import ExecutionStep
from orch.core.plan.sources import StepOutputHandle


class InlineLauncher:
    """Runs a step to completion when launched; nothing is ever left running. (Also the base
    of launchers that run one step in the calling process, e.g. an Airflow task's.)"""

    def __init__(self, run_context: RunContext, run_step: RunStep):
        self.run_context = run_context
        self.run_step = run_step

    def start(self) -> Iterator[EventRecord]:
        return iter(())

    def close(self) -> None:
        pass

    def free_slots(self) -> int:
        return 1

    def running(self) -> int:
        return 0

    def launch(self, step: ExecutionStep, attempt: int,
               missing: frozenset[StepOutputHandle]) -> Iterator[EventRecord]:
        manager = getattr(self.run_context.instance, "compute_log_manager", None)
        if manager is None or not self.run_context.instance.is_persistent:
            events = self.run_step(step, attempt, missing)
        else:
            events = self._captured(manager, step, attempt, missing)
        return with_timeout(events, step, step_timeout(step))

    def _captured(self, manager, step: ExecutionStep, attempt: int,
                  missing: frozenset[StepOutputHandle]) -> Iterator[EventRecord]:
        """The step's events while fds 1 and 2 go to its compute-log files."""
        rc = self.run_context
        with manager.capture(rc.run_id, step.key, rc.index_compute_log) as logs:
            if logs.stdout_path:
                yield rc.event(EventType.LOGS_CAPTURED,
                               f'Started capturing logs for step "{step.key}".', step.key,
                               data=logs.logs_captured_data())
            yield from self.run_step(step, attempt, missing)

    def poll(self, timeout: float) -> Iterator[EventRecord]:
        return iter(())

    def terminate(self) -> Iterator[EventRecord]:
        return iter(())


class InProcessExecutor(Executor):
    """Resources are initialised once for the run, steps run one at a time."""

    def __init__(self, retries_enabled: bool = True):
        self.retries_enabled = retries_enabled

    def launcher(self, run_context: RunContext, run_step: RunStep) -> InlineLauncher:
        return InlineLauncher(run_context, run_step)


def _create(init: InitExecutorContext) -> InProcessExecutor:
    retries = init.executor_config.get("retries") or {"enabled": {}}
    return InProcessExecutor(retries_enabled="disabled" not in retries)


RETRIES_CONFIG = Field(Selector({"enabled": {}, "disabled": {}}), default_value={"enabled": {}})

in_process_executor = ExecutorDefinition(
    "in_process",
    config_schema={"retries": RETRIES_CONFIG,
                   "marker_to_close": Field(String, is_required=False)},
    executor_creation_fn=_create,
    description="Runs every step serially in the run process.",
)
