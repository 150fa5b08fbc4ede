"""Definition-time errors: each names the solid (or pipeline) at fault and says how to fix it."""

from __future__ import annotations

import pytest

from orch import (
    DagsterInvalidDefinitionError,
    DependencyDefinition,
    DynamicOutput,
    DynamicOutputDefinition,
    InputDefinition,
    Int,
    List,
    ModeDefinition,
    MultiDependencyDefinition,
    OutputDefinition,
    PipelineDefinition,
    ResourceDefinition,
    SolidInvocation,
    String,
    build_solid_context,
    composite_solid,
    pipeline,
    resource,
    solid,
)


@solid
def a(context, x=None):
    return 1


@solid
def b(context, x=None):
    return 2


@solid
def c(context, x=None):
    return 3


@solid
def emit_int(context) -> int:
    return 1


@solid
def emit_str(context) -> str:
    return "s"


@solid(output_defs=[DynamicOutputDefinition(Int)])
def dyn(context):
    yield DynamicOutput(1, mapping_key="one")


# -- cycles ---------------------------------------------------------------------------------


def test_cycle_names_the_cycle_in_data_flow_order():
    with pytest.raises(DagsterInvalidDefinitionError) as err:
        PipelineDefinition(
            [a, b], name="cyclic",
            dependencies={"a": {"x": DependencyDefinition("b")},
                          "b": {"x": DependencyDefinition("a")}},
        )
    message = str(err.value)
    assert '"cyclic" has a circular dependency: a -> b -> a.' in message
    assert "Remove one of these edges" in message


def test_three_node_cycle_and_self_loop():
    with pytest.raises(DagsterInvalidDefinitionError, match="a -> b -> c -> a"):
        PipelineDefinition(
            [a, b, c], name="tri",
            dependencies={"b": {"x": DependencyDefinition("a")},
                          "c": {"x": DependencyDefinition("b")},
                          "a": {"x": DependencyDefinition("c")}},
        )
    with pytest.raises(DagsterInvalidDefinitionError, match="circular dependency: a -> a"):
        PipelineDefinition([a], name="selfloop",
                           dependencies={"a": {"x": DependencyDefinition("a")}})


def test_cycle_downstream_nodes_do_not_hide_the_cycle():
    with pytest.raises(DagsterInvalidDefinitionError, match="b -> c -> b"):
        PipelineDefinition(
            [a, b, c], name="tail",
            dependencies={"a": {"x": DependencyDefinition("b")},
                          "b": {"x": DependencyDefinition("c")},
                          "c": {"x": DependencyDefinition("b")}},
        )


# -- names and duplicates ---------------------------------------------------------------------


def test_same_definition_twice_gets_numbered_names():
    @pipeline
    def twice():
        a(a())

    assert [s.name for s in twice.solids] == ["a", "a_2"]


def test_conflicting_definitions_with_the_same_name():
    @solid(name="a")
    def other_a(context):
        return 0

    with pytest.raises(DagsterInvalidDefinitionError,
                       match='"conflict" uses two different solid definitions named "a"'):

        @pipeline
        def conflict():
            a()
            other_a()

    with pytest.raises(DagsterInvalidDefinitionError,
                       match='"explicit" has two different solid definitions named "a"'):
        PipelineDefinition([a, other_a], name="explicit")


def test_duplicate_alias_and_alias_clashing_with_a_solid():
    with pytest.raises(DagsterInvalidDefinitionError, match='two solids with alias "x"'):

        @pipeline
        def dup_alias():
            a.alias("x")()
            b.alias("x")()

    with pytest.raises(DagsterInvalidDefinitionError,
                       match=r'"clash" has two solids named "b": give one an alias'):
        PipelineDefinition(
            [a, b], name="clash",
            dependencies={"b": {}, SolidInvocation("a", alias="b"): {}},
        )
    with pytest.raises(DagsterInvalidDefinitionError, match='"clash2" has two solids named "b"'):
        # b is not in the dependencies dict, so it is added under its own name.
        PipelineDefinition([a, b], name="clash2",
                           dependencies={SolidInvocation("a", alias="b"): {}})


@pytest.mark.parametrize("bad_name", ["bad-name", "has space", "", "dots.in.it", "class", "def"])
def test_bad_solid_names(bad_name):
    with pytest.raises(DagsterInvalidDefinitionError, match=f'Solid name "{bad_name}"'):

        @solid(name=bad_name)
        def f(context):
            pass


def test_bad_names_everywhere():
    with pytest.raises(DagsterInvalidDefinitionError, match=r"\^\[A-Za-z0-9_\]\+\$"):
        InputDefinition("in-put")
    with pytest.raises(DagsterInvalidDefinitionError, match='Output name "return" is a Python keyword'):
        OutputDefinition(name="return")
    with pytest.raises(DagsterInvalidDefinitionError, match='Pipeline name "my pipeline"'):
        PipelineDefinition([a], name="my pipeline")
    with pytest.raises(DagsterInvalidDefinitionError, match='Mode name "te-st"'):
        ModeDefinition("te-st")
    with pytest.raises(DagsterInvalidDefinitionError, match='Resource key "my-db"'):
        ModeDefinition(resource_defs={"my-db": ResourceDefinition.none_resource()})
    with pytest.raises(DagsterInvalidDefinitionError, match='Solid name "lambda"'):

        @pipeline
        def aliased():
            a.alias("lambda")()


# -- explicit dependency errors ---------------------------------------------------------------


def test_unknown_input_name_in_explicit_dependencies():
    with pytest.raises(DagsterInvalidDefinitionError) as err:
        PipelineDefinition([a, b], name="p",
                           dependencies={"b": {"y": DependencyDefinition("a")}})
    assert str(err.value) == '"p": solid "b" has no input "y" (its inputs: [\'x\']).'


def test_unknown_upstream_solid_and_output():
    with pytest.raises(DagsterInvalidDefinitionError,
                       match='input "x" of solid "b" depends on solid "nope", which does not '
                             r"exist. Solids: \['a', 'b'\]"):
        PipelineDefinition([a, b], name="p", dependencies={"b": {"x": DependencyDefinition("nope")}})
    with pytest.raises(DagsterInvalidDefinitionError,
                       match=r'depends on output "out" of solid "a", which has outputs \[\'result\'\]'):
        PipelineDefinition([a, b], name="p",
                           dependencies={"b": {"x": DependencyDefinition("a", "out")}})


def test_dependencies_naming_an_unknown_definition():
    with pytest.raises(DagsterInvalidDefinitionError,
                       match=r'dependencies name solid "zzz", but no solid definition has that '
                             r"name. Definitions: \['a'\]"):
        PipelineDefinition([a], name="p", dependencies={"zzz": {}})


# -- composition errors -----------------------------------------------------------------------


def test_unknown_keyword_and_too_many_positional_arguments():
    with pytest.raises(DagsterInvalidDefinitionError,
                       match=r'Solid "b" has no input "y"; its inputs are \[\'x\'\]'):

        @pipeline
        def p1():
            b(y=a())

    with pytest.raises(DagsterInvalidDefinitionError, match="2 positional arguments"):

        @pipeline
        def p2():
            b(a(), a())


def test_constant_passed_in_composition_points_to_config():
    with pytest.raises(DagsterInvalidDefinitionError) as err:

        @pipeline
        def p():
            b(5)

    assert 'input "x" received 5 (int)' in str(err.value)
    assert "solids.<name>.inputs" in str(err.value)


def test_pipeline_function_must_take_no_parameters():
    with pytest.raises(DagsterInvalidDefinitionError, match='@pipeline "p" must take no parameters'):

        @pipeline
        def p(x):
            b(x)


def test_modifiers_outside_composition_invoke_directly():
    # As in Dagster 0.15.10 (tests/conformance/cases/direct_invocation_outputs.py).
    assert a.alias("z")() == 1
    assert a.tag({"k": "v"})(build_solid_context(), x=3) == 1


def test_composite_must_return_inner_handles_for_declared_outputs():
    with pytest.raises(DagsterInvalidDefinitionError,
                       match='Composite solid "comp" declares output "out" but the body does not '
                             "return a value for it"):

        @composite_solid(output_defs=[OutputDefinition(name="out")])
        def comp():
            a()

    with pytest.raises(DagsterInvalidDefinitionError, match='Composite solid "comp2" must return'):

        @composite_solid
        def comp2():
            return 5


# -- fan-in -------------------------------------------------------------------------------------


def test_fan_in_into_a_non_list_input():
    @solid
    def takes_int(context, xs: int):
        return xs

    with pytest.raises(DagsterInvalidDefinitionError) as err:

        @pipeline
        def p():
            takes_int([emit_int(), emit_int()])

    assert 'input "xs" of solid "takes_int" fans in several outputs but has type "Int"' in str(
        err.value
    )
    assert "give it a List type" in str(err.value)


def test_fan_in_with_mismatched_element_types():
    @solid(input_defs=[InputDefinition("xs", List[Int])])
    def sum_ints(context, xs):
        return sum(xs)

    with pytest.raises(DagsterInvalidDefinitionError) as err:
        PipelineDefinition(
            [emit_int, emit_str, sum_ints], name="p",
            dependencies={"sum_ints": {"xs": MultiDependencyDefinition([
                DependencyDefinition("emit_int"), DependencyDefinition("emit_str")])}},
        )
    message = str(err.value)
    assert 'fan-in input "xs" of solid "sum_ints" has type "List[Int]"' in message
    assert 'output "result" of "emit_str" is "String"' in message
    assert "Make the types agree" in message


def test_fan_in_with_matching_and_any_types_is_fine():
    @solid(input_defs=[InputDefinition("xs", List[Int])])
    def sum_ints(context, xs):
        return sum(xs)

    @solid
    def untyped(context):
        return 1

    @pipeline
    def ok():
        sum_ints([emit_int(), untyped()])

    assert [s.name for s in ok.solids] == ["emit_int", "untyped", "sum_ints"]


# -- dynamic outputs ----------------------------------------------------------------------------


def test_dynamic_output_passed_without_map():
    with pytest.raises(DagsterInvalidDefinitionError) as err:

        @pipeline
        def p():
            b(dyn())

    message = str(err.value)
    assert 'Input "x" of solid "b" receives the dynamic output "result" of "dyn" directly' in message
    assert ".map(" in message and ".collect()" in message


def test_dynamic_output_cannot_fan_in_or_nest():
    with pytest.raises(DagsterInvalidDefinitionError, match="fans in a dynamic or mapped output"):

        @pipeline
        def fan():
            b([dyn()])

    @solid(output_defs=[DynamicOutputDefinition()])
    def dyn_from(context, x):
        yield DynamicOutput(x, mapping_key="k")

    with pytest.raises(DagsterInvalidDefinitionError, match="only one level of mapping"):

        @pipeline
        def nested2():
            dyn().map(dyn_from)


# -- resources ----------------------------------------------------------------------------------


@solid(required_resource_keys={"db"})
def uses_db(context):
    return context.resources.db


def test_missing_resource_for_a_mode():
    with pytest.raises(DagsterInvalidDefinitionError) as err:

        @pipeline(mode_defs=[
            ModeDefinition("prod", resource_defs={"db": ResourceDefinition.none_resource()}),
            ModeDefinition("test"),
        ])
        def p():
            uses_db()

    assert str(err.value) == (
        "Resource(s) ['db'] required by solid \"uses_db\" are not provided by mode \"test\" of "
        "pipeline \"p\". Provided: ['io_manager']."
    )


def test_missing_io_manager_key_and_resource_inside_composite():
    @solid(output_defs=[OutputDefinition(io_manager_key="warehouse")])
    def stores(context):
        return 1

    with pytest.raises(DagsterInvalidDefinitionError, match=r"\['warehouse'\] required by solid "
                                                              '"stores"'):

        @pipeline
        def p():
            stores()

    @composite_solid
    def comp():
        uses_db()

    with pytest.raises(DagsterInvalidDefinitionError, match=r'required by solid "comp\.uses_db"'):

        @pipeline
        def p2():
            comp()


def test_resource_requiring_a_missing_resource():
    @resource(required_resource_keys={"creds"})
    def client(init_context):
        return init_context.resources.creds

    with pytest.raises(DagsterInvalidDefinitionError,
                       match=r'Resource "client" requires resource\(s\) \[\'creds\'\], which mode '
                             '"default" of pipeline "p" does not provide'):

        @pipeline(mode_defs=[ModeDefinition(resource_defs={"client": client})])
        def p():
            a()


def test_mode_resource_must_be_a_resource_definition():
    with pytest.raises(DagsterInvalidDefinitionError, match='resource "db" must be a '
                                                            "ResourceDefinition"):
        ModeDefinition(resource_defs={"db": object()})


def test_duplicate_modes():
    with pytest.raises(DagsterInvalidDefinitionError, match='defines mode "m" twice'):
        PipelineDefinition([a], name="p", mode_defs=[ModeDefinition("m"), ModeDefinition("m")])


def test_string_type_in_wrong_place_is_caught_at_definition():
    # sanity: an input typed String connected to an Int output is allowed at definition time
    # (checked at runtime), like the legacy engine.
    @solid
    def wants_str(context, s: str):
        return s

    @pipeline
    def p():
        wants_str(emit_int())

    assert p.solid_named("wants_str").definition.input_dict["s"].dagster_type is String


def test_mapped_solid_cannot_also_collect():
    @solid(output_defs=[DynamicOutputDefinition()])
    def other(context):
        yield DynamicOutput(1, mapping_key="p")

    @solid
    def combine(context, x, ys):
        return x, ys

    with pytest.raises(DagsterInvalidDefinitionError) as err:

        @pipeline
        def p():
            others = other().collect()
            dyn().map(lambda x: combine(x, others))

    assert str(err.value).startswith(
        'Solid "combine" cannot both collect over the dynamic output "result" of "other" and '
        "be mapped over another dynamic output")


def test_mapped_solid_cannot_also_collect_explicit_form():
    from orch.core.plan.plan import create_execution_plan

    from orch import DynamicCollectDependencyDefinition

    @solid(output_defs=[DynamicOutputDefinition()])
    def other(context):
        yield DynamicOutput(1, mapping_key="p")

    @solid
    def combine(context, ys, x):
        return x, ys

    p = PipelineDefinition(
        [dyn, other, combine], name="p",
        dependencies={"combine": {"x": DependencyDefinition("dyn"),
                                  "ys": DynamicCollectDependencyDefinition("other")}},
    )
    with pytest.raises(DagsterInvalidDefinitionError,
                       match='Solid "combine" cannot both collect over a dynamic output and be '
                             "mapped over another one"):
        create_execution_plan(p)
