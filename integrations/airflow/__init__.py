"""Airflow both ways (legacy ``dagster_airflow``): ``from dagster_airflow import X`` becomes
``from orch.integrations.airflow import X``.

* :func:`make_airflow_dag` (:mod:`.factory`): an orch pipeline as an Airflow DAG, one task
  per solid, each executing its steps in the DAG run's orch run (events, compute logs and
  outputs in orch's instance).
* :func:`make_dagster_pipeline_from_airflow_dag` (:mod:`.pipeline_factory`): an Airflow DAG as
  an orch pipeline, one solid per operator, the DAG's dependencies kept.

Airflow 3 is imported only when one of them is called (it lives in a virtualenv of its own
in CI: see the README). Targets Airflow 3 (``airflow.sdk``); the legacy integration's
Airflow 1.10 import paths do not apply.
"""

from typing import TYPE_CHECKING

from orch.core.lazy_exports import lazy_getattr

if TYPE_CHECKING:
    from .factory import make_airflow_dag
    from .pipeline_factory import (
        make_dagster_pipeline_from_airflow_dag,
        make_dagster_repo_from_airflow_dag_bag,
        make_dagster_repo_from_airflow_dags_path,
    )
    from .steps import orch_run_id

_LAZY = {"make_airflow_dag": "factory",
         "make_dagster_pipeline_from_airflow_dag": "pipeline_factory",
         "make_dagster_repo_from_airflow_dag_bag": "pipeline_factory",
         "make_dagster_repo_from_airflow_dags_path": "pipeline_factory",
         "orch_run_id": "steps"}


__getattr__ = lazy_getattr(__name__, _LAZY)


__all__ = [
    "make_airflow_dag",
    "make_dagster_pipeline_from_airflow_dag",
    "make_dagster_repo_from_airflow_dag_bag",
    "make_dagster_repo_from_airflow_dags_path",
    "orch_run_id",
]
