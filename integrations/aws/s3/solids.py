"""``S3Coordinate`` and ``file_handle_to_s3`` (legacy ``dagster_aws.s3.solids``/``ops``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from orch.core.config import Field, StringSource
from orch.core.definitions.events import AssetMaterialization, Output
from orch.core.definitions.io_defs import InputDefinition, OutputDefinition
from orch.core.definitions.metadata import MetadataValue
from orch.core.definitions.solid import solid
from orch.core.definitions.types import PythonObjectDagsterType, dagster_type_loader

from ...object_store import FileHandle
from .file_manager import S3FileHandle


def dict_with_fields(name: str, fields: dict[str, Field]) -> PythonObjectDagsterType:
    """A dict type loaded from config with exactly ``fields``."""
    names = set(fields)

    @dagster_type_loader(fields)
    def _input_schema(_context: Any, value: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(value, dict) or set(value) != names:
            raise ValueError(f"{name} takes exactly {sorted(names)}, got {value!r}")
        return value

    return PythonObjectDagsterType(python_type=dict, name=name, loader=_input_schema)


S3Coordinate = dict_with_fields(
    "S3Coordinate",
    fields={"bucket": Field(StringSource, description="S3 bucket name"),
            "key": Field(StringSource, description="S3 key name")},
)


def last_key(key: str) -> str:
    return key.rsplit("/", 1)[-1]


@solid(
    config_schema={
        "Bucket": Field(StringSource, is_required=True,
                        description="The name of the bucket to upload to."),
        "Key": Field(StringSource, is_required=True,
                     description="The name of the key to upload to."),
    },
    input_defs=[InputDefinition("file_handle", FileHandle, description="The file to upload.")],
    output_defs=[OutputDefinition(name="s3_file_handle", dagster_type=S3FileHandle)],
    description="Take a file handle and upload it to s3. Returns an S3FileHandle.",
    required_resource_keys={"s3", "file_manager"},
)
def file_handle_to_s3(context: Any, file_handle: FileHandle) -> Iterator[Any]:
    bucket = context.solid_config["Bucket"]
    key = context.solid_config["Key"]
    with context.resources.file_manager.read(file_handle, "rb") as fileobj:
        context.resources.s3.upload_fileobj(fileobj, bucket, key)
        s3_file_handle = S3FileHandle(bucket, key)
        yield AssetMaterialization(
            asset_key=s3_file_handle.s3_path,
            metadata={last_key(key): MetadataValue.path(s3_file_handle.s3_path)},
        )
        yield Output(value=s3_file_handle, output_name="s3_file_handle")
