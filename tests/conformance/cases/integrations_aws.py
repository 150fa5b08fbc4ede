"""dagster-aws's S3 parts as a legacy file uses them, against moto's S3 server started in this
process (ThreadedMotoServer; the SeaweedFS tests are tests/integrations/cloud/): the pickle IO
manager's keys and values, get_s3_keys after a cursor, the file manager and file_handle_to_s3's
materialization, and the cloudwatch logger's refusal of a missing group."""

import atexit
import os
import pickle

import boto3
from moto.server import ThreadedMotoServer
from orch.integrations.aws.cloudwatch import cloudwatch_logger
from orch.integrations.aws.s3 import (
    S3FileHandle,
    file_handle_to_s3,
    s3_file_manager,
    s3_pickle_io_manager,
    s3_resource,
)
from orch.integrations.aws.s3.sensor import get_s3_keys

from orch import (
    DynamicOutput,
    DynamicOutputDefinition,
    ModeDefinition,
    execute_pipeline,
    pipeline,
    solid,
)

os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                  AWS_DEFAULT_REGION="us-east-1")
_server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
_server.start()
atexit.register(_server.stop)
ENDPOINT = "http://%s:%d" % _server.get_host_and_port()
CLIENT = boto3.client("s3", endpoint_url=ENDPOINT, region_name="us-east-1")
CLIENT.create_bucket(Bucket="legacy-bucket")
S3 = {"endpoint_url": ENDPOINT, "region_name": "us-east-1"}


@solid
def numbers(context):
    return [1, 2, 3]


@solid(output_defs=[DynamicOutputDefinition(int)])
def fan(context, numbers):
    for n in numbers:
        yield DynamicOutput(n, mapping_key="n%d" % n)


@solid
def square(context, n):
    return n * n


@solid
def total(context, squares):
    return sum(squares)


@pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": s3_pickle_io_manager,
                                                   "s3": s3_resource})])
def squares():
    total(fan(numbers()).map(square).collect())


def _keys(prefix, run_id):
    listed = CLIENT.list_objects_v2(Bucket="legacy-bucket", Prefix=prefix)
    return sorted(o["Key"].replace(run_id, "<run>") for o in listed.get("Contents", []))


def run_pickle_io_manager():
    result = execute_pipeline(squares, run_config={"resources": {
        "io_manager": {"config": {"s3_bucket": "legacy-bucket", "s3_prefix": "team"}},
        "s3": {"config": S3}}})
    stored = CLIENT.get_object(Bucket="legacy-bucket",
                               Key="team/storage/%s/total/result" % result.run_id)
    return [result.success, _keys("team/", result.run_id),
            pickle.loads(stored["Body"].read())]


def run_pickle_io_manager_missing_bucket():
    return execute_pipeline(squares, raise_on_error=False, run_config={"resources": {
        "io_manager": {"config": {"s3_bucket": "no-such-bucket"}},
        "s3": {"config": S3}}}).success


def run_get_s3_keys():
    import time
    for key in ["in/c", "in/a", "in/b"]:
        CLIENT.put_object(Bucket="legacy-bucket", Key=key, Body=b"x")
        time.sleep(1.05)
    return [get_s3_keys("legacy-bucket", prefix="in/", s3_session=CLIENT),
            get_s3_keys("legacy-bucket", prefix="in/", since_key="in/c", s3_session=CLIENT),
            get_s3_keys("legacy-bucket", prefix="in/", since_key="in/b", s3_session=CLIENT),
            get_s3_keys("legacy-bucket", prefix="in/", since_key="nope", s3_session=CLIENT)]


@solid(required_resource_keys={"file_manager"})
def write_file(context):
    return context.resources.file_manager.write_data(b"hello", ext="txt")


@solid(required_resource_keys={"file_manager"})
def read_file(context, s3_file_handle):
    return [s3_file_handle.s3_path, context.resources.file_manager.read_data(s3_file_handle)]


@pipeline(mode_defs=[ModeDefinition(resource_defs={"s3": s3_resource,
                                                   "file_manager": s3_file_manager})])
def files():
    read_file(file_handle_to_s3(write_file()))


def run_file_manager_and_file_handle_to_s3():
    result = execute_pipeline(files, run_config={
        "resources": {"s3": {"config": S3},
                      "file_manager": {"config": {**S3, "s3_bucket": "legacy-bucket",
                                                  "s3_prefix": "fm"}}},
        "solids": {"file_handle_to_s3": {"config": {"Bucket": "legacy-bucket",
                                                     "Key": "out/final.txt"}}}})
    handle = result.result_for_solid("write_file").output_value()
    mats = result.result_for_solid("file_handle_to_s3").materializations_during_compute
    return [result.success, isinstance(handle, S3FileHandle), handle.s3_key.startswith("fm/"),
            handle.s3_key.endswith(".txt"), handle.path_desc == handle.s3_path,
            [str(v) if isinstance(v, str) else v.decode()
             for v in result.result_for_solid("read_file").output_value()],
            [[m.asset_key.path, [e.label for e in m.metadata_entries]] for m in mats]]


@solid
def hello(context):
    context.log.info("hello")


@pipeline(mode_defs=[ModeDefinition(logger_defs={"cloudwatch": cloudwatch_logger})])
def logged():
    hello()


def run_cloudwatch_missing_group():
    os.environ["AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"] = ENDPOINT
    return execute_pipeline(logged, run_config={"loggers": {"cloudwatch": {"config": {
        "log_group_name": "/missing", "log_stream_name": "s", "aws_region": "us-east-1"}}}})


def run_cloudwatch_logs_records():
    import json
    logs = boto3.client("logs", endpoint_url=ENDPOINT, region_name="us-east-1")
    logs.create_log_group(logGroupName="/legacy")
    logs.create_log_stream(logGroupName="/legacy", logStreamName="s")
    os.environ["AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"] = ENDPOINT
    result = execute_pipeline(logged, run_config={"loggers": {"cloudwatch": {"config": {
        "log_group_name": "/legacy", "log_stream_name": "s", "aws_region": "us-east-1"}}}})
    events = logs.get_log_events(logGroupName="/legacy", logStreamName="s",
                                 startFromHead=True)["events"]
    records = [json.loads(e["message"]) for e in events]
    return [result.success, any(r["msg"].endswith("hello") or "hello" in r["msg"]
                                for r in records),
            sorted({r["levelname"] for r in records}), sorted({r["name"] for r in records})]
