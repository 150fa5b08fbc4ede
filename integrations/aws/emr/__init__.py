"""EMR for orch (legacy ``dagster_aws.emr``): the control path only (see
``pyspark_step_launcher``); boto3 is imported when a client is made."""

from .emr import (
    EMR_CLUSTER_DONE_STATES,
    EMR_CLUSTER_TERMINATED_STATES,
    EmrClusterState,
    EmrError,
    EmrJobRunner,
    EmrStepState,
)
from .pyspark_step_launcher import EmrPySparkStepLauncher, emr_pyspark_step_launcher

__all__ = [
    "EMR_CLUSTER_DONE_STATES",
    "EMR_CLUSTER_TERMINATED_STATES",
    "EmrClusterState",
    "EmrError",
    "EmrJobRunner",
    "EmrPySparkStepLauncher",
    "EmrStepState",
    "emr_pyspark_step_launcher",
]
