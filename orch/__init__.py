"""orch: a local-first data orchestrator with a terminal workbench.

Pipelines are written with the legacy Dagster solid API; a file written for it runs with only
its import line changed to ``from orch import ...``.

Names are imported on first use (PEP 562), so ``import orch.cli`` stays fast and a
script pays only for what it uses.
"""

from __future__ import annotations

import importlib as _importlib

_EXPORTS: dict[str, tuple[str, str]] = {
    "file_relative_path": ("orch.core.legacy_helpers", "file_relative_path"),
    "build_output_context": ("orch.core.legacy_helpers", "build_output_context"),
    "build_input_context": ("orch.core.legacy_helpers", "build_input_context"),
    "validate_run_config": ("orch.core.legacy_helpers", "validate_run_config"),
    "check_dagster_type": ("orch.core.legacy_helpers", "check_dagster_type"),
    "configured": ("orch.core.legacy_helpers", "configured"),
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
    "EventMetadataEntry": ("orch.core.definitions.events", "EventMetadataEntry"),
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
}

__all__ = sorted(_EXPORTS)


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

