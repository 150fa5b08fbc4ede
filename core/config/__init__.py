"""orch's config type system: schemas, validation with path-precise errors, defaults, env
sources, scaffolding and snapshots. Depends on nothing else in orch but ``orch.core.errors``.

Secrets: ``{env: VAR}`` values are read only by :func:`process_config`, which never mutates
its input. Store the raw config (or :func:`resolve_defaults` of it, which fills defaults but
keeps ``{env: VAR}`` references); hand only the processed value to user code.
"""

from orch.core.config.display import minimal_config, type_display
from orch.core.config.errors import (
    DagsterInvalidConfigDefinitionError,
    DagsterInvalidConfigError,
    PostProcessingError,
)
from orch.core.config.evaluation import (
    DagsterEvaluationErrorReason,
    EvaluationError,
    EvaluationResult,
    path_msg,
    stack_str,
)
from orch.core.config.field import (
    FIELD_NO_DEFAULT_PROVIDED,
    Field,
    convert_potential_field,
    has_implicit_default,
    resolve_config_type,
)
from orch.core.config.process import process_config, resolve_defaults
from orch.core.config.scaffold import scaffold_config
from orch.core.config.snapshot import config_type_from_snapshot, config_type_snapshot
from orch.core.config.sources import (
    BoolSource,
    BoolSourceType,
    IntSource,
    IntSourceType,
    SourceType,
    StringSource,
    StringSourceType,
)
from orch.core.config.types import (
    Array,
    ConfigAny,
    ConfigAnyType,
    ConfigBool,
    ConfigFloat,
    ConfigInt,
    ConfigScalar,
    ConfigScalarKind,
    ConfigString,
    ConfigType,
    ConfigTypeKind,
    Enum,
    EnumValue,
    Map,
    Noneable,
    Permissive,
    ScalarUnion,
    Selector,
    Shape,
)
from orch.core.config.validate import validate_config

Int = ConfigInt
Float = ConfigFloat
Bool = ConfigBool
String = ConfigString
Any = ConfigAny

__all__ = [
    "FIELD_NO_DEFAULT_PROVIDED",
    "Any",
    "Array",
    "Bool",
    "BoolSource",
    "BoolSourceType",
    "ConfigAny",
    "ConfigAnyType",
    "ConfigBool",
    "ConfigFloat",
    "ConfigInt",
    "ConfigScalar",
    "ConfigScalarKind",
    "ConfigString",
    "ConfigType",
    "ConfigTypeKind",
    "DagsterEvaluationErrorReason",
    "DagsterInvalidConfigDefinitionError",
    "DagsterInvalidConfigError",
    "Enum",
    "EnumValue",
    "EvaluationError",
    "EvaluationResult",
    "Field",
    "Float",
    "Int",
    "IntSource",
    "IntSourceType",
    "Map",
    "Noneable",
    "Permissive",
    "PostProcessingError",
    "ScalarUnion",
    "Selector",
    "Shape",
    "SourceType",
    "String",
    "StringSource",
    "StringSourceType",
    "config_type_from_snapshot",
    "config_type_snapshot",
    "convert_potential_field",
    "has_implicit_default",
    "minimal_config",
    "path_msg",
    "process_config",
    "resolve_config_type",
    "resolve_defaults",
    "scaffold_config",
    "stack_str",
    "type_display",
    "validate_config",
]
