"""orch: a local-first data orchestrator with a terminal workbench.

Pipelines are written with the legacy Dagster solid API; a file written for it runs with only
its import line changed to ``from orch import ...``.

Names are imported on first use (PEP 562), so ``import orch.cli`` stays fast and a
script pays only for what it uses.
"""

from __future__ import annotations

import importlib as _importlib
from typing import TYPE_CHECKING

_EXPORTS: dict[str, tuple[str, str]] = {
    "RunRequest": ("orch.core.definitions.schedules", "RunRequest"),
    "SkipReason": ("orch.core.definitions.schedules", "SkipReason"),
    "ScheduleDefinition": ("orch.core.definitions.schedules", "ScheduleDefinition"),
    "schedule": ("orch.core.definitions.schedules", "schedule"),
    "ScheduleEvaluationContext": ("orch.core.definitions.schedules", "ScheduleEvaluationContext"),
    "ScheduleExecutionContext": ("orch.core.definitions.schedules", "ScheduleExecutionContext"),
    "build_schedule_context": ("orch.core.definitions.schedules", "build_schedule_context"),
    "ScheduleExecutionError": ("orch.core.definitions.schedules", "ScheduleExecutionError"),
    "SensorDefinition": ("orch.core.definitions.sensors", "SensorDefinition"),
    "sensor": ("orch.core.definitions.sensors", "sensor"),
    "SensorEvaluationContext": ("orch.core.definitions.sensors", "SensorEvaluationContext"),
    "SensorExecutionContext": ("orch.core.definitions.sensors", "SensorExecutionContext"),
    "build_sensor_context": ("orch.core.definitions.sensors", "build_sensor_context"),
    "asset_sensor": ("orch.core.definitions.sensors", "asset_sensor"),
    "AssetSensorDefinition": ("orch.core.definitions.sensors", "AssetSensorDefinition"),
    "run_status_sensor": ("orch.core.definitions.sensors", "run_status_sensor"),
    "pipeline_failure_sensor": ("orch.core.definitions.sensors", "pipeline_failure_sensor"),
    "run_failure_sensor": ("orch.core.definitions.sensors", "run_failure_sensor"),
    "RunStatusSensorContext": ("orch.core.definitions.sensors", "RunStatusSensorContext"),
    "PipelineFailureSensorContext": ("orch.core.definitions.sensors", "PipelineFailureSensorContext"),
    "RunStatusSensorDefinition": ("orch.core.definitions.sensors", "RunStatusSensorDefinition"),
    "build_run_status_sensor_context": ("orch.core.definitions.sensors", "build_run_status_sensor_context"),
    "hourly_schedule": ("orch.core.definitions.partitions", "hourly_schedule"),
    "daily_schedule": ("orch.core.definitions.partitions", "daily_schedule"),
    "weekly_schedule": ("orch.core.definitions.partitions", "weekly_schedule"),
    "monthly_schedule": ("orch.core.definitions.partitions", "monthly_schedule"),
    "Partition": ("orch.core.definitions.partitions", "Partition"),
    "PartitionSetDefinition": ("orch.core.definitions.partitions", "PartitionSetDefinition"),
    "PartitionScheduleDefinition": ("orch.core.definitions.partitions", "PartitionScheduleDefinition"),
    "date_partition_range": ("orch.core.definitions.partitions", "date_partition_range"),
    "schedule_from_partitions": ("orch.core.definitions.partitions", "schedule_from_partitions"),
    "build_schedule_from_partitioned_job": ("orch.core.definitions.partitions", "build_schedule_from_partitioned_job"),
    "identity_partition_selector": ("orch.core.definitions.partitions", "identity_partition_selector"),
    "create_offset_partition_selector": ("orch.core.definitions.partitions", "create_offset_partition_selector"),
    "DagsterUnknownPartitionError": ("orch.core.definitions.partitions", "DagsterUnknownPartitionError"),
    "file_relative_path": ("orch.core.legacy_helpers", "file_relative_path"),
    "build_output_context": ("orch.core.legacy_helpers", "build_output_context"),
    "build_input_context": ("orch.core.legacy_helpers", "build_input_context"),
    "validate_run_config": ("orch.core.legacy_helpers", "validate_run_config"),
    "check_dagster_type": ("orch.core.legacy_helpers", "check_dagster_type"),
    "configured": ("orch.core.legacy_helpers", "configured"),
    "DagsterInstance": ("orch.core.legacy_helpers", "DagsterInstance"),
    "reexecute_pipeline": ("orch.core.execution.reexecution", "reexecute_pipeline"),
    "DagsterTypeCheckError": ("orch.core.errors", "DagsterTypeCheckError"),
    "DagsterTypeLoadingError": ("orch.core.errors", "DagsterTypeLoadingError"),
    "DagsterUnmetExecutorRequirementsError": ("orch.core.errors", "DagsterUnmetExecutorRequirementsError"),
    "Any": ("orch.core.definitions.types", "Any"),
    "Array": ("orch.core.config", "Array"),
    "AssetKey": ("orch.core.definitions.events", "AssetKey"),
    "AssetMaterialization": ("orch.core.definitions.events", "AssetMaterialization"),
    "Backoff": ("orch.core.definitions.retry", "Backoff"),
    "Bool": ("orch.core.definitions.types", "Bool"),
    "BoolSource": ("orch.core.config", "BoolSource"),
    "CompositeSolidDefinition": ("orch.core.definitions.composite", "CompositeSolidDefinition"),
    "DagsterError": ("orch.core.errors", "DagsterError"),
    "DagsterEvent": ("orch.core.events", "DagsterEvent"),
    "DagsterEventType": ("orch.core.events", "DagsterEventType"),
    "DagsterExecutionInterruptedError": ("orch.core.errors", "DagsterExecutionInterruptedError"),
    "DagsterExecutionStepExecutionError": ("orch.core.errors", "DagsterExecutionStepExecutionError"),
    "DagsterExecutionStepNotFoundError": ("orch.core.errors", "DagsterExecutionStepNotFoundError"),
    "DagsterInvalidConfigDefinitionError": ("orch.core.config", "DagsterInvalidConfigDefinitionError"),
    "DagsterInvalidConfigError": ("orch.core.config", "DagsterInvalidConfigError"),
    "DagsterInvalidDefinitionError": ("orch.core.errors", "DagsterInvalidDefinitionError"),
    "DagsterInvalidInvocationError": ("orch.core.errors", "DagsterInvalidInvocationError"),
    "DagsterInvalidSubsetError": ("orch.core.errors", "DagsterInvalidSubsetError"),
    "DagsterInvariantViolationError": ("orch.core.errors", "DagsterInvariantViolationError"),
    "DagsterResourceFunctionError": ("orch.core.errors", "DagsterResourceFunctionError"),
    "DagsterRunStatus": ("orch.core.runs", "DagsterRunStatus"),
    "DagsterStepOutputNotFoundError": ("orch.core.errors", "DagsterStepOutputNotFoundError"),
    "DagsterType": ("orch.core.definitions.types", "DagsterType"),
    "DagsterTypeCheckDidNotPass": ("orch.core.errors", "DagsterTypeCheckDidNotPass"),
    "DagsterTypeLoader": ("orch.core.definitions.types", "DagsterTypeLoader"),
    "DagsterUnknownResourceError": ("orch.core.errors", "DagsterUnknownResourceError"),
    "DagsterUserCodeExecutionError": ("orch.core.errors", "DagsterUserCodeExecutionError"),
    "DependencyDefinition": ("orch.core.definitions.dependency", "DependencyDefinition"),
    "Dict": ("orch.core.definitions.types", "Dict"),
    "DynamicCollectDependencyDefinition": ("orch.core.definitions.dependency", "DynamicCollectDependencyDefinition"),
    "DynamicOutput": ("orch.core.definitions.events", "DynamicOutput"),
    "DynamicOutputDefinition": ("orch.core.definitions.io_defs", "DynamicOutputDefinition"),
    "Enum": ("orch.core.config", "Enum"),
    "EnumValue": ("orch.core.config", "EnumValue"),
    "EventRecord": ("orch.core.events", "EventRecord"),
    "EventType": ("orch.core.events", "EventType"),
    "Executor": ("orch.core.execution.executor", "Executor"),
    "ExecutorDefinition": ("orch.core.execution.executor", "ExecutorDefinition"),
    "ExpectationResult": ("orch.core.definitions.events", "ExpectationResult"),
    "Failure": ("orch.core.definitions.events", "Failure"),
    "Field": ("orch.core.config", "Field"),
    "Float": ("orch.core.definitions.types", "Float"),
    "HookContext": ("orch.core.execution.context", "HookContext"),
    "HookDefinition": ("orch.core.definitions.hooks", "HookDefinition"),
    "IOManager": ("orch.core.definitions.io_manager", "IOManager"),
    "IOManagerDefinition": ("orch.core.definitions.io_manager", "IOManagerDefinition"),
    "InitResourceContext": ("orch.core.execution.context", "InitResourceContext"),
    "InputContext": ("orch.core.execution.context", "InputContext"),
    "InputDefinition": ("orch.core.definitions.io_defs", "InputDefinition"),
    "Int": ("orch.core.definitions.types", "Int"),
    "IntSource": ("orch.core.config", "IntSource"),
    "Jitter": ("orch.core.definitions.retry", "Jitter"),
    "List": ("orch.core.definitions.types", "List"),
    "LoggerDefinition": ("orch.core.execution.loggers", "LoggerDefinition"),
    "Materialization": ("orch.core.definitions.events", "Materialization"),
    "ModeDefinition": ("orch.core.definitions.mode", "ModeDefinition"),
    "MultiDependencyDefinition": ("orch.core.definitions.dependency", "MultiDependencyDefinition"),
    "Noneable": ("orch.core.config", "Noneable"),
    "Nothing": ("orch.core.definitions.types", "Nothing"),
    "Optional": ("orch.core.definitions.types", "Optional"),
    "Output": ("orch.core.definitions.events", "Output"),
    "OutputContext": ("orch.core.execution.context", "OutputContext"),
    "OutputDefinition": ("orch.core.definitions.io_defs", "OutputDefinition"),
    "Permissive": ("orch.core.config", "Permissive"),
    "PipelineDefinition": ("orch.core.definitions.pipeline", "PipelineDefinition"),
    "PipelineExecutionResult": ("orch.core.execution.results", "PipelineExecutionResult"),
    "PipelineRun": ("orch.core.runs", "PipelineRun"),
    "PipelineRunStatus": ("orch.core.runs", "PipelineRunStatus"),
    "PresetDefinition": ("orch.core.definitions.preset", "PresetDefinition"),
    "PythonObjectDagsterType": ("orch.core.definitions.types", "PythonObjectDagsterType"),
    "ReconstructablePipeline": ("orch.core.definitions.reconstructable", "ReconstructablePipeline"),
    "RepositoryDefinition": ("orch.core.definitions.repository", "RepositoryDefinition"),
    "ResourceDefinition": ("orch.core.definitions.resource", "ResourceDefinition"),
    "RetryPolicy": ("orch.core.definitions.retry", "RetryPolicy"),
    "RetryRequested": ("orch.core.definitions.events", "RetryRequested"),
    "RootInputManager": ("orch.core.definitions.io_manager", "RootInputManager"),
    "RootInputManagerDefinition": ("orch.core.definitions.io_manager", "RootInputManagerDefinition"),
    "ScalarUnion": ("orch.core.config", "ScalarUnion"),
    "Selector": ("orch.core.config", "Selector"),
    "Set": ("orch.core.definitions.types", "Set"),
    "Shape": ("orch.core.config", "Shape"),
    "SolidDefinition": ("orch.core.definitions.solid", "SolidDefinition"),
    "SolidExecutionContext": ("orch.core.execution.context", "SolidExecutionContext"),
    "SolidExecutionResult": ("orch.core.execution.results", "SolidExecutionResult"),
    "SolidInvocation": ("orch.core.definitions.dependency", "SolidInvocation"),
    "String": ("orch.core.definitions.types", "String"),
    "StringSource": ("orch.core.config", "StringSource"),
    "Tuple": ("orch.core.definitions.types", "Tuple"),
    "TypeCheck": ("orch.core.definitions.events", "TypeCheck"),
    "build_init_resource_context": ("orch.core.execution.context", "build_init_resource_context"),
    "build_solid_context": ("orch.core.execution.context", "build_solid_context"),
    "composite_solid": ("orch.core.definitions.composite", "composite_solid"),
    "dagster_type_loader": ("orch.core.definitions.types", "dagster_type_loader"),
    "dagster_type_materializer": ("orch.core.definitions.types", "dagster_type_materializer"),
    "DagsterTypeMaterializer": ("orch.core.definitions.types", "DagsterTypeMaterializer"),
    "execute_pipeline": ("orch.core.execution.api", "execute_pipeline"),
    "execute_pipeline_iterator": ("orch.core.execution.api", "execute_pipeline_iterator"),
    "execute_solid": ("orch.core.execution.api", "execute_solid"),
    "executor": ("orch.core.execution.executor", "executor"),
    "failure_hook": ("orch.core.definitions.hooks", "failure_hook"),
    "fs_io_manager": ("orch.core.definitions.io_manager", "fs_io_manager"),
    "io_manager": ("orch.core.definitions.io_manager", "io_manager"),
    "lambda_solid": ("orch.core.definitions.solid", "lambda_solid"),
    "logger": ("orch.core.execution.loggers", "logger"),
    "make_python_type_usable_as_dagster_type": ("orch.core.definitions.types", "make_python_type_usable_as_dagster_type"),
    "mem_io_manager": ("orch.core.definitions.io_manager", "mem_io_manager"),
    "pipeline": ("orch.core.definitions.pipeline", "pipeline"),
    "reconstructable": ("orch.core.definitions.reconstructable", "reconstructable"),
    "repository": ("orch.core.definitions.repository", "repository"),
    "resource": ("orch.core.definitions.resource", "resource"),
    "root_input_manager": ("orch.core.definitions.io_manager", "root_input_manager"),
    "scaffold_run_config": ("orch.core.execution.run_config", "scaffold_run_config"),
    "solid": ("orch.core.definitions.solid", "solid"),
    "success_hook": ("orch.core.definitions.hooks", "success_hook"),
    "usable_as_dagster_type": ("orch.core.definitions.types", "usable_as_dagster_type"),
    "BoolMetadataValue": ("orch.core.definitions.metadata", "BoolMetadataValue"),
    "DagsterAssetMetadataValue": ("orch.core.definitions.metadata", "DagsterAssetMetadataValue"),
    "DagsterInvalidMetadata": ("orch.core.errors", "DagsterInvalidMetadata"),
    "DagsterRunMetadataValue": ("orch.core.definitions.metadata", "DagsterRunMetadataValue"),
    "EventMetadata": ("orch.core.definitions.metadata", "EventMetadata"),
    "EventMetadataEntry": ("orch.core.definitions.metadata", "EventMetadataEntry"),
    "FloatMetadataValue": ("orch.core.definitions.metadata", "FloatMetadataValue"),
    "IntMetadataValue": ("orch.core.definitions.metadata", "IntMetadataValue"),
    "JsonMetadataValue": ("orch.core.definitions.metadata", "JsonMetadataValue"),
    "MarkdownMetadataValue": ("orch.core.definitions.metadata", "MarkdownMetadataValue"),
    "MetadataEntry": ("orch.core.definitions.metadata", "MetadataEntry"),
    "MetadataValue": ("orch.core.definitions.metadata", "MetadataValue"),
    "PathMetadataValue": ("orch.core.definitions.metadata", "PathMetadataValue"),
    "PythonArtifactMetadataValue": ("orch.core.definitions.metadata", "PythonArtifactMetadataValue"),
    "TextMetadataValue": ("orch.core.definitions.metadata", "TextMetadataValue"),
    "UrlMetadataValue": ("orch.core.definitions.metadata", "UrlMetadataValue"),
    "CompositeSolidExecutionResult": ("orch.core.execution.results", "CompositeSolidExecutionResult"),
    "DagsterRun": ("orch.core.runs", "DagsterRun"),
    "DagsterRunNotFoundError": ("orch.core.errors", "DagsterRunNotFoundError"),
    "InitExecutorContext": ("orch.core.execution.executor", "InitExecutorContext"),
    "InputMapping": ("orch.core.definitions.io_defs", "InputMapping"),
    "OutputMapping": ("orch.core.definitions.io_defs", "OutputMapping"),
    "config_from_files": ("orch.core.definitions.preset", "config_from_files"),
    "config_from_pkg_resources": ("orch.core.definitions.preset", "config_from_pkg_resources"),
    "config_from_yaml_strings": ("orch.core.definitions.preset", "config_from_yaml_strings"),
    "default_executors": ("orch.executors.defaults", "default_executors"),
    "execute_solid_within_pipeline": ("orch.core.execution.api", "execute_solid_within_pipeline"),
    "execute_solids_within_pipeline": ("orch.core.execution.api", "execute_solids_within_pipeline"),
    "in_process_executor": ("orch.executors.defaults", "in_process_executor"),
    "multiprocess_executor": ("orch.executors.defaults", "multiprocess_executor"),
    "build_hook_context": ("orch.core.execution.context", "build_hook_context"),
    "reexecute_pipeline_iterator": ("orch.core.execution.reexecution", "reexecute_pipeline_iterator"),
    "Map": ("orch.core.config", "Map"),
    "make_values_resource": ("orch.core.definitions.resource", "make_values_resource"),
    "InitLoggerContext": ("orch.core.execution.loggers", "InitLoggerContext"),
    "build_init_logger_context": ("orch.core.execution.loggers", "build_init_logger_context"),
    "colored_console_logger": ("orch.core.execution.loggers", "colored_console_logger"),
    "default_loggers": ("orch.core.execution.loggers", "default_loggers"),
    "json_console_logger": ("orch.core.execution.loggers", "json_console_logger"),
    "DagsterConfigMappingFunctionError": ("orch.core.errors", "DagsterConfigMappingFunctionError"),
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # the real names for type checkers and editors; kept in step with _EXPORTS by tests/test_public_api.py
    from orch.core.config import (
        Array as Array,
    )
    from orch.core.config import (
        BoolSource as BoolSource,
    )
    from orch.core.config import (
        DagsterInvalidConfigDefinitionError as DagsterInvalidConfigDefinitionError,
    )
    from orch.core.config import (
        DagsterInvalidConfigError as DagsterInvalidConfigError,
    )
    from orch.core.config import (
        Enum as Enum,
    )
    from orch.core.config import (
        EnumValue as EnumValue,
    )
    from orch.core.config import (
        Field as Field,
    )
    from orch.core.config import (
        IntSource as IntSource,
    )
    from orch.core.config import (
        Map as Map,
    )
    from orch.core.config import (
        Noneable as Noneable,
    )
    from orch.core.config import (
        Permissive as Permissive,
    )
    from orch.core.config import (
        ScalarUnion as ScalarUnion,
    )
    from orch.core.config import (
        Selector as Selector,
    )
    from orch.core.config import (
        Shape as Shape,
    )
    from orch.core.config import (
        StringSource as StringSource,
    )
    from orch.core.definitions.composite import (
        CompositeSolidDefinition as CompositeSolidDefinition,
    )
    from orch.core.definitions.composite import (
        composite_solid as composite_solid,
    )
    from orch.core.definitions.dependency import (
        DependencyDefinition as DependencyDefinition,
    )
    from orch.core.definitions.dependency import (
        DynamicCollectDependencyDefinition as DynamicCollectDependencyDefinition,
    )
    from orch.core.definitions.dependency import (
        MultiDependencyDefinition as MultiDependencyDefinition,
    )
    from orch.core.definitions.dependency import (
        SolidInvocation as SolidInvocation,
    )
    from orch.core.definitions.events import (
        AssetKey as AssetKey,
    )
    from orch.core.definitions.events import (
        AssetMaterialization as AssetMaterialization,
    )
    from orch.core.definitions.events import (
        DynamicOutput as DynamicOutput,
    )
    from orch.core.definitions.events import (
        ExpectationResult as ExpectationResult,
    )
    from orch.core.definitions.events import (
        Failure as Failure,
    )
    from orch.core.definitions.events import (
        Materialization as Materialization,
    )
    from orch.core.definitions.events import (
        Output as Output,
    )
    from orch.core.definitions.events import (
        RetryRequested as RetryRequested,
    )
    from orch.core.definitions.events import (
        TypeCheck as TypeCheck,
    )
    from orch.core.definitions.hooks import (
        HookDefinition as HookDefinition,
    )
    from orch.core.definitions.hooks import (
        failure_hook as failure_hook,
    )
    from orch.core.definitions.hooks import (
        success_hook as success_hook,
    )
    from orch.core.definitions.io_defs import (
        DynamicOutputDefinition as DynamicOutputDefinition,
    )
    from orch.core.definitions.io_defs import (
        InputDefinition as InputDefinition,
    )
    from orch.core.definitions.io_defs import (
        InputMapping as InputMapping,
    )
    from orch.core.definitions.io_defs import (
        OutputDefinition as OutputDefinition,
    )
    from orch.core.definitions.io_defs import (
        OutputMapping as OutputMapping,
    )
    from orch.core.definitions.io_manager import (
        IOManager as IOManager,
    )
    from orch.core.definitions.io_manager import (
        IOManagerDefinition as IOManagerDefinition,
    )
    from orch.core.definitions.io_manager import (
        RootInputManager as RootInputManager,
    )
    from orch.core.definitions.io_manager import (
        RootInputManagerDefinition as RootInputManagerDefinition,
    )
    from orch.core.definitions.io_manager import (
        fs_io_manager as fs_io_manager,
    )
    from orch.core.definitions.io_manager import (
        io_manager as io_manager,
    )
    from orch.core.definitions.io_manager import (
        mem_io_manager as mem_io_manager,
    )
    from orch.core.definitions.io_manager import (
        root_input_manager as root_input_manager,
    )
    from orch.core.definitions.metadata import (
        BoolMetadataValue as BoolMetadataValue,
    )
    from orch.core.definitions.metadata import (
        DagsterAssetMetadataValue as DagsterAssetMetadataValue,
    )
    from orch.core.definitions.metadata import (
        DagsterRunMetadataValue as DagsterRunMetadataValue,
    )
    from orch.core.definitions.metadata import (
        EventMetadata as EventMetadata,
    )
    from orch.core.definitions.metadata import (
        EventMetadataEntry as EventMetadataEntry,
    )
    from orch.core.definitions.metadata import (
        FloatMetadataValue as FloatMetadataValue,
    )
    from orch.core.definitions.metadata import (
        IntMetadataValue as IntMetadataValue,
    )
    from orch.core.definitions.metadata import (
        JsonMetadataValue as JsonMetadataValue,
    )
    from orch.core.definitions.metadata import (
        MarkdownMetadataValue as MarkdownMetadataValue,
    )
    from orch.core.definitions.metadata import (
        MetadataEntry as MetadataEntry,
    )
    from orch.core.definitions.metadata import (
        MetadataValue as MetadataValue,
    )
    from orch.core.definitions.metadata import (
        PathMetadataValue as PathMetadataValue,
    )
    from orch.core.definitions.metadata import (
        PythonArtifactMetadataValue as PythonArtifactMetadataValue,
    )
    from orch.core.definitions.metadata import (
        TextMetadataValue as TextMetadataValue,
    )
    from orch.core.definitions.metadata import (
        UrlMetadataValue as UrlMetadataValue,
    )
    from orch.core.definitions.mode import (
        ModeDefinition as ModeDefinition,
    )
    from orch.core.definitions.partitions import (
        DagsterUnknownPartitionError as DagsterUnknownPartitionError,
    )
    from orch.core.definitions.partitions import (
        Partition as Partition,
    )
    from orch.core.definitions.partitions import (
        PartitionScheduleDefinition as PartitionScheduleDefinition,
    )
    from orch.core.definitions.partitions import (
        PartitionSetDefinition as PartitionSetDefinition,
    )
    from orch.core.definitions.partitions import (
        build_schedule_from_partitioned_job as build_schedule_from_partitioned_job,
    )
    from orch.core.definitions.partitions import (
        create_offset_partition_selector as create_offset_partition_selector,
    )
    from orch.core.definitions.partitions import (
        daily_schedule as daily_schedule,
    )
    from orch.core.definitions.partitions import (
        date_partition_range as date_partition_range,
    )
    from orch.core.definitions.partitions import (
        hourly_schedule as hourly_schedule,
    )
    from orch.core.definitions.partitions import (
        identity_partition_selector as identity_partition_selector,
    )
    from orch.core.definitions.partitions import (
        monthly_schedule as monthly_schedule,
    )
    from orch.core.definitions.partitions import (
        schedule_from_partitions as schedule_from_partitions,
    )
    from orch.core.definitions.partitions import (
        weekly_schedule as weekly_schedule,
    )
    from orch.core.definitions.pipeline import (
        PipelineDefinition as PipelineDefinition,
    )
    from orch.core.definitions.pipeline import (
        pipeline as pipeline,
    )
    from orch.core.definitions.preset import (
        PresetDefinition as PresetDefinition,
    )
    from orch.core.definitions.preset import (
        config_from_files as config_from_files,
    )
    from orch.core.definitions.preset import (
        config_from_pkg_resources as config_from_pkg_resources,
    )
    from orch.core.definitions.preset import (
        config_from_yaml_strings as config_from_yaml_strings,
    )
    from orch.core.definitions.reconstructable import (
        ReconstructablePipeline as ReconstructablePipeline,
    )
    from orch.core.definitions.reconstructable import (
        reconstructable as reconstructable,
    )
    from orch.core.definitions.repository import (
        RepositoryDefinition as RepositoryDefinition,
    )
    from orch.core.definitions.repository import (
        repository as repository,
    )
    from orch.core.definitions.resource import (
        ResourceDefinition as ResourceDefinition,
    )
    from orch.core.definitions.resource import (
        make_values_resource as make_values_resource,
    )
    from orch.core.definitions.resource import (
        resource as resource,
    )
    from orch.core.definitions.retry import (
        Backoff as Backoff,
    )
    from orch.core.definitions.retry import (
        Jitter as Jitter,
    )
    from orch.core.definitions.retry import (
        RetryPolicy as RetryPolicy,
    )
    from orch.core.definitions.schedules import (
        RunRequest as RunRequest,
    )
    from orch.core.definitions.schedules import (
        ScheduleDefinition as ScheduleDefinition,
    )
    from orch.core.definitions.schedules import (
        ScheduleEvaluationContext as ScheduleEvaluationContext,
    )
    from orch.core.definitions.schedules import (
        ScheduleExecutionContext as ScheduleExecutionContext,
    )
    from orch.core.definitions.schedules import (
        ScheduleExecutionError as ScheduleExecutionError,
    )
    from orch.core.definitions.schedules import (
        SkipReason as SkipReason,
    )
    from orch.core.definitions.schedules import (
        build_schedule_context as build_schedule_context,
    )
    from orch.core.definitions.schedules import (
        schedule as schedule,
    )
    from orch.core.definitions.sensors import (
        AssetSensorDefinition as AssetSensorDefinition,
    )
    from orch.core.definitions.sensors import (
        PipelineFailureSensorContext as PipelineFailureSensorContext,
    )
    from orch.core.definitions.sensors import (
        RunStatusSensorContext as RunStatusSensorContext,
    )
    from orch.core.definitions.sensors import (
        RunStatusSensorDefinition as RunStatusSensorDefinition,
    )
    from orch.core.definitions.sensors import (
        SensorDefinition as SensorDefinition,
    )
    from orch.core.definitions.sensors import (
        SensorEvaluationContext as SensorEvaluationContext,
    )
    from orch.core.definitions.sensors import (
        SensorExecutionContext as SensorExecutionContext,
    )
    from orch.core.definitions.sensors import (
        asset_sensor as asset_sensor,
    )
    from orch.core.definitions.sensors import (
        build_run_status_sensor_context as build_run_status_sensor_context,
    )
    from orch.core.definitions.sensors import (
        build_sensor_context as build_sensor_context,
    )
    from orch.core.definitions.sensors import (
        pipeline_failure_sensor as pipeline_failure_sensor,
    )
    from orch.core.definitions.sensors import (
        run_failure_sensor as run_failure_sensor,
    )
    from orch.core.definitions.sensors import (
        run_status_sensor as run_status_sensor,
    )
    from orch.core.definitions.sensors import (
        sensor as sensor,
    )
    from orch.core.definitions.solid import (
        SolidDefinition as SolidDefinition,
    )
    from orch.core.definitions.solid import (
        lambda_solid as lambda_solid,
    )
    from orch.core.definitions.solid import (
        solid as solid,
    )
    from orch.core.definitions.types import (
        Any as Any,
    )
    from orch.core.definitions.types import (
        Bool as Bool,
    )
    from orch.core.definitions.types import (
        DagsterType as DagsterType,
    )
    from orch.core.definitions.types import (
        DagsterTypeLoader as DagsterTypeLoader,
    )
    from orch.core.definitions.types import (
        DagsterTypeMaterializer as DagsterTypeMaterializer,
    )
    from orch.core.definitions.types import (
        Dict as Dict,
    )
    from orch.core.definitions.types import (
        Float as Float,
    )
    from orch.core.definitions.types import (
        Int as Int,
    )
    from orch.core.definitions.types import (
        List as List,
    )
    from orch.core.definitions.types import (
        Nothing as Nothing,
    )
    from orch.core.definitions.types import (
        Optional as Optional,
    )
    from orch.core.definitions.types import (
        PythonObjectDagsterType as PythonObjectDagsterType,
    )
    from orch.core.definitions.types import (
        Set as Set,
    )
    from orch.core.definitions.types import (
        String as String,
    )
    from orch.core.definitions.types import (
        Tuple as Tuple,
    )
    from orch.core.definitions.types import (
        dagster_type_loader as dagster_type_loader,
    )
    from orch.core.definitions.types import (
        dagster_type_materializer as dagster_type_materializer,
    )
    from orch.core.definitions.types import (
        make_python_type_usable_as_dagster_type as make_python_type_usable_as_dagster_type,
    )
    from orch.core.definitions.types import (
        usable_as_dagster_type as usable_as_dagster_type,
    )
    from orch.core.errors import (
        DagsterConfigMappingFunctionError as DagsterConfigMappingFunctionError,
    )
    from orch.core.errors import (
        DagsterError as DagsterError,
    )
    from orch.core.errors import (
        DagsterExecutionInterruptedError as DagsterExecutionInterruptedError,
    )
    from orch.core.errors import (
        DagsterExecutionStepExecutionError as DagsterExecutionStepExecutionError,
    )
    from orch.core.errors import (
        DagsterExecutionStepNotFoundError as DagsterExecutionStepNotFoundError,
    )
    from orch.core.errors import (
        DagsterInvalidDefinitionError as DagsterInvalidDefinitionError,
    )
    from orch.core.errors import (
        DagsterInvalidInvocationError as DagsterInvalidInvocationError,
    )
    from orch.core.errors import (
        DagsterInvalidMetadata as DagsterInvalidMetadata,
    )
    from orch.core.errors import (
        DagsterInvalidSubsetError as DagsterInvalidSubsetError,
    )
    from orch.core.errors import (
        DagsterInvariantViolationError as DagsterInvariantViolationError,
    )
    from orch.core.errors import (
        DagsterResourceFunctionError as DagsterResourceFunctionError,
    )
    from orch.core.errors import (
        DagsterRunNotFoundError as DagsterRunNotFoundError,
    )
    from orch.core.errors import (
        DagsterStepOutputNotFoundError as DagsterStepOutputNotFoundError,
    )
    from orch.core.errors import (
        DagsterTypeCheckDidNotPass as DagsterTypeCheckDidNotPass,
    )
    from orch.core.errors import (
        DagsterTypeCheckError as DagsterTypeCheckError,
    )
    from orch.core.errors import (
        DagsterTypeLoadingError as DagsterTypeLoadingError,
    )
    from orch.core.errors import (
        DagsterUnknownResourceError as DagsterUnknownResourceError,
    )
    from orch.core.errors import (
        DagsterUnmetExecutorRequirementsError as DagsterUnmetExecutorRequirementsError,
    )
    from orch.core.errors import (
        DagsterUserCodeExecutionError as DagsterUserCodeExecutionError,
    )
    from orch.core.events import (
        DagsterEvent as DagsterEvent,
    )
    from orch.core.events import (
        DagsterEventType as DagsterEventType,
    )
    from orch.core.events import (
        EventRecord as EventRecord,
    )
    from orch.core.events import (
        EventType as EventType,
    )
    from orch.core.execution.api import (
        execute_pipeline as execute_pipeline,
    )
    from orch.core.execution.api import (
        execute_pipeline_iterator as execute_pipeline_iterator,
    )
    from orch.core.execution.api import (
        execute_solid as execute_solid,
    )
    from orch.core.execution.api import (
        execute_solid_within_pipeline as execute_solid_within_pipeline,
    )
    from orch.core.execution.api import (
        execute_solids_within_pipeline as execute_solids_within_pipeline,
    )
    from orch.core.execution.context import (
        HookContext as HookContext,
    )
    from orch.core.execution.context import (
        InitResourceContext as InitResourceContext,
    )
    from orch.core.execution.context import (
        InputContext as InputContext,
    )
    from orch.core.execution.context import (
        OutputContext as OutputContext,
    )
    from orch.core.execution.context import (
        SolidExecutionContext as SolidExecutionContext,
    )
    from orch.core.execution.context import (
        build_hook_context as build_hook_context,
    )
    from orch.core.execution.context import (
        build_init_resource_context as build_init_resource_context,
    )
    from orch.core.execution.context import (
        build_solid_context as build_solid_context,
    )
    from orch.core.execution.executor import (
        Executor as Executor,
    )
    from orch.core.execution.executor import (
        ExecutorDefinition as ExecutorDefinition,
    )
    from orch.core.execution.executor import (
        InitExecutorContext as InitExecutorContext,
    )
    from orch.core.execution.executor import (
        executor as executor,
    )
    from orch.core.execution.loggers import (
        InitLoggerContext as InitLoggerContext,
    )
    from orch.core.execution.loggers import (
        LoggerDefinition as LoggerDefinition,
    )
    from orch.core.execution.loggers import (
        build_init_logger_context as build_init_logger_context,
    )
    from orch.core.execution.loggers import (
        colored_console_logger as colored_console_logger,
    )
    from orch.core.execution.loggers import (
        default_loggers as default_loggers,
    )
    from orch.core.execution.loggers import (
        json_console_logger as json_console_logger,
    )
    from orch.core.execution.loggers import (
        logger as logger,
    )
    from orch.core.execution.reexecution import (
        reexecute_pipeline as reexecute_pipeline,
    )
    from orch.core.execution.reexecution import (
        reexecute_pipeline_iterator as reexecute_pipeline_iterator,
    )
    from orch.core.execution.results import (
        CompositeSolidExecutionResult as CompositeSolidExecutionResult,
    )
    from orch.core.execution.results import (
        PipelineExecutionResult as PipelineExecutionResult,
    )
    from orch.core.execution.results import (
        SolidExecutionResult as SolidExecutionResult,
    )
    from orch.core.execution.run_config import (
        scaffold_run_config as scaffold_run_config,
    )
    from orch.core.legacy_helpers import (
        DagsterInstance as DagsterInstance,
    )
    from orch.core.legacy_helpers import (
        build_input_context as build_input_context,
    )
    from orch.core.legacy_helpers import (
        build_output_context as build_output_context,
    )
    from orch.core.legacy_helpers import (
        check_dagster_type as check_dagster_type,
    )
    from orch.core.legacy_helpers import (
        configured as configured,
    )
    from orch.core.legacy_helpers import (
        file_relative_path as file_relative_path,
    )
    from orch.core.legacy_helpers import (
        validate_run_config as validate_run_config,
    )
    from orch.core.runs import (
        DagsterRun as DagsterRun,
    )
    from orch.core.runs import (
        DagsterRunStatus as DagsterRunStatus,
    )
    from orch.core.runs import (
        PipelineRun as PipelineRun,
    )
    from orch.core.runs import (
        PipelineRunStatus as PipelineRunStatus,
    )
    from orch.executors.defaults import (
        default_executors as default_executors,
    )
    from orch.executors.defaults import (
        in_process_executor as in_process_executor,
    )
    from orch.executors.defaults import (
        multiprocess_executor as multiprocess_executor,
    )


def __getattr__(name: str) -> object:
    try:
        module_name, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'orch' has no attribute {name!r}") from None
    value = getattr(_importlib.import_module(module_name), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))

