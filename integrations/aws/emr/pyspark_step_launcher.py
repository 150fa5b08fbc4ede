"""``emr_pyspark_step_launcher`` (legacy ``dagster_aws.emr.pyspark_step_launcher``): the
control path only. It builds dagster-aws' EMR step (``Execute Solid/Op <name>``: spark-submit on
yarn with the Spark config as ``--conf``, ``--py-files`` the staged code zip, then
``emr_step_main.py <bucket> <step_run_ref key>``), stages the step's artifacts under
``<staging_prefix>/<run_id>/<step_key>/`` in the staging bucket, submits the step, polls it
(every ``poll_interval`` seconds, orch's key; dagster-aws waits 15 s) and reads the events the
remote side writes to ``events.pkl``.

orch's executors do not yet hand a step to a resource's step launcher, so a solid that
requires this resource still runs where the executor runs it; ``launch_step`` is not provided.
"""

from __future__ import annotations

import pickle
from typing import Any

from orch.core.config import Field, Permissive, StringSource
from orch.core.definitions.resource import resource
from orch.core.errors import DagsterInvariantViolationError
from orch.core.storage.paths import check_path_component, check_run_id

from ..s3.resources import S3Settings, s3_store
from .emr import EmrJobRunner

EMR_SPARK_HOME = "/usr/lib/spark/"
CODE_ZIP_NAME = "code.zip"
MAIN_FILE_NAME = "emr_step_main.py"
PICKLED_STEP_RUN_REF_FILE_NAME = "step_run_ref.pkl"
PICKLED_EVENTS_FILE_NAME = "events.pkl"


def flatten_dict(config: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """``{"spark": {"executor": {"memory": "2g"}}}`` -> ``[("spark.executor.memory", "2g")]``."""
    out: list[tuple[str, Any]] = []
    for key, value in config.items():
        name = f"{prefix}.{key}" if prefix else key
        out.extend(flatten_dict(value, name) if isinstance(value, dict) else [(name, value)])
    return out


def format_for_cli(conf: list[tuple[str, Any]]) -> list[str]:
    return [part for key, value in conf for part in ("--conf", f"{key}={value}")]


class EmrPySparkStepLauncher:
    def __init__(self, region_name: str, staging_bucket: str, staging_prefix: str,
                 wait_for_logs: bool, action_on_failure: str, cluster_id: str,
                 spark_config: dict[str, Any] | None, local_job_package_path: str | None,
                 deploy_local_job_package: bool, s3_job_package_path: str | None = None,
                 endpoint_url: str | None = None, poll_interval: float = 15) -> None:
        if deploy_local_job_package and s3_job_package_path:
            raise DagsterInvariantViolationError(
                "If deploy_local_job_package is set to True, s3_job_package_path should not "
                "also be set.")
        check_path_component(staging_bucket, "staging_bucket")
        self.region_name = region_name
        self.staging_bucket = staging_bucket
        self.staging_prefix = staging_prefix
        self.wait_for_logs = wait_for_logs
        self.action_on_failure = action_on_failure
        self.cluster_id = cluster_id
        self.spark_config = spark_config or {}
        self.local_job_package_path = local_job_package_path
        self.deploy_local_job_package = deploy_local_job_package
        self.s3_job_package_path = s3_job_package_path
        self.poll_interval = poll_interval
        self.emr_job_runner = EmrJobRunner(region=region_name, endpoint_url=endpoint_url,
                                           check_cluster_every=poll_interval)
        self.store = s3_store(staging_bucket, settings=S3Settings(region_name=region_name,
                                                                  endpoint_url=endpoint_url))

    @staticmethod
    def _sanitize_step_key(step_key: str) -> str:
        return step_key.replace("[", "__").replace("]", "__")  # brackets are invalid on EMR

    def _artifact_s3_key(self, run_id: str, step_key: str, filename: str) -> str:
        check_run_id(run_id)
        step = check_path_component(self._sanitize_step_key(step_key), "step key")
        return "/".join([self.staging_prefix, run_id, step, filename.rsplit("/", 1)[-1]])

    def _artifact_s3_uri(self, run_id: str, step_key: str, filename: str) -> str:
        return f"s3://{self.staging_bucket}/{self._artifact_s3_key(run_id, step_key, filename)}"

    def _get_emr_step_def(self, run_id: str, step_key: str, solid_name: str) -> dict[str, Any]:
        conf = dict(flatten_dict(self.spark_config))
        conf["spark.app.name"] = conf.get("spark.app.name", solid_name)
        if conf.get("spark.master", "yarn") != "yarn":
            raise DagsterInvariantViolationError(
                f"spark.master is configured as {conf.get('spark.master')}; cannot set Spark "
                'master on EMR to anything other than "yarn"')
        command = [EMR_SPARK_HOME + "bin/spark-submit", "--master", "yarn", "--deploy-mode",
                   conf.get("spark.submit.deployMode", "client"),
                   *format_for_cli(list(conf.items())),
                   "--py-files", self._artifact_s3_uri(run_id, step_key, CODE_ZIP_NAME),
                   self._artifact_s3_uri(run_id, step_key, MAIN_FILE_NAME),
                   self.staging_bucket,
                   self._artifact_s3_key(run_id, step_key, PICKLED_STEP_RUN_REF_FILE_NAME)]
        return EmrJobRunner.construct_step_dict_for_command(
            f"Execute Solid/Op {solid_name}", command, action_on_failure=self.action_on_failure)

    def post_artifacts(self, log: Any, step_run_ref: Any, run_id: str, step_key: str,
                       main_file: bytes, code_zip: bytes | None = None) -> list[str]:
        """Stage the remote side's entry point, the code zip (when deploying it) and the
        pickled step run ref; their keys."""
        staged = [(MAIN_FILE_NAME, main_file),
                  *([(CODE_ZIP_NAME, code_zip)] if code_zip is not None else []),
                  (PICKLED_STEP_RUN_REF_FILE_NAME, pickle.dumps(step_run_ref))]
        keys = []
        for name, data in staged:
            key = self._artifact_s3_key(run_id, step_key, name)
            log.debug(f"Uploading file {name} to {self.store.uri(key)}")
            self.store.put(key, data)
            keys.append(key)
        return keys

    def submit(self, log: Any, run_id: str, step_key: str, solid_name: str) -> str:
        """Add the step to the cluster; the EMR step id."""
        step_def = self._get_emr_step_def(run_id, step_key, solid_name)
        return self.emr_job_runner.add_job_flow_steps(log, self.cluster_id, [step_def])[0]

    def read_events(self, run_id: str, step_key: str) -> list[Any]:
        """What the remote side wrote to ``events.pkl`` so far (it rewrites the whole list);
        nothing yet when the file is not there."""
        try:
            data = self.store.get(self._artifact_s3_key(run_id, step_key,
                                                        PICKLED_EVENTS_FILE_NAME))
        except FileNotFoundError:
            return []
        return pickle.loads(data)


@resource({
    "spark_config": Field(Permissive(), is_required=False,
                          description="Spark configuration, nested or dotted keys."),
    "cluster_id": Field(StringSource, description="Name of the job flow (cluster) on which to "
                        "execute."),
    "region_name": Field(StringSource, description="The AWS region that the cluster is in."),
    "action_on_failure": Field(str, is_required=False, default_value="CANCEL_AND_WAIT"),
    "staging_bucket": Field(StringSource, is_required=True),
    "staging_prefix": Field(StringSource, is_required=False, default_value="emr_staging"),
    "wait_for_logs": Field(bool, is_required=False, default_value=False),
    "local_job_package_path": Field(StringSource, is_required=False),
    "local_pipeline_package_path": Field(StringSource, is_required=False),
    "deploy_local_job_package": Field(bool, is_required=False, default_value=False),
    "deploy_local_pipeline_package": Field(bool, is_required=False, default_value=False),
    "s3_job_package_path": Field(StringSource, is_required=False),
    "s3_pipeline_package_path": Field(StringSource, is_required=False),
    "endpoint_url": Field(StringSource, is_required=False,
                          description="orch: an EMR and S3 endpoint other than AWS's."),
    "poll_interval": Field(float, is_required=False, default_value=15.0,
                           description="orch: seconds between polls of the EMR step."),
})
def emr_pyspark_step_launcher(context: Any) -> EmrPySparkStepLauncher:
    c = context.resource_config
    return EmrPySparkStepLauncher(
        region_name=c["region_name"], staging_bucket=c["staging_bucket"],
        staging_prefix=c.get("staging_prefix", "emr_staging"),
        wait_for_logs=c.get("wait_for_logs", False),
        action_on_failure=c.get("action_on_failure", "CANCEL_AND_WAIT"),
        cluster_id=c["cluster_id"], spark_config=c.get("spark_config"),
        local_job_package_path=c.get("local_job_package_path")
        or c.get("local_pipeline_package_path"),
        deploy_local_job_package=c.get("deploy_local_job_package")
        or c.get("deploy_local_pipeline_package", False),
        s3_job_package_path=c.get("s3_job_package_path") or c.get("s3_pipeline_package_path"),
        endpoint_url=c.get("endpoint_url"), poll_interval=c.get("poll_interval", 15.0))
