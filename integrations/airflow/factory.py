"""orch pipeline -> Airflow DAG (legacy ``dagster_airflow.make_airflow_dag``).

In a file of Airflow's DAGs folder::

    from orch.integrations.airflow import make_airflow_dag

    dag, tasks = make_airflow_dag(
        module_name="my_project.pipelines", pipeline_name="daily_sales",
        run_config={"solids": {...}}, dag_kwargs={"schedule": "@daily"},
    )

One ``PythonOperator`` per solid (``task_id`` = the solid handle), an edge wherever a solid
reads another's output. Each task executes its solid's steps in the DAG run's orch run
(:mod:`.steps`), in the instance of ``$ORCH_HOME`` (else the project of the pipeline's
code): ``orch runs list``, ``orch runs logs`` and ``orch dev`` show the run as one of orch's
own. Built when Airflow parses the file: the pipeline is loaded and its run config
validated then, so a mistake is the DAG file's import error in Airflow.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from orch.core.definitions.pipeline import PipelineDefinition
from orch.core.definitions.reconstructable import ReconstructablePipeline, reconstructable
from orch.core.errors import DagsterInvariantViolationError

from .steps import (
    AirflowTaskRun,
    PipelineTarget,
    end_dag_run,
    execute_solid_in_task,
    solid_steps,
    solid_upstream,
)

# The legacy defaults (dagster_airflow.factory.DEFAULT_ARGS), without the e-mail keys
# Airflow 3 no longer takes on operators.
DEFAULT_ARGS: dict[str, Any] = {
    "depends_on_past": False,
    "owner": "airflow",
    "retries": 1,
    "retry_delay": datetime.timedelta(seconds=300),
    "start_date": datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC),
}


# DAG arguments Airflow 3 renamed (legacy dagster-airflow files pass the old names).
_RENAMED_DAG_KWARGS = {"schedule_interval": "schedule", "concurrency": "max_active_tasks"}


def _dag_id(pipeline_name: str) -> str:
    """As the legacy factory: characters outside ``[\\w\\-.]`` become ``_``, at most 250."""
    return re.sub(r"[^\w\-.]", "_", pipeline_name)[:250]


def _target_pipeline(module_name: Any, pipeline_name: str | None
                     ) -> tuple[ReconstructablePipeline | PipelineDefinition, str]:
    if isinstance(module_name, ReconstructablePipeline):
        return module_name, module_name.pipeline_name
    if isinstance(module_name, PipelineDefinition):
        try:
            return reconstructable(module_name), module_name.name
        except DagsterInvariantViolationError:
            return module_name, module_name.name
    if isinstance(module_name, str):
        if not pipeline_name:
            raise DagsterInvariantViolationError(
                f'make_airflow_dag(module_name="{module_name}") needs pipeline_name: the name '
                "of the pipeline in that module.")
        return ReconstructablePipeline(pipeline_name, module_name=module_name), pipeline_name
    raise DagsterInvariantViolationError(
        "make_airflow_dag takes a module name, reconstructable(pipeline) or a "
        f"PipelineDefinition, got {type(module_name).__name__}.")


def _instance_home(instance: Any) -> str | None:
    if instance is None:
        return None
    if isinstance(instance, str) or hasattr(instance, "__fspath__"):
        return str(instance)
    root = getattr(instance, "root_dir", None)
    if root is None:
        raise DagsterInvariantViolationError(
            "make_airflow_dag needs a persistent instance (an ORCH_HOME): the Airflow tasks "
            "run in other processes, which an ephemeral instance cannot be shared with.")
    return str(root)


def make_airflow_dag(
    module_name: Any,
    pipeline_name: str | None = None,
    run_config: dict[str, Any] | None = None,
    mode: str | None = None,
    instance: Any = None,
    dag_id: str | None = None,
    dag_description: str | None = None,
    dag_kwargs: dict[str, Any] | None = None,
    op_kwargs: dict[str, Any] | None = None,
    tags: dict[str, str] | None = None,
) -> tuple[Any, list[Any]]:
    """An Airflow DAG running the pipeline, one task per solid; ``(dag, tasks)``.

    ``module_name``: the module holding the pipeline (then ``pipeline_name`` names it), or
    ``reconstructable(pipeline)``, or the pipeline itself when it is defined at module level.
    ``instance``: an ``Instance`` or an ORCH_HOME path (default: ``$ORCH_HOME`` when the task
    runs, else the project of the pipeline's code). ``dag_kwargs`` go to ``DAG`` (its
    ``default_args`` merged over the legacy defaults: 1 retry after 300 s; Airflow 2's
    ``schedule_interval`` and ``concurrency`` become ``schedule`` and ``max_active_tasks``),
    ``op_kwargs`` to every ``PythonOperator``. ``tags``: orch run tags of every run (beyond the legacy API).
    """
    pipeline, name = _target_pipeline(module_name, pipeline_name)
    target = PipelineTarget(pipeline, run_config, mode, _instance_home(instance),
                            dict(tags or {}))
    prepared = target.prepare()  # validates config and mode; refuses an in-memory IO manager
    steps = solid_steps(prepared.plan)
    upstream = solid_upstream(prepared.plan)

    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG

    dag_kwargs = dict(dag_kwargs or {})
    for old, new in _RENAMED_DAG_KWARGS.items():  # legacy files name Airflow 1/2 arguments
        if old in dag_kwargs and new not in dag_kwargs:
            dag_kwargs[new] = dag_kwargs.pop(old)
    default_args = {**DEFAULT_ARGS, **(dag_kwargs.pop("default_args", None) or {})}
    for outcome in ("success", "failure"):  # the user's callbacks, then ours
        key = f"on_{outcome}_callback"
        theirs = dag_kwargs.pop(key, None) or []
        dag_kwargs[key] = [*(theirs if isinstance(theirs, list) else [theirs]),
                           _dag_run_ended(target, "success" if outcome == "success"
                                          else "failed")]
    dag = DAG(
        dag_id=dag_id or _dag_id(name),
        description=dag_description or f"orch pipeline {name}",
        default_args=default_args,
        **dag_kwargs,
    )
    tasks: dict[str, Any] = {}
    for handle in steps:
        tasks[handle] = PythonOperator(
            task_id=handle,
            python_callable=_task_callable(target, handle),
            dag=dag,
            **(op_kwargs or {}),
        )
    for handle, ups in upstream.items():
        for up in sorted(ups):
            tasks[up] >> tasks[handle]
    return dag, list(tasks.values())


def _dag_run_ended(target: PipelineTarget, state: str):
    """The DAG callback that ends the DAG run's orch run if a task died without ending it
    (:func:`.steps.end_dag_run`)."""
    def end_orch_run(context: dict[str, Any]) -> None:
        end_dag_run(target, context["dag"].dag_id, context["run_id"], state)

    end_orch_run.__name__ = f"end_orch_run_on_{state}"
    return end_orch_run


def _task_callable(target: PipelineTarget, solid_handle: str):
    def execute_orch_step(**context: Any) -> None:
        from airflow.sdk.exceptions import AirflowException, AirflowSkipException

        ti, dag_run = context["ti"], context["dag_run"]
        # A manually triggered DAG run of Airflow 3 may have no logical date: its run_after.
        logical_date = context.get("logical_date") or getattr(dag_run, "run_after", None)
        task = AirflowTaskRun(
            dag_id=ti.dag_id, run_id=dag_run.run_id,
            logical_date=logical_date.isoformat() if logical_date else None,
            try_number=int(getattr(ti, "try_number", 1) or 1),
            max_tries=int(getattr(ti, "max_tries", 0) or 0))
        result = execute_solid_in_task(target, solid_handle, task)
        if result.outcome == "skipped":
            raise AirflowSkipException(result.message)
        if result.outcome == "failure":
            raise AirflowException(f"orch run {result.run_id}: {result.message}")

    execute_orch_step.__name__ = f"orch_step_{solid_handle}"
    return execute_orch_step
