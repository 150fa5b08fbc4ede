"""``EmrJobRunner`` (legacy ``dagster_aws.emr.emr``): the EMR control-plane calls a pipeline
makes — create a cluster (``run_job_flow``, tagged), find one by name, add steps, describe
clusters and steps, and poll a step to completion — with ``endpoint_url`` (orch) for an EMR
endpoint other than AWS's and ``check_cluster_every`` as the poll interval (seconds)."""

from __future__ import annotations

import time
from enum import Enum
from typing import Any

from orch.core.errors import DagsterError


class EmrError(DagsterError):
    """An EMR cluster or step failed, or does not exist."""


class EmrClusterState(Enum):
    Starting = "STARTING"
    Bootstrapping = "BOOTSTRAPPING"
    Running = "RUNNING"
    Waiting = "WAITING"
    Terminating = "TERMINATING"
    Terminated = "TERMINATED"
    TerminatedWithErrors = "TERMINATED_WITH_ERRORS"


EMR_CLUSTER_TERMINATED_STATES = [EmrClusterState.Terminating, EmrClusterState.Terminated,
                                 EmrClusterState.TerminatedWithErrors]
EMR_CLUSTER_DONE_STATES = [*EMR_CLUSTER_TERMINATED_STATES, EmrClusterState.Waiting]


class EmrStepState(Enum):
    Pending = "PENDING"
    Running = "RUNNING"
    Continue = "CONTINUE"
    Completed = "COMPLETED"
    Cancelled = "CANCELLED"
    Failed = "FAILED"
    Interrupted = "INTERRUPTED"


def _reason(cluster_or_step: dict[str, Any]) -> str:
    return cluster_or_step.get("Status", {}).get("StateChangeReason", {}).get("Message", "")


class EmrJobRunner:
    def __init__(self, region: str, check_cluster_every: float = 30,
                 aws_access_key_id: str | None = None, aws_secret_access_key: str | None = None,
                 endpoint_url: str | None = None) -> None:
        if not isinstance(region, str):
            raise TypeError("EmrJobRunner: region must be a str")
        self.region = region
        self.check_cluster_every = check_cluster_every
        self.aws_access_key_id = aws_access_key_id
        self.aws_secret_access_key = aws_secret_access_key
        self.endpoint_url = endpoint_url

    def make_emr_client(self) -> Any:
        import boto3

        return boto3.client("emr", region_name=self.region, endpoint_url=self.endpoint_url,
                            aws_access_key_id=self.aws_access_key_id,
                            aws_secret_access_key=self.aws_secret_access_key)

    def cluster_id_from_name(self, cluster_name: str) -> str:
        for cluster in self.make_emr_client().list_clusters().get("Clusters", []):
            if cluster["Name"] == cluster_name:
                return cluster["Id"]
        raise EmrError(f"cluster {cluster_name} not found in region {self.region}")

    @staticmethod
    def construct_step_dict_for_command(step_name: str, command: list[str],
                                        action_on_failure: str = "CONTINUE") -> dict[str, Any]:
        if not isinstance(command, list) or not all(isinstance(c, str) for c in command):
            raise TypeError("command must be a list of str")
        return {"Name": step_name, "ActionOnFailure": action_on_failure,
                "HadoopJarStep": {"Jar": "command-runner.jar", "Args": command}}

    def add_tags(self, log: Any, tags: dict[str, str], cluster_id: str) -> None:
        items = sorted(tags.items())
        self.make_emr_client().add_tags(ResourceId=cluster_id,
                                        Tags=[{"Key": k, "Value": v} for k, v in items])
        log.info(f"Added EMR tags to cluster {cluster_id}: "
                 + ", ".join(f"{k}={v}" for k, v in items))

    def run_job_flow(self, log: Any, cluster_config: dict[str, Any]) -> str:
        """Create a cluster; its id (``j-...``), tagged ``__dagster_version`` as dagster-aws
        tags it (with orch's version)."""
        from importlib.metadata import version

        log.debug("Creating Elastic MapReduce cluster")
        cluster_id = self.make_emr_client().run_job_flow(**cluster_config)["JobFlowId"]
        log.info(f"Created new cluster {cluster_id}")
        tags = {t["Key"]: t["Value"] for t in cluster_config.get("Tags", [])}
        tags["__dagster_version"] = version("orch")
        self.add_tags(log, tags, cluster_id)
        return cluster_id

    def describe_cluster(self, cluster_id: str) -> dict[str, Any]:
        return self.make_emr_client().describe_cluster(ClusterId=cluster_id)

    def describe_step(self, cluster_id: str, step_id: str) -> dict[str, Any]:
        return self.make_emr_client().describe_step(ClusterId=cluster_id, StepId=step_id)

    def add_job_flow_steps(self, log: Any, cluster_id: str,
                           step_defs: list[dict[str, Any]]) -> list[str]:
        log.debug(f"Calling add_job_flow_steps(JobFlowId={cluster_id!r}, Steps={step_defs!r})")
        return self.make_emr_client().add_job_flow_steps(JobFlowId=cluster_id,
                                                         Steps=step_defs)["StepIds"]

    def is_emr_step_complete(self, log: Any, cluster_id: str, emr_step_id: str) -> bool:
        """False while the step is pending or running, True once completed; raises
        :class:`EmrError` when it failed, was cancelled or interrupted."""
        step = self.describe_step(cluster_id, emr_step_id)["Step"]
        state = EmrStepState(step["Status"]["State"])
        if state == EmrStepState.Pending:
            cluster = self.describe_cluster(cluster_id)["Cluster"]
            reason = _reason(cluster)
            log.info(f"PENDING (cluster is {cluster['Status']['State']}"
                     f"{': ' + reason if reason else ''})")
            return False
        if state == EmrStepState.Running:
            log.info("RUNNING")
            return False
        if state == EmrStepState.Completed:
            log.info("COMPLETED")
            return True
        reason = _reason(step)
        log.info(f"{state.value}{f' ({reason})' if reason else ''}")
        if state == EmrStepState.Failed:
            log.error(f"EMR step {emr_step_id} failed")
        raise EmrError(f"EMR step {emr_step_id} failed")

    def wait_for_steps_to_complete(self, log: Any, cluster_id: str, step_ids: list[str],
                                   timeout: float | None = None) -> None:
        """Poll every ``check_cluster_every`` seconds until every step completed (or raise)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        pending = list(step_ids)
        while pending:
            pending = [s for s in pending if not self.is_emr_step_complete(log, cluster_id, s)]
            if not pending:
                return
            if deadline is not None and time.monotonic() >= deadline:
                raise EmrError(f"EMR steps {pending} did not complete in {timeout}s")
            time.sleep(self.check_cluster_every)
