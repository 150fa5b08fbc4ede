"""Dataproc's error and config enum (legacy ``dagster_gcp.dataproc.types`` and
``types_dataproc_cluster``)."""

from __future__ import annotations

from orch.core.config import Enum, EnumValue


class DataprocError(Exception):
    pass


# softwareConfig.optionalComponents, as dagster-gcp 0.15.10 lists them
Component = Enum(name="Component", enum_values=[
    EnumValue("COMPONENT_UNSPECIFIED", description="Unspecified component."),
    EnumValue("ANACONDA", description="The Anaconda python distribution."),
    EnumValue("HIVE_WEBHCAT", description="The Hive Web HCatalog (the REST service for "
                                          "accessing HCatalog)."),
    EnumValue("JUPYTER", description="The Jupyter Notebook."),
    EnumValue("ZEPPELIN", description="The Zeppelin notebook."),
])
