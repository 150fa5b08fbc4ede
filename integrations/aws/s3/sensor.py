"""``get_s3_keys`` (legacy ``dagster_aws.s3.sensor``), for sensors that launch a run per new
object::

    @sensor(pipeline_name="ingest")
    def new_files(context):
        keys = get_s3_keys("landing", prefix="in/", since_key=context.cursor)
        for key in keys:
            yield RunRequest(run_key=key, run_config=...)
        if keys:
            context.update_cursor(keys[-1])
"""

from __future__ import annotations

from typing import Any

from .resources import s3_store


def get_s3_keys(bucket: str, prefix: str = "", since_key: str | None = None,
                s3_session: Any = None) -> list[str]:
    """The keys under ``prefix``, oldest first (by LastModified); only those after
    ``since_key`` when it is one of them, else all. ``s3_session`` is a boto3 S3 client
    whose endpoint and credentials are used (default: boto3's own chain, which honours
    ``AWS_ENDPOINT_URL``)."""
    if not isinstance(bucket, str) or not isinstance(prefix, str):
        raise TypeError("get_s3_keys: bucket and prefix must be str")
    if since_key is not None and not isinstance(since_key, str):
        raise TypeError("get_s3_keys: since_key must be a str or None")
    # Without a session, the credential chain is read afresh on every call (not through
    # boto3's process-wide default session, which keeps the first credentials it resolved).
    keys = [info.key for info in s3_store(bucket, s3_session).list(prefix)]
    if not since_key or since_key not in keys:
        return keys
    return keys[keys.index(since_key) + 1:]
