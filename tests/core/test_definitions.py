"""The definition API (LEGACY_API.md §1): solids, inputs/outputs, types, repositories."""

from __future__ import annotations

import typing

import pytest
from core_helpers import SUCCESS_NO_INPUT, executed_steps, run, step_types
from orch.core.definitions.types import resolve_dagster_type

import orch
from orch import (
    Any,
    Bool,
    DagsterInvalidDefinitionError,
    DagsterType,
    DynamicOutput,
    DynamicOutputDefinition,
    Float,
    InputDefinition,
    Int,
    List,
    Nothing,
    Optional,
    Output,
    OutputDefinition,
    PipelineDefinition,
    PythonObjectDagsterType,
    SolidDefinition,
    String,
    TypeCheck,
    execute_pipeline,
    lambda_solid,
    pipeline,
    repository,
    solid,
    usable_as_dagster_type,
)

# -- @solid inference ---------------------------------------------------------------------


def test_solid_infers_context_inputs_defaults_output_type_and_description():
    @solid
    def add(context, x: int, y: int = 2) -> int:
        """Adds two numbers."""
        return x + y

    assert add.name == "add"
    assert add.description == "Adds two numbers."
    assert [d.name for d in add.input_defs] == ["x", "y"]
    assert add.input_dict["x"].dagster_type is Int
    assert not add.input_dict["x"].has_default_value
    assert add.input_dict["y"].default_value == 2
    assert [(o.name, o.dagster_type) for o in add.output_defs] == [("result", Int)]
    assert add._takes_context


@pytest.mark.parametrize("first_param", ["context", "_context", "_"])
def test_solid_context_parameter_names(first_param):
    ns: dict = {}
    exec(f"def f({first_param}, x):\n    return x\n", ns)
    definition = solid(ns["f"])
    assert [d.name for d in definition.input_defs] == ["x"]
    assert definition._takes_context


def test_solid_without_context_has_every_parameter_as_input():
    @solid
    def no_ctx(a, b):
        return a

    assert [d.name for d in no_ctx.input_defs] == ["a", "b"]
    assert not no_ctx._takes_context
    assert all(d.dagster_type is Any for d in no_ctx.input_defs)
    assert no_ctx.output_defs[0].dagster_type is Any


def test_solid_explicit_description_and_name_win_over_docstring():
    @solid(name="renamed", description="explicit")
    def f(context):
        """docstring"""

    assert f.name == "renamed"
    assert f.description == "explicit"


def test_solid_rejects_var_args():
    with pytest.raises(DagsterInvalidDefinitionError, match=r'"bad".*\*args/\*\*kwargs.*"rest"'):

        @solid
        def bad(context, *rest):
            pass


def test_solid_config_schema_requires_context():
    with pytest.raises(DagsterInvalidDefinitionError, match=r"config_schema.*`context`"):

        @solid(config_schema={"n": int})
        def bad(x):
            return x


def test_solid_input_defs_must_match_parameters():
    with pytest.raises(DagsterInvalidDefinitionError, match=r"\['y'\].*not parameters"):

        @solid(input_defs=[InputDefinition("x"), InputDefinition("y")])
        def f(context, x):
            return x

    with pytest.raises(DagsterInvalidDefinitionError, match=r"\['y'\] have no InputDefinition"):

        @solid(input_defs=[InputDefinition("x")])
        def g(context, x, y):
            return x


def test_explicit_input_def_type_wins_and_annotation_fills_untyped():
    @solid(input_defs=[InputDefinition("x", String), InputDefinition("y")])
    def f(context, x: int, y: float):
        return x

    assert f.input_dict["x"].dagster_type is String
    assert f.input_dict["y"].dagster_type is Float


def test_solid_result_runs_and_returns_value():
    @solid
    def one(context) -> int:
        return 1

    @solid
    def plus(context, x: int, y: int = 10) -> int:
        return x + y

    @pipeline
    def p():
        plus(one())

    result = execute_pipeline(p)
    assert result.success
    assert result.result_for_solid("plus").output_value() == 11


def test_lambda_solid():
    @lambda_solid
    def double(x: int) -> int:
        return x * 2

    @lambda_solid(output_def=OutputDefinition(Int, name="out"))
    def seven():
        return 7

    assert [d.name for d in double.input_defs] == ["x"]
    assert double.output_defs[0].dagster_type is Int
    assert [o.name for o in seven.output_defs] == ["out"]

    @pipeline
    def p():
        double(seven())

    result = execute_pipeline(p)
    assert result.result_for_solid("double").output_value() == 14
    assert result.result_for_solid("seven").output_value("out") == 7


def test_lambda_solid_rejects_context():
    with pytest.raises(DagsterInvalidDefinitionError, match="cannot take a context"):

        @lambda_solid
        def bad(context):
            return 1


def test_solid_definition_explicit_form():
    def compute(context, inputs):
        context.log.info(f"got {inputs['num']}")
        yield Output(inputs["num"] + 1, "plus_one")
        yield Output(inputs["num"] * 2, "doubled")

    explicit = SolidDefinition(
        name="explicit",
        input_defs=[InputDefinition("num", Int, default_value=4)],
        compute_fn=compute,
        output_defs=[OutputDefinition(Int, "plus_one"), OutputDefinition(Int, "doubled")],
        description="explicit solid",
    )
    result = execute_pipeline(PipelineDefinition([explicit], name="p"))
    solid_result = result.result_for_solid("explicit")
    assert solid_result.output_values == {"plus_one": 5, "doubled": 8}
    assert step_types(result, "explicit") == [
        "STEP_START", "STEP_INPUT", "STEP_OUTPUT", "HANDLED_OUTPUT", "STEP_OUTPUT",
        "HANDLED_OUTPUT", "STEP_SUCCESS",
    ]


def test_multiple_outputs_from_a_returned_tuple():
    @solid(output_defs=[OutputDefinition(Int, "a"), OutputDefinition(String, "b")])
    def two(context):
        return 1, "x"

    result = execute_pipeline(PipelineDefinition([two], name="p"))
    assert result.result_for_solid("two").output_values == {"a": 1, "b": "x"}


# -- inputs and outputs -------------------------------------------------------------------


def test_input_default_value_used_when_unconnected():
    @solid(input_defs=[InputDefinition("x", Int, default_value=5)])
    def uses_default(context, x):
        return x * 3

    result = execute_pipeline(PipelineDefinition([uses_default], name="p"))
    assert result.result_for_solid("uses_default").output_value() == 15
    # A default is neither loaded through an IO manager nor from config: only its type check.
    assert step_types(result, "uses_default") == [
        "STEP_START", "STEP_INPUT", "STEP_OUTPUT", "HANDLED_OUTPUT", "STEP_SUCCESS",
    ]


def test_input_default_value_must_pass_its_type_check():
    with pytest.raises(DagsterInvalidDefinitionError, match='default_value of InputDefinition "x"'):
        InputDefinition("x", Int, default_value="not an int")


def test_nothing_input_only_orders_execution():
    seen = []

    @solid
    def first(context):
        seen.append("first")

    @solid(input_defs=[InputDefinition("start", Nothing)])
    def after(context):
        seen.append("after")
        return "done"

    @solid(input_defs=[InputDefinition("start", Nothing), InputDefinition("x", Int)])
    def after_with_value(context, x):
        return x

    assert [d.name for d in after.input_defs] == ["start"]
    # Declared order is kept, Nothing inputs included (positional wiring relies on it).
    assert [d.name for d in after_with_value.input_defs] == ["start", "x"]

    @solid
    def num(context) -> int:
        return 3

    @pipeline
    def p():
        done = first()
        after(done)
        after_with_value(done, num())

    result = execute_pipeline(p)
    assert result.success
    assert seen == ["first", "after"]
    assert result.result_for_solid("after").output_value() == "done"
    assert result.result_for_solid("after_with_value").output_value() == 3
    # No value, no load, no type-check event for the Nothing input.
    assert step_types(result, "after") == SUCCESS_NO_INPUT
    assert executed_steps(result).index("first") < executed_steps(result).index("after")


def test_optional_output_definition():
    out = OutputDefinition(Int, "maybe", is_required=False)
    assert out.optional and not out.is_required
    assert OutputDefinition().name == "result"
    assert OutputDefinition().io_manager_key == "io_manager"


def test_dynamic_output_definition_and_mapping_key_validation():
    dyn = DynamicOutputDefinition(Int)
    assert dyn.is_dynamic and dyn.name == "result" and dyn.dagster_type is Int
    assert not OutputDefinition().is_dynamic
    assert DynamicOutput(1, mapping_key="ok_1").mapping_key == "ok_1"
    with pytest.raises(DagsterInvalidDefinitionError, match='Invalid mapping_key "a-b"'):
        DynamicOutput(1, mapping_key="a-b")


def test_duplicate_input_names_rejected():
    with pytest.raises(DagsterInvalidDefinitionError, match='defines input "x" twice'):
        SolidDefinition("s", [InputDefinition("x"), InputDefinition("x")],
                        lambda c, i: iter(()), [])


# -- types ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dagster_type", "good", "bad"),
    [
        (Any, [1, "x", None, object()], []),
        (Bool, [True, False], [1, "true", None]),
        (Int, [0, -3, 10**20], [True, 1.5, "1", None]),
        (Float, [1.5, 2], [True, "1.0", None]),
        (String, ["", "x"], [b"x", 1, None]),
        (Nothing, [None], [0, ""]),
        (List[Int], [[], [1, 2]], [[1, "2"], (1,), None]),
        (Optional[String], [None, "x"], [1]),
        (List[Optional[Int]], [[None, 1]], [["a"]]),
    ],
)
def test_builtin_type_checks(dagster_type, good, bad):
    for value in good:
        assert dagster_type.type_check(None, value).success, (dagster_type, value)
    for value in bad:
        assert not dagster_type.type_check(None, value).success, (dagster_type, value)


def test_parametrised_types_are_named_and_cached():
    assert List[Int].display_name == "List[Int]"
    assert Optional[String].display_name == "Optional[String]"
    assert List[Int] is List[int]
    assert Optional[Int] is Optional[int]


class Widget:
    pass


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (int, "Int"),
        (float, "Float"),
        (str, "String"),
        (bool, "Bool"),
        (dict, "Dict"),
        (typing.Any, "Any"),
        (list, "List[Any]"),
        (list[int], "List[Int]"),
        (typing.List[int], "List[Int]"),  # noqa: UP006 - the legacy spelling is the point
        (typing.Optional[int], "Optional[Int]"),
        (int | None, "Optional[Int]"),
        (typing.Dict[str, int], "Dict"),  # noqa: UP006
        (Widget, "Widget"),
        (type(None), "Nothing"),
    ],
)
def test_plain_annotations_resolve(annotation, expected):
    assert resolve_dagster_type(annotation).display_name == expected


def test_python_class_annotation_type_checks_instances():
    widget_type = resolve_dagster_type(Widget)
    assert isinstance(widget_type, PythonObjectDagsterType)
    assert widget_type.type_check(None, Widget()).success
    check = widget_type.type_check(None, 3)
    assert not check.success and "Widget" in check.description


@usable_as_dagster_type(name="Gadget")
class Gadget:
    pass


def test_usable_as_dagster_type():
    @solid
    def make(context) -> Gadget:
        return Gadget()

    assert make.output_defs[0].dagster_type.display_name == "Gadget"


def _even(_context, value):
    return isinstance(value, int) and value % 2 == 0


EvenBool = DagsterType(_even, name="EvenBool")
EvenCheck = DagsterType(
    lambda _c, v: TypeCheck(
        success=v % 2 == 0, description=f"{v} is odd", metadata={"value": v}
    ),
    name="EvenCheck",
)


@pytest.mark.parametrize("even_type", [EvenBool, EvenCheck])
def test_custom_dagster_type_on_output(even_type):
    @solid(output_defs=[OutputDefinition(even_type)])
    def emit(context, n: int):
        return n

    ok = execute_pipeline(PipelineDefinition([emit], name="p"),
                          run_config={"solids": {"emit": {"inputs": {"n": 4}}}})
    assert ok.success

    bad = run(PipelineDefinition([emit], name="p"),
              run_config={"solids": {"emit": {"inputs": {"n": 3}}}})
    assert not bad.success
    failure = bad.result_for_solid("emit").failure_data
    assert failure.error.cls_name == "DagsterTypeCheckDidNotPass"
    assert f'expected type "{even_type.display_name}"' in failure.error.message
    if even_type is EvenCheck:
        assert "3 is odd" in failure.error.message


def test_type_check_fn_must_return_bool_or_typecheck():
    weird = DagsterType(lambda _c, _v: "yes", name="Weird")
    with pytest.raises(DagsterInvalidDefinitionError, match="must return a bool or a TypeCheck"):
        weird.type_check(None, 1)


def test_dagster_type_needs_a_name():
    with pytest.raises(DagsterInvalidDefinitionError, match="needs a name"):
        DagsterType(lambda _c, _v: True)


# -- legacy names -----------------------------------------------------------------------------

LEGACY_NAMES = [
    # definitions
    "solid", "lambda_solid", "SolidDefinition", "composite_solid", "CompositeSolidDefinition",
    "pipeline", "PipelineDefinition", "SolidInvocation", "DependencyDefinition",
    "MultiDependencyDefinition", "InputDefinition", "OutputDefinition",
    "DynamicOutputDefinition", "DynamicOutput", "Output", "AssetMaterialization",
    "Materialization", "ExpectationResult", "TypeCheck", "EventMetadataEntry", "AssetKey",
    "Failure", "RetryRequested", "RetryPolicy", "Backoff", "Jitter", "ModeDefinition",
    "PresetDefinition", "resource", "ResourceDefinition", "io_manager", "IOManager",
    "IOManagerDefinition", "fs_io_manager", "mem_io_manager", "root_input_manager", "logger",
    "executor", "success_hook", "failure_hook", "HookDefinition", "repository",
    "RepositoryDefinition",
    # types
    "DagsterType", "PythonObjectDagsterType", "usable_as_dagster_type", "dagster_type_loader",
    "make_python_type_usable_as_dagster_type", "Any", "Bool", "Int", "Float", "String",
    "Nothing", "Optional", "List", "Dict", "Set", "Tuple",
    # execution
    "execute_pipeline", "execute_pipeline_iterator", "execute_solid", "reconstructable",
    "build_solid_context", "build_init_resource_context", "PipelineExecutionResult",
    "SolidExecutionResult", "DagsterEventType", "DagsterEvent", "PipelineRunStatus",
    # errors
    "DagsterError", "DagsterInvalidDefinitionError", "DagsterInvariantViolationError",
    "DagsterInvalidSubsetError", "DagsterExecutionStepNotFoundError",
    "DagsterUnknownResourceError", "DagsterStepOutputNotFoundError",
    "DagsterTypeCheckDidNotPass", "DagsterInvalidInvocationError",
    "DagsterExecutionStepExecutionError", "DagsterUserCodeExecutionError",
    "DagsterResourceFunctionError",
]


@pytest.mark.parametrize("name", LEGACY_NAMES)
def test_legacy_names_importable(name):
    assert getattr(orch, name) is not None
    assert name in orch.__all__


def test_legacy_error_hierarchy():
    for name in LEGACY_NAMES:
        if name.startswith("Dagster") and name.endswith("Error") and name != "DagsterError":
            assert issubclass(getattr(orch, name), orch.DagsterError), name


# -- repositories -----------------------------------------------------------------------------


@solid
def _noop(context):
    return None


def _make_pipeline(name):
    return PipelineDefinition([_noop], name=name)


def test_repository_list_form():
    a, b = _make_pipeline("a"), _make_pipeline("b")

    @repository
    def repo():
        return [b, a]

    assert repo.name == "repo"
    assert repo.pipeline_names == ["a", "b"]
    assert repo.get_pipeline("a") is a
    assert repo.has_pipeline("b") and not repo.has_pipeline("c")
    assert [p.name for p in repo.get_all_pipelines()] == ["a", "b"]


def test_repository_list_form_rejects_duplicates_and_junk():
    with pytest.raises(DagsterInvalidDefinitionError, match='two pipelines named "a"'):

        @repository
        def dup():
            return [_make_pipeline("a"), _make_pipeline("a")]

    with pytest.raises(DagsterInvalidDefinitionError, match="accepts pipelines"):

        @repository
        def junk():
            return [42]


def test_repository_lazy_dict_form_loads_on_first_access_only():
    calls = []

    def load_a():
        calls.append("a")
        return _make_pipeline("a")

    @repository(name="lazy")
    def repo():
        return {"pipelines": {"a": load_a, "b": lambda: _make_pipeline("b")}}

    assert calls == []
    assert repo.pipeline_names == ["a", "b"]
    assert calls == []
    first = repo.get_pipeline("a")
    assert repo.get_pipeline("a") is first
    assert calls == ["a"]


def test_repository_errors_name_the_choices():
    @repository
    def repo():
        return {"pipelines": {"a": lambda: _make_pipeline("a"),
                              "wrong": lambda: _make_pipeline("other")}}

    with pytest.raises(orch.DagsterInvariantViolationError,
                       match=r"Could not find pipeline \"nope\".*Available: \['a', 'wrong'\]"):
        repo.get_pipeline("nope")
    with pytest.raises(orch.DagsterInvariantViolationError, match='key "wrong" loads pipeline'):
        repo.get_pipeline("wrong")

    with pytest.raises(DagsterInvalidDefinitionError, match="unknown keys"):

        @repository
        def bad():
            return {"pipelinez": {}}


# -- string annotations (this module uses `from __future__ import annotations`) -------------


def test_unresolvable_annotation_is_a_definition_error_naming_the_parameter():
    class Local:
        pass

    with pytest.raises(DagsterInvalidDefinitionError) as err:

        @solid
        def f(context, x: int, y: Local) -> int:
            return x

    assert str(err.value).startswith(
        'Solid "f": cannot evaluate the annotation "Local" of input "y" (NameError: ')
    assert "give the type explicitly in input_defs / output_defs" in str(err.value)

    with pytest.raises(DagsterInvalidDefinitionError, match='"Local" of the return value'):

        @solid
        def g(context) -> Local:
            return Local()


def test_explicit_types_make_unresolvable_annotations_irrelevant():
    class Local:
        pass

    @solid(input_defs=[InputDefinition("y", Any)], output_defs=[OutputDefinition(Int)])
    def f(context, y: Local) -> Local:
        return 1

    @solid(input_defs=[InputDefinition("x"), InputDefinition("y", Any)])
    def g(context, x: int, y: Local):
        return x

    assert f.input_dict["y"].dagster_type is Any
    assert f.output_defs[0].dagster_type is Int
    # The other annotations are still evaluated, not silently dropped.
    assert g.input_dict["x"].dagster_type is Int
