"""``dataproc_solid`` (legacy ``dagster_gcp.dataproc.solids``): submit the job of its
``job_config`` through the ``dataproc`` resource and wait until it is done, on a cluster made
for it and deleted after it (``job_scoped_cluster``, the default) or on the resource's existing
cluster. A job in ERROR or CANCELLED fails the step with the job's status, whose ``details``
are Dataproc's reason."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from orch.core.config import Bool, Field, Int
from orch.core.definitions.solid import solid

from .configs import define_dataproc_submit_job_config
from .resources import TWENTY_MINUTES

DATAPROC_CONFIG_SCHEMA: dict[str, Any] = {
    "job_timeout_in_seconds": Field(
        Int, is_required=False, default_value=TWENTY_MINUTES,
        description="Optional. Maximum time in seconds to wait for the job being completed. "
                    "Default is set to 1200 seconds (20 minutes)."),
    "job_config": define_dataproc_submit_job_config(),
    "job_scoped_cluster": Field(
        Bool, is_required=False, default_value=True,
        description="whether to create a cluster or use an existing cluster"),
}


def _dataproc_compute(context: Any) -> None:
    job_config = context.solid_config["job_config"]
    job_timeout = context.solid_config["job_timeout_in_seconds"]
    context.log.info(f"submitting job with config: {json.dumps(job_config)} and timeout of: "
                     f"{job_timeout:d} seconds")

    def run(dataproc: Any) -> None:
        result = dataproc.submit_job(job_config)
        job_id = result["reference"]["jobId"]
        context.log.info(f"Submitted job ID {job_id}")
        dataproc.wait_for_job(job_id, wait_timeout=job_timeout)

    dataproc = context.resources.dataproc
    logging_to = getattr(dataproc, "_logging_to", None)  # a user's own resource may lack it
    with logging_to(context.log) if logging_to is not None else contextlib.nullcontext():
        if context.solid_config["job_scoped_cluster"]:
            # the cluster is made for this job and deleted after it, however the job ends
            with dataproc.cluster_context_manager() as cluster:
                run(cluster)
        else:
            run(dataproc)


@solid(required_resource_keys={"dataproc"}, config_schema=DATAPROC_CONFIG_SCHEMA)
def dataproc_solid(context: Any) -> None:
    _dataproc_compute(context)
