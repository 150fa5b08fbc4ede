"""Config schemas of ``dataproc_resource`` and ``dataproc_solid`` (legacy
``dagster_gcp.dataproc.configs``): the Dataproc v1 REST API's ``ClusterConfig`` and ``Job``
fields that dagster-gcp 0.15.10 accepts, with its camelCase names. Every field of the two
bodies is optional and strict (an unknown key is a config error, as in dagster-gcp); the
resource's ``projectId``, ``region`` and ``clusterName`` and the job's ``projectId`` and
``region`` are required. orch adds ``api_endpoint``, ``anonymous`` and
``poll_interval_seconds`` to the resource.

The bodies are written below as data: a leaf is a type name, ``[x]`` a list of ``x``, a dict
a shape of optional fields."""

from __future__ import annotations

from typing import Any

from orch.core.config import (
    Bool,
    Field,
    Float,
    Int,
    Permissive,
    Shape,
    String,
    StringSource,
)

from .types import Component

_LOGGING = {"driverLogLevels": "Permissive"}
_QUERY_LIST = {"queries": ["String"]}
_INSTANCE_GROUP = {
    "accelerators": [{"acceleratorCount": "Int", "acceleratorTypeUri": "String"}],
    "numInstances": "Int",
    "diskConfig": {"numLocalSsds": "Int", "bootDiskSizeGb": "Int", "bootDiskType": "String"},
    "managedGroupConfig": {},
    "isPreemptible": "Bool",
    "imageUri": "String",
    "machineTypeUri": "String",
}

CLUSTER_CONFIG: dict[str, Any] = {
    "masterConfig": _INSTANCE_GROUP,
    "secondaryWorkerConfig": _INSTANCE_GROUP,
    "encryptionConfig": {"gcePdKmsKeyName": "String"},
    "securityConfig": {"kerberosConfig": {
        "truststorePasswordUri": "String",
        "enableKerberos": "Bool",
        "truststoreUri": "String",
        "crossRealmTrustRealm": "String",
        "rootPrincipalPasswordUri": "String",
        "kmsKeyUri": "String",
        "crossRealmTrustKdc": "String",
        "crossRealmTrustSharedPasswordUri": "String",
        "tgtLifetimeHours": "Int",
        "keystoreUri": "String",
        "keyPasswordUri": "String",
        "keystorePasswordUri": "String",
        "crossRealmTrustAdminServer": "String",
        "kdcDbKeyUri": "String",
    }},
    "initializationActions": [{"executionTimeout": "String", "executableFile": "String"}],
    "configBucket": "String",
    "workerConfig": _INSTANCE_GROUP,
    "gceClusterConfig": {
        "networkUri": "String",
        "zoneUri": "String",
        "metadata": "Permissive",
        "internalIpOnly": "Bool",
        "serviceAccountScopes": ["String"],
        "tags": ["String"],
        "serviceAccount": "String",
        "subnetworkUri": "String",
    },
    "softwareConfig": {
        "properties": "Permissive",
        "optionalComponents": ["Component"],
        "imageVersion": "String",
    },
}

JOB: dict[str, Any] = {
    "status": {},
    "placement": {"clusterName": "String"},
    "scheduling": {"maxFailuresPerHour": "Int"},
    "pigJob": {
        "queryFileUri": "String",
        "queryList": _QUERY_LIST,
        "jarFileUris": ["String"],
        "scriptVariables": "Permissive",
        "loggingConfig": _LOGGING,
        "properties": "Permissive",
        "continueOnFailure": "Bool",
    },
    "hiveJob": {
        "continueOnFailure": "Bool",
        "queryFileUri": "String",
        "queryList": _QUERY_LIST,
        "jarFileUris": ["String"],
        "scriptVariables": "Permissive",
        "properties": "Permissive",
    },
    "labels": "Permissive",
    "sparkJob": {
        "archiveUris": ["String"],
        "mainJarFileUri": "String",
        "jarFileUris": ["String"],
        "loggingConfig": _LOGGING,
        "properties": "Permissive",
        "args": ["String"],
        "fileUris": ["String"],
        "mainClass": "String",
    },
    "sparkSqlJob": {
        "queryList": _QUERY_LIST,
        "queryFileUri": "String",
        "scriptVariables": "Permissive",
        "jarFileUris": ["String"],
        "loggingConfig": _LOGGING,
        "properties": "Permissive",
    },
    "pysparkJob": {
        "jarFileUris": ["String"],
        "loggingConfig": _LOGGING,
        "properties": "Permissive",
        "args": ["String"],
        "fileUris": ["String"],
        "pythonFileUris": ["String"],
        "mainPythonFileUri": "String",
        "archiveUris": ["String"],
    },
    "reference": {"projectId": "String", "jobId": "String"},
    "hadoopJob": {
        "jarFileUris": ["String"],
        "loggingConfig": _LOGGING,
        "properties": "Permissive",
        "args": ["String"],
        "fileUris": ["String"],
        "mainClass": "String",
        "archiveUris": ["String"],
        "mainJarFileUri": "String",
    },
}

_LEAVES: dict[str, Any] = {"Int": Int, "String": String, "Bool": Bool,
                           "Component": Component}


def config_type(spec: Any) -> Any:
    """The config type a body spec above stands for."""
    if isinstance(spec, dict):
        return Shape({name: Field(config_type(sub), is_required=False)
                      for name, sub in spec.items()})
    if isinstance(spec, list):
        return [config_type(spec[0])]
    if spec == "Permissive":
        return Permissive()
    return _LEAVES[spec]


def define_dataproc_cluster_config() -> Field:
    return Field(config_type(CLUSTER_CONFIG), is_required=False,
                 description="The cluster's config (Dataproc's ClusterConfig).")


def define_dataproc_job_config() -> Field:
    return Field(config_type(JOB), is_required=False,
                 description="The job to submit (Dataproc's Job).")


def _project_id() -> Field:
    return Field(StringSource, is_required=True,
                 description="Required. Project ID for the project which the client acts on "
                             "behalf of.")


def _region() -> Field:
    return Field(StringSource, is_required=True)


def define_dataproc_create_cluster_config() -> dict[str, Any]:
    return {
        "projectId": _project_id(),
        "region": _region(),
        "clusterName": Field(StringSource, is_required=True,
                             description="Required. The cluster name. Cluster names within a "
                                         "project must be unique."),
        "cluster_config": define_dataproc_cluster_config(),
        "api_endpoint": Field(StringSource, is_required=False,
                              description="orch: a Dataproc endpoint other than Google's (an "
                                          "emulator or a test server)."),
        "anonymous": Field(Bool, is_required=False,
                           description="orch: anonymous credentials (a test server); "
                                       "default false."),
        "poll_interval_seconds": Field(Float, is_required=False,
                                       description="orch: seconds between two polls of a "
                                                   "cluster's or a job's state; default 5."),
    }


def define_dataproc_submit_job_config() -> dict[str, Any]:
    return {"job": define_dataproc_job_config(), "projectId": _project_id(),
            "region": _region()}
