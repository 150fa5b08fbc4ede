"""The EMR control path (orch.integrations.aws.emr) against moto's server, which keeps EMR's
control plane (clusters, steps, tags) and S3 but runs nothing: its steps stay RUNNING. What is
tested: cluster creation with tags, lookup by name, the launcher's step definition submitted
and described, polling (RUNNING is not complete, a wait times out), staged artifacts and
events read back from the staging bucket. Not tested: a step actually running on Spark
(nothing executes on moto), a failed or completed step (moto cannot move a step out of RUNNING,
nor cancel it), and launching a solid through the launcher (orch's executors do
not hand steps to resource step launchers)."""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterator

import pytest

from ..cloud_servers import moto_server
from ..conftest import require

require("aws", "boto3")

CLUSTER = {"Name": "orch-cluster", "ReleaseLabel": "emr-6.10.0",
           "Instances": {"InstanceCount": 1, "KeepJobFlowAliveWhenNoSteps": True,
                         "MasterInstanceType": "m5.xlarge"},
           "JobFlowRole": "EMR_EC2_DefaultRole", "ServiceRole": "EMR_DefaultRole",
           "Tags": [{"Key": "team", "Value": "data"}]}


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("moto-emr")) as endpoint:
        yield endpoint


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)


def test_cluster_steps_and_polling(moto: str, caplog: pytest.LogCaptureFixture) -> None:
    from orch.integrations.aws.emr import EmrError, EmrJobRunner, EmrStepState

    log = logging.getLogger("emr-test")
    runner = EmrJobRunner("us-east-1", check_cluster_every=0.05, endpoint_url=moto)
    with caplog.at_level(logging.DEBUG, "emr-test"):
        cluster_id = runner.run_job_flow(log, CLUSTER)
    assert cluster_id.startswith("j-")
    assert f"Created new cluster {cluster_id}" in caplog.text
    tags = {t["Key"]: t["Value"] for t in runner.describe_cluster(cluster_id)["Cluster"]["Tags"]}
    assert tags["team"] == "data" and "__dagster_version" in tags
    assert runner.cluster_id_from_name("orch-cluster") == cluster_id
    with pytest.raises(EmrError, match="cluster nope not found in region us-east-1"):
        runner.cluster_id_from_name("nope")

    step = EmrJobRunner.construct_step_dict_for_command("echo", ["echo", "hi"])
    (step_id,) = runner.add_job_flow_steps(log, cluster_id, [step])
    state = runner.describe_step(cluster_id, step_id)["Step"]["Status"]["State"]
    assert EmrStepState(state) in (EmrStepState.Pending, EmrStepState.Running)
    assert runner.is_emr_step_complete(log, cluster_id, step_id) is False
    with pytest.raises(EmrError, match=r"did not complete in 0\.2s"):
        runner.wait_for_steps_to_complete(log, cluster_id, [step_id], timeout=0.2)



def test_launcher_step_definition_artifacts_and_events(moto: str) -> None:
    import boto3
    from orch.integrations.aws.emr import EmrJobRunner, emr_pyspark_step_launcher

    boto3.client("s3", endpoint_url=moto, region_name="us-east-1").create_bucket(
        Bucket="staging")
    cluster_id = EmrJobRunner("us-east-1", endpoint_url=moto).run_job_flow(
        logging.getLogger("emr-test"), CLUSTER)
    from orch import build_init_resource_context

    launcher = emr_pyspark_step_launcher(build_init_resource_context(config={
        "cluster_id": cluster_id, "region_name": "us-east-1", "staging_bucket": "staging",
        "endpoint_url": moto, "poll_interval": 0.05,
        "spark_config": {"spark": {"executor": {"memory": "2g"}}}}))
    step_def = launcher._get_emr_step_def("run-1", "sq[n1]", "sq")
    assert step_def["Name"] == "Execute Solid/Op sq"
    assert step_def["ActionOnFailure"] == "CANCEL_AND_WAIT"
    assert step_def["HadoopJarStep"]["Args"] == [
        "/usr/lib/spark/bin/spark-submit", "--master", "yarn", "--deploy-mode", "client",
        "--conf", "spark.executor.memory=2g", "--conf", "spark.app.name=sq",
        "--py-files", "s3://staging/emr_staging/run-1/sq__n1__/code.zip",
        "s3://staging/emr_staging/run-1/sq__n1__/emr_step_main.py", "staging",
        "emr_staging/run-1/sq__n1__/step_run_ref.pkl"]

    log = logging.getLogger("emr-test")
    keys = launcher.post_artifacts(log, {"step": "sq[n1]"}, "run-1", "sq[n1]",
                                   main_file=b"print('main')", code_zip=b"PK")
    assert keys == ["emr_staging/run-1/sq__n1__/emr_step_main.py",
                    "emr_staging/run-1/sq__n1__/code.zip",
                    "emr_staging/run-1/sq__n1__/step_run_ref.pkl"]
    assert launcher.read_events("run-1", "sq[n1]") == []  # the remote side wrote nothing yet
    # What the remote half (emr_step_main) writes: the whole event list each time.
    launcher.store.put("emr_staging/run-1/sq__n1__/events.pkl", pickle.dumps(["a", "b"]))
    assert launcher.read_events("run-1", "sq[n1]") == ["a", "b"]

    step_id = launcher.submit(log, "run-1", "sq[n1]", "sq")
    described = launcher.emr_job_runner.describe_step(cluster_id, step_id)["Step"]
    assert described["Name"] == "Execute Solid/Op sq"
    assert described["Config"]["Args"] == step_def["HadoopJarStep"]["Args"]

    with pytest.raises(Exception, match='cannot set Spark master on EMR to anything other'):
        launcher.spark_config = {"spark": {"master": "local[2]"}}
        launcher._get_emr_step_def("run-1", "sq", "sq")
