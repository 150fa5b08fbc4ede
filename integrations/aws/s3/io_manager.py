"""``s3_pickle_io_manager`` (legacy ``dagster_aws.s3.io_manager``): each output pickled to
``s3://<s3_bucket>/<s3_prefix>/storage/<run_id>/<step_key>/<output>`` through the ``s3``
resource's endpoint and credentials; HANDLED_OUTPUT carries the object's ``uri``, as in
dagster-aws 0.15. Any machine with access to the bucket can load the inputs, so it suits
executors whose steps do not share a disk (multiprocess across containers, Dask)."""

from __future__ import annotations

from typing import Any

from orch.core.config import Field, StringSource
from orch.core.definitions.io_manager import io_manager
from orch.core.definitions.metadata import MetadataValue
from orch.core.storage.paths import check_path_component

from ...object_store import PickledObjectStoreIOManager
from .resources import s3_store


class PickledObjectS3IOManager(PickledObjectStoreIOManager):
    def __init__(self, s3_bucket: str, s3_session: Any, s3_prefix: str | None = "dagster"
                 ) -> None:
        check_path_component(s3_bucket, "s3_bucket")
        super().__init__(s3_store(s3_bucket, s3_session), s3_prefix or "dagster", label="S3")
        self.bucket = s3_bucket
        self.s3 = s3_session
        self.s3_prefix = self.prefix
        self.store.check_bucket()

    def handle_output(self, context: Any, obj: Any) -> None:
        super().handle_output(context, obj)
        context.add_output_metadata({"uri": MetadataValue.path(self.uri_for(context))})


@io_manager(
    config_schema={
        "s3_bucket": Field(StringSource),
        "s3_prefix": Field(StringSource, is_required=False, default_value="dagster"),
    },
    required_resource_keys={"s3"},
)
def s3_pickle_io_manager(init_context: Any) -> PickledObjectS3IOManager:
    """Persistent IO manager using S3 for storage (pickles; needs the ``s3`` resource)."""
    config = init_context.resource_config
    return PickledObjectS3IOManager(config["s3_bucket"], init_context.resources.s3,
                                    s3_prefix=config.get("s3_prefix"))
