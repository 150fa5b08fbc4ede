"""An S3 landing zone: ``new_s3_objects`` launches one ``ingest_object`` run per object that
arrives under ``ORCH_SAMPLE_S3_PREFIX`` (default ``landing/``) in ``ORCH_SAMPLE_S3_BUCKET``,
keeping the last key it launched for as its cursor. Install ``orch[aws]``; the endpoint and
credentials come from boto3's chain (``AWS_ENDPOINT_URL`` for an S3-compatible server)::

    export ORCH_SAMPLE_S3_BUCKET=landing-zone AWS_ENDPOINT_URL=http://127.0.0.1:9000
    orch sensor preview -f sample_repo/s3_landing.py new_s3_objects
    orch sensor start -f sample_repo/s3_landing.py new_s3_objects
    orch sensor tick -f sample_repo/s3_landing.py
"""

import os

from orch.integrations.aws.s3 import get_s3_keys, s3_resource

from orch import (
    Field,
    ModeDefinition,
    RunRequest,
    SkipReason,
    pipeline,
    repository,
    sensor,
    solid,
)


def _bucket() -> str:
    return os.environ.get("ORCH_SAMPLE_S3_BUCKET", "landing-zone")


@solid(config_schema={"bucket": Field(str), "key": Field(str)},
       required_resource_keys={"s3"})
def read_object(context) -> int:
    body = context.resources.s3.get_object(Bucket=context.solid_config["bucket"],
                                           Key=context.solid_config["key"])["Body"].read()
    context.log.info(f"{context.solid_config['key']}: {len(body)} bytes")
    return len(body)


@pipeline(mode_defs=[ModeDefinition(resource_defs={"s3": s3_resource})])
def ingest_object():
    read_object()


@sensor(pipeline_name="ingest_object", minimum_interval_seconds=30)
def new_s3_objects(context):
    keys = get_s3_keys(_bucket(), prefix=os.environ.get("ORCH_SAMPLE_S3_PREFIX", "landing/"),
                       since_key=context.cursor)
    if not keys:
        yield SkipReason(f"no new objects in s3://{_bucket()} after {context.cursor!r}")
        return
    for key in keys:
        yield RunRequest(run_key=key, run_config={"solids": {"read_object": {"config": {
            "bucket": _bucket(), "key": key}}}})
    context.update_cursor(keys[-1])


@repository
def s3_landing():
    return [ingest_object, new_s3_objects]
