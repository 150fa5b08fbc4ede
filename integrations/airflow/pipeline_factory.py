"""Airflow DAG -> orch pipeline (legacy ``dagster_airflow.make_dagster_pipeline_from_airflow_dag``).

::

    from orch.integrations.airflow import make_dagster_pipeline_from_airflow_dag
    from my_dags.etl import dag

    etl = make_dagster_pipeline_from_airflow_dag(dag)    # orch run -f this_file.py

The pipeline ``airflow_<dag_id>`` has one solid per task, ``airflow_<task_id>`` (plus
``_<unique_id>``), each with a ``Nothing`` input ``airflow_task_ready`` fed by the solids of the
task's upstream tasks and a ``Nothing`` output ``airflow_task_complete``: the DAG's order, no
data. A solid renders its operator's templates and calls ``execute`` in the step's process,
so a ``BashOperator``'s output, and anything an operator logs, is in the step's compute logs;
an exception fails the step with it; the operator's ``retries`` (``retry_delay``,
``retry_exponential_backoff``) are the solid's retry policy and its ``execution_timeout`` the
step's timeout (``orch/timeout``). ``AirflowSkipException`` ends the solid without its
output, so the solids downstream are skipped, as Airflow skips their tasks.

XCom works within a run: what a task returns (``do_xcom_push``, ``multiple_outputs``) and what
it ``ti.xcom_push``-es is stored under the run's folder of the instance
(``storage/<run_id>/<step>/xcom/<key>``, pickled), and ``ti.xcom_pull`` / TaskFlow arguments
read it there, so ``@task`` functions pass values as in Airflow, also across step processes.

Beyond the legacy API (which needed it): the run tag ``airflow_execution_date`` is optional,
without it the logical date is the run's start. Not supported: mapped tasks (``.expand``),
deferrable operators, sensors that reschedule, XCom from another DAG or run.
"""

from __future__ import annotations

import contextvars
import datetime
import os
import re
from pathlib import Path
from typing import Any

from orch.core.definitions.dependency import DependencyDefinition, MultiDependencyDefinition
from orch.core.definitions.io_defs import InputDefinition, OutputDefinition
from orch.core.definitions.pipeline import PipelineDefinition
from orch.core.definitions.solid import SolidDefinition
from orch.core.definitions.types import Nothing
from orch.core.errors import DagsterInvariantViolationError

from .steps import AIRFLOW_EXECUTION_DATE_TAG

READY_INPUT = "airflow_task_ready"
COMPLETE_OUTPUT = "airflow_task_complete"
INGEST_TAG = "is_airflow_ingest_pipeline"


def _normalize(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def pipeline_name_for(dag_id: str) -> str:
    return f"airflow_{_normalize(dag_id)}"


def solid_name_for(task_id: str, unique_id: Any = None) -> str:
    suffix = f"_{unique_id}" if unique_id is not None else ""
    return f"airflow_{_normalize(task_id)}{suffix}"


def make_dagster_pipeline_from_airflow_dag(dag: Any, tags: dict[str, Any] | None = None,
                                           use_airflow_template_context: bool = False,
                                           unique_id: Any = None) -> PipelineDefinition:
    """The orch pipeline of an Airflow DAG (see the module docstring).

    ``tags``: pipeline tags (``is_airflow_ingest_pipeline: "true"`` is always set).
    ``use_airflow_template_context``: the operator's templates are rendered, and ``execute``
    called, with Airflow's fuller template context (``macros``, ``var``, ``conn``, the
    ``prev_*``/``ts_*`` keys; templates that read Variables or Connections need Airflow's
    database or environment) instead of the basic one (``ds``, ``ts``, ``logical_date``,
    ``run_id``, ``params``, ``dag``, ``task``, ``ti``).
    """
    tasks = dict(getattr(dag, "task_dict", {}))
    if not tasks:
        raise DagsterInvariantViolationError(
            f'Airflow DAG "{getattr(dag, "dag_id", dag)}" has no tasks to turn into solids.')
    names = {task_id: solid_name_for(task_id, unique_id) for task_id in tasks}
    clashes = _clashes(names)
    if clashes:
        raise DagsterInvariantViolationError(
            f"Airflow tasks {clashes} become the same solid name once characters outside "
            "[A-Za-z0-9_] are replaced by '_'; rename one of them.")
    solid_defs: list[Any] = []
    dependencies: dict[str, dict[str, Any]] = {}
    for task_id, task in tasks.items():
        if type(task).__name__ == "MappedOperator":
            raise DagsterInvariantViolationError(
                f'Airflow task "{task_id}" is mapped (.expand): its copies are known only '
                "when Airflow runs it, so it cannot become one solid.")
        solid_defs.append(_solid_for(dag, task_id, names, use_airflow_template_context))
        upstream = sorted(task.upstream_task_ids)
        if upstream:
            dependencies[names[task_id]] = {READY_INPUT: MultiDependencyDefinition(
                [DependencyDefinition(names[u], COMPLETE_OUTPUT) for u in upstream])}
    return PipelineDefinition(
        solid_defs=solid_defs,
        name=pipeline_name_for(dag.dag_id),
        dependencies=dependencies,
        description=getattr(dag, "description", None),
        tags={**{k: str(v) for k, v in (tags or {}).items()}, INGEST_TAG: "true"},
    )


def _clashes(names: dict[str, str]) -> list[str]:
    seen: dict[str, str] = {}
    for task_id, name in names.items():
        if name in seen:
            return sorted([seen[name], task_id])
        seen[name] = task_id
    return []


def _solid_for(dag: Any, task_id: str, names: dict[str, str],
               template_context: bool) -> SolidDefinition:
    name = names[task_id]

    def compute(context: Any, _inputs: dict[str, Any]) -> Any:
        from airflow.sdk.exceptions import AirflowSkipException

        logical_date = _logical_date(context)
        xcom = _XComStore(Path(context.instance.storage_dir), context.run_id, names)
        try:
            _execute_operator(dag, task_id, context, logical_date, template_context, xcom)
        except AirflowSkipException as skip:
            context.log.info(f'Airflow skipped task "{task_id}": {skip}. The solids '
                             "downstream of it are skipped.")
            return
        yield _output()

    operator = dag.task_dict[task_id]
    tags = {"airflow_task_id": task_id, "kind": "airflow"}
    timeout = getattr(operator, "execution_timeout", None)
    if timeout is not None:
        tags["orch/timeout"] = str(timeout.total_seconds())
    return SolidDefinition(
        name=name,
        input_defs=[InputDefinition(READY_INPUT, Nothing)],
        output_defs=[OutputDefinition(Nothing, COMPLETE_OUTPUT, is_required=False)],
        compute_fn=compute,
        description=f'Airflow task "{task_id}" ({type(operator).__name__}) of '
                    f'DAG "{dag.dag_id}"',
        tags=tags,
        retry_policy=_retry_policy(operator),
    )


def _retry_policy(operator: Any) -> Any:
    """The operator's ``retries`` / ``retry_delay`` / ``retry_exponential_backoff`` as an
    orch retry policy (Airflow would retry the task so)."""
    from orch.core.definitions.retry import Backoff, RetryPolicy

    retries = int(getattr(operator, "retries", 0) or 0)
    if retries <= 0:
        return None
    delay = getattr(operator, "retry_delay", None)
    seconds = delay.total_seconds() if hasattr(delay, "total_seconds") else float(delay or 0)
    backoff = Backoff.EXPONENTIAL if getattr(operator, "retry_exponential_backoff", False) \
        and seconds else None
    return RetryPolicy(max_retries=retries, delay=seconds or None, backoff=backoff)


def _output() -> Any:
    from orch.core.definitions.events import Output

    return Output(None, COMPLETE_OUTPUT)


def _logical_date(context: Any) -> datetime.datetime:
    """The run tag ``airflow_execution_date`` (ISO 8601), else the run's start, in UTC."""
    raw = context.run.tags.get(AIRFLOW_EXECUTION_DATE_TAG) if context.run else None
    if raw:
        try:
            value = datetime.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        except ValueError as e:
            raise DagsterInvariantViolationError(
                f'Could not parse the run tag {AIRFLOW_EXECUTION_DATE_TAG}="{raw}": give an '
                "ISO 8601 date or time, e.g. 2026-12-01T00:00:00+00:00.") from e
        return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


class _RunFacade:
    """What operators read of Airflow's DagRun: ids, dates, conf."""

    def __init__(self, dag_id: str, run_id: str, logical_date: datetime.datetime):
        self.dag_id = dag_id
        self.run_id = run_id
        self.logical_date = logical_date
        self.data_interval_start = logical_date
        self.data_interval_end = logical_date
        self.run_after = logical_date
        self.conf: dict[str, Any] = {}
        self.run_type = "manual"
        self.team_name = None


RETURN_KEY = "return_value"


class _XComStore:
    """XComs of one run: ``<storage>/<run_id>/<step>/xcom/<key>``, pickled (private files,
    deleted with the run's outputs)."""

    def __init__(self, storage_dir: Path, run_id: str, names: dict[str, str]):
        self.storage_dir = storage_dir
        self.run_id = run_id
        self.names = names

    def _path(self, task_id: str, key: str) -> Path:
        from orch.core.storage.paths import check_path_component, contained

        step = self.names.get(task_id)
        if step is None:
            raise KeyError(f'DAG has no task "{task_id}" to pull an XCom from')
        return contained(self.storage_dir, self.run_id, step, "xcom",
                         check_path_component(key, "XCom key"))

    def push(self, task_id: str, key: str, value: Any) -> None:
        import pickle

        from orch.core.storage.paths import FILE_MODE, make_private_dir

        path = self._path(task_id, key)
        make_private_dir(path.parent)
        tmp = path.with_name(f"{path.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)

    def pull(self, task_id: str, key: str, default: Any) -> Any:
        import pickle

        try:
            with open(self._path(task_id, key), "rb") as f:
                return pickle.load(f)
        except FileNotFoundError:
            return default


class _TaskInstanceFacade:
    """What operators read of Airflow's task instance, XCom included (:class:`_XComStore`)."""

    def __init__(self, task: Any, dag_run: _RunFacade, try_number: int,
                 xcom: _XComStore | None = None):
        self._xcom = xcom
        self.task = task
        self.task_id = task.task_id
        self.dag_id = dag_run.dag_id
        self.run_id = dag_run.run_id
        self.try_number = try_number
        self.max_tries = getattr(task, "retries", 0) or 0
        self.map_index = -1
        self.logical_date = dag_run.logical_date
        self.hostname = os.uname().nodename

    def xcom_push(self, key: str, value: Any) -> None:
        self._store().push(self.task_id, key, value)

    def xcom_pull(self, task_ids: str | list[str] | None = None, dag_id: str | None = None,
                  key: str = RETURN_KEY, include_prior_dates: bool = False,
                  *, map_indexes: Any = None, default: Any = None, run_id: str | None = None
                  ) -> Any:
        if dag_id not in (None, self.dag_id) or run_id not in (None, self.run_id) \
                or include_prior_dates:
            raise NotImplementedError(
                "An Airflow operator run as an orch solid pulls XComs of its own run only.")
        store = self._store()
        if task_ids is None:
            task_ids = self.task_id
        if isinstance(task_ids, str):
            return store.pull(task_ids, key, default)
        return [store.pull(t, key, default) for t in task_ids]

    def _store(self) -> _XComStore:
        if self._xcom is None:
            raise NotImplementedError("No XCom store: not run as an orch solid.")
        return self._xcom

    def get_relevant_upstream_map_indexes(self, *args: Any, **kwargs: Any) -> None:
        return None


def _template_context(dag: Any, task: Any, orch_context: Any, logical_date: datetime.datetime,
                      full: bool, xcom: _XComStore | None = None) -> dict[str, Any]:
    run_id = orch_context.run_id
    dag_run = _RunFacade(dag.dag_id, run_id, logical_date)
    ti = _TaskInstanceFacade(task, dag_run, orch_context.retry_number + 1, xcom)
    params = dict(getattr(task, "params", None) or getattr(dag, "params", None) or {})
    try:  # a ParamsDict gives the values, not the Param objects, through dump()
        params = task.params.dump()
    except Exception:  # plain dict params
        pass
    ds = logical_date.strftime("%Y-%m-%d")
    context: dict[str, Any] = {
        "dag": dag, "task": task, "ti": ti, "task_instance": ti, "dag_run": dag_run,
        "run_id": run_id, "logical_date": logical_date, "ds": ds,
        "ds_nodash": ds.replace("-", ""), "ts": logical_date.isoformat(),
        "data_interval_start": logical_date, "data_interval_end": logical_date,
        "params": params, "task_instance_key_str": f"{dag.dag_id}__{task.task_id}__{ds}",
        "outlet_events": _NoOutletEvents(), "inlets": [], "outlets": [],
    }
    if full:
        context.update({
            "ts_nodash": logical_date.strftime("%Y%m%dT%H%M%S"),
            "ts_nodash_with_tz": logical_date.isoformat().replace("-", "").replace(":", ""),
            "prev_data_interval_start_success": None, "prev_data_interval_end_success": None,
            "prev_start_date_success": None, "prev_end_date_success": None,
            "map_index_template": None, "triggering_asset_events": {},
        })
        context.update(_airflow_accessors())
    return context


class _NoOutletEvents(dict):
    """Asset outlet events: nothing records them outside Airflow."""

    def __missing__(self, key: Any) -> Any:
        return _Sink()


class _Sink:
    def __init__(self) -> None:
        self.extra: dict[str, Any] = {}

    def add(self, *args: Any, **kwargs: Any) -> None:
        return None


def _airflow_accessors() -> dict[str, Any]:
    """``macros``, ``var`` and ``conn`` as Airflow's task runner provides them."""
    out: dict[str, Any] = {}
    try:
        from airflow.sdk.execution_time import macros

        out["macros"] = macros
    except ImportError:
        pass
    try:
        from airflow.sdk.execution_time.context import ConnectionAccessor, VariableAccessor

        out["var"] = {"json": VariableAccessor(deserialize_json=True),
                      "value": VariableAccessor(deserialize_json=False)}
        out["conn"] = ConnectionAccessor()
    except ImportError:
        pass
    return out


def _execute_operator(dag: Any, task_id: str, orch_context: Any,
                      logical_date: datetime.datetime, full_context: bool,
                      xcom: _XComStore | None = None) -> Any:
    """Render the operator's templates (TaskFlow arguments are XComs, pulled here) and call its
    ``execute`` as Airflow's task runner does: on a copy locked for execution, with the
    ``ExecutorSafeguard`` told it is the runner; then push what it returned, as the runner
    does."""
    from airflow.sdk.bases.operator import ExecutorSafeguard

    task = dag.task_dict[task_id].prepare_for_execution()
    context = _template_context(dag, task, orch_context, logical_date, full_context, xcom)
    task.render_template_fields(context, dag.get_template_env())
    runner = contextvars.copy_context()
    runner.run(ExecutorSafeguard.tracker.set, task)
    task.pre_execute(context)
    result = runner.run(task.execute, context)
    task.post_execute(context, result)
    if xcom is not None and result is not None and getattr(task, "do_xcom_push", True):
        if getattr(task, "multiple_outputs", False) and isinstance(result, dict):
            for key, value in result.items():
                xcom.push(task_id, str(key), value)
        xcom.push(task_id, RETURN_KEY, result)
    return result


# -- repositories ---------------------------------------------------------------------------
def make_dagster_repo_from_airflow_dag_bag(dag_bag: Any, repo_name: str,
                                           use_airflow_template_context: bool = False) -> Any:
    """A repository with one pipeline per DAG of an Airflow ``DagBag``."""
    from orch.core.definitions.repository import repository

    pipelines = [make_dagster_pipeline_from_airflow_dag(
        dag, use_airflow_template_context=use_airflow_template_context)
        for _, dag in sorted(dag_bag.dags.items())]
    return repository(repo_name)(lambda: pipelines)


def make_dagster_repo_from_airflow_dags_path(dag_path: str | Path, repo_name: str,
                                             safe_mode: bool = True,
                                             use_airflow_template_context: bool = False) -> Any:
    """A repository of the DAGs Airflow finds in ``dag_path`` (a file or a folder); a file
    that fails to import is an error naming it."""
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # pragma: no cover - older Airflow 3 layouts
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]

    bag = DagBag(dag_folder=str(dag_path), safe_mode=safe_mode)
    if bag.import_errors:
        first = sorted(bag.import_errors.items())[0]
        raise DagsterInvariantViolationError(
            f"Airflow could not import {first[0]}: {first[1]}")
    return make_dagster_repo_from_airflow_dag_bag(bag, repo_name, use_airflow_template_context)
