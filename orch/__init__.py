"""orch: a local-first data orchestrator with a terminal workbench.

Pipelines are written with the legacy Dagster solid API; a file written for it runs with only
its import line changed to ``from orch import ...``.
"""

from orch.core.definitions.composite import CompositeSolidDefinition, composite_solid
from orch.core.definitions.dependency import (
    DependencyDefinition,
    DynamicCollectDependencyDefinition,
    MultiDependencyDefinition,
    SolidInvocation,
)
from orch.core.definitions.events import (
    AssetKey,
    AssetMaterialization,
    DynamicOutput,
    EventMetadataEntry,
    ExpectationResult,
    Failure,
    Materialization,
    Output,
    RetryRequested,
    TypeCheck,
)
from orch.core.definitions.hooks import HookDefinition, failure_hook, success_hook
from orch.core.definitions.io_defs import DynamicOutputDefinition, InputDefinition, OutputDefinition
from orch.core.definitions.io_manager import (
    IOManager,
    IOManagerDefinition,
    RootInputManager,
    RootInputManagerDefinition,
    fs_io_manager,
    io_manager,
    mem_io_manager,
    root_input_manager,
)
from orch.core.definitions.mode import ModeDefinition
from orch.core.definitions.pipeline import PipelineDefinition, pipeline
from orch.core.definitions.preset import PresetDefinition
from orch.core.definitions.reconstructable import ReconstructablePipeline, reconstructable
from orch.core.definitions.repository import RepositoryDefinition, repository
from orch.core.definitions.resource import ResourceDefinition, resource
from orch.core.definitions.retry import Backoff, Jitter, RetryPolicy
from orch.core.definitions.solid import SolidDefinition, lambda_solid, solid
from orch.core.definitions.types import (
    Any,
    Bool,
    DagsterType,
    DagsterTypeLoader,
    Dict,
    Float,
    Int,
    List,
    Nothing,
    Optional,
    PythonObjectDagsterType,
    Set,
    String,
    Tuple,
    dagster_type_loader,
    make_python_type_usable_as_dagster_type,
    usable_as_dagster_type,
)
from orch.core.errors import (
    DagsterError,
    DagsterExecutionInterruptedError,
    DagsterExecutionStepExecutionError,
    DagsterExecutionStepNotFoundError,
    DagsterInvalidDefinitionError,
    DagsterInvalidInvocationError,
    DagsterInvalidSubsetError,
    DagsterInvariantViolationError,
    DagsterResourceFunctionError,
    DagsterStepOutputNotFoundError,
    DagsterTypeCheckDidNotPass,
    DagsterUnknownResourceError,
    DagsterUserCodeExecutionError,
)
from orch.core.events import DagsterEvent, DagsterEventType, EventRecord, EventType
from orch.core.execution.api import execute_pipeline, execute_pipeline_iterator, execute_solid
from orch.core.execution.context import (
    HookContext,
    InitResourceContext,
    InputContext,
    OutputContext,
    SolidExecutionContext,
    build_init_resource_context,
    build_solid_context,
)
from orch.core.execution.executor import Executor, ExecutorDefinition, executor
from orch.core.execution.loggers import LoggerDefinition, logger
from orch.core.execution.results import PipelineExecutionResult, SolidExecutionResult
from orch.core.runs import DagsterRunStatus, PipelineRun, PipelineRunStatus

__all__ = [
    "Any",
    "AssetKey",
    "AssetMaterialization",
    "Backoff",
    "Bool",
    "CompositeSolidDefinition",
    "DagsterError",
    "DagsterEvent",
    "DagsterEventType",
    "DagsterExecutionInterruptedError",
    "DagsterExecutionStepExecutionError",
    "DagsterExecutionStepNotFoundError",
    "DagsterInvalidDefinitionError",
    "DagsterInvalidInvocationError",
    "DagsterInvalidSubsetError",
    "DagsterInvariantViolationError",
    "DagsterResourceFunctionError",
    "DagsterRunStatus",
    "DagsterStepOutputNotFoundError",
    "DagsterType",
    "DagsterTypeCheckDidNotPass",
    "DagsterTypeLoader",
    "DagsterUnknownResourceError",
    "DagsterUserCodeExecutionError",
    "DependencyDefinition",
    "Dict",
    "DynamicCollectDependencyDefinition",
    "DynamicOutput",
    "DynamicOutputDefinition",
    "EventMetadataEntry",
    "EventRecord",
    "EventType",
    "Executor",
    "ExecutorDefinition",
    "ExpectationResult",
    "Failure",
    "Float",
    "HookContext",
    "HookDefinition",
    "IOManager",
    "IOManagerDefinition",
    "InitResourceContext",
    "InputContext",
    "InputDefinition",
    "Int",
    "Jitter",
    "List",
    "LoggerDefinition",
    "Materialization",
    "ModeDefinition",
    "MultiDependencyDefinition",
    "Nothing",
    "Optional",
    "Output",
    "OutputContext",
    "OutputDefinition",
    "PipelineDefinition",
    "PipelineExecutionResult",
    "PipelineRun",
    "PipelineRunStatus",
    "PresetDefinition",
    "PythonObjectDagsterType",
    "ReconstructablePipeline",
    "RepositoryDefinition",
    "ResourceDefinition",
    "RetryPolicy",
    "RetryRequested",
    "RootInputManager",
    "RootInputManagerDefinition",
    "Set",
    "SolidDefinition",
    "SolidExecutionContext",
    "SolidExecutionResult",
    "SolidInvocation",
    "String",
    "Tuple",
    "TypeCheck",
    "build_init_resource_context",
    "build_solid_context",
    "composite_solid",
    "dagster_type_loader",
    "execute_pipeline",
    "execute_pipeline_iterator",
    "execute_solid",
    "executor",
    "failure_hook",
    "fs_io_manager",
    "io_manager",
    "lambda_solid",
    "logger",
    "make_python_type_usable_as_dagster_type",
    "mem_io_manager",
    "mode",
    "pipeline",
    "reconstructable",
    "repository",
    "resource",
    "root_input_manager",
    "solid",
    "success_hook",
    "usable_as_dagster_type",
]
__all__.remove("mode")
