"""BigQuery's config enums (string values: google-cloud-bigquery's constants are these
strings) and the dataset/table name rules of dagster-gcp."""

from __future__ import annotations

import re

from orch.core.config import Enum, EnumValue
from orch.core.errors import DagsterInvariantViolationError


class BigQueryError(Exception):
    pass


def _enum(name: str, *values: str) -> Enum:
    return Enum(name=name, enum_values=[EnumValue(v) for v in values])


BQCreateDisposition = _enum("BQCreateDisposition", "CREATE_IF_NEEDED", "CREATE_NEVER")
BQPriority = _enum("BQPriority", "BATCH", "INTERACTIVE")
BQSchemaUpdateOption = _enum("BQSchemaUpdateOption", "ALLOW_FIELD_ADDITION",
                             "ALLOW_FIELD_RELAXATION")
BQWriteDisposition = _enum("BQWriteDisposition", "WRITE_APPEND", "WRITE_EMPTY",
                           "WRITE_TRUNCATE")
BQEncoding = _enum("BQEncoding", "ISO-8859-1", "UTF-8")
BQSourceFormat = _enum("BQSourceFormat", "AVRO", "CSV", "DATASTORE_BACKUP",
                       "NEWLINE_DELIMITED_JSON", "ORC", "PARQUET")

RE_PROJECT = r"[\w\d\-\_]{1,1024}"
RE_DS_TABLE = r"[\w\d\_]{1,1024}"
RE_PARTITION_SUFFIX = r"(\$\d{8})?"
_DATASET = re.compile(rf"^{RE_PROJECT}\.{RE_DS_TABLE}$|^{RE_DS_TABLE}$")
_TABLE = re.compile(rf"^{RE_PROJECT}\.{RE_DS_TABLE}\.{RE_DS_TABLE}{RE_PARTITION_SUFFIX}$"
                    rf"|^{RE_DS_TABLE}\.{RE_DS_TABLE}{RE_PARTITION_SUFFIX}$")


def checked_dataset(value: str) -> str:
    if not _DATASET.match(value):
        raise DagsterInvariantViolationError(
            'Datasets must be of the form "project.dataset" or "dataset"')
    return value


def checked_table(value: str) -> str:
    if not _TABLE.match(value):
        raise DagsterInvariantViolationError(
            'Tables must be of the form "project.dataset.table" or "dataset.table" with '
            "optional date-partition suffix")
    return value
