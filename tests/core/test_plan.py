"""The execution plan (LEGACY_API.md §3): step keys, input sources, flattening, snapshots."""

from __future__ import annotations

import json

import pytest
from orch.core.plan.plan import create_execution_plan
from orch.core.plan.sources import (
    FromConfig,
    FromDefaultValue,
    FromDynamicCollect,
    FromMultipleSources,
    FromNothing,
    FromPendingDynamicStepOutput,
    FromRootInputManager,
    FromStepOutput,
    FromUnresolvedStepOutput,
    StepOutputHandle,
)

from orch import (
    DynamicOutput,
    DynamicOutputDefinition,
    InputDefinition,
    Int,
    ModeDefinition,
    Nothing,
    OutputDefinition,
    RetryPolicy,
    composite_solid,
    pipeline,
    root_input_manager,
    solid,
    success_hook,
)


@solid
def start(context) -> int:
    return 1


@solid
def add_one(context, x: int) -> int:
    return x + 1


@solid
def total(context, xs):
    return sum(xs)


@solid(output_defs=[DynamicOutputDefinition(Int)])
def fan_out(context, n: int):
    for i in range(n):
        yield DynamicOutput(i, mapping_key=f"k{i}")


@composite_solid
def inner_comp(x):
    return add_one(add_one.alias("first")(x))


@composite_solid
def outer_comp(x):
    return inner_comp(add_one(x))


@pipeline
def nested():
    add_one.alias("after")(outer_comp(start()))


def _plan(p, run_config=None, **kwargs):
    return create_execution_plan(p, run_config or {}, **kwargs)


def _source(plan, step_key, input_name):
    step = plan.get_step(step_key)
    return next(i.source for i in step.inputs if i.name == input_name)


def test_step_keys_flatten_composites_in_topological_order():
    plan = _plan(nested)
    assert plan.order == [
        "start", "outer_comp.add_one", "outer_comp.inner_comp.first",
        "outer_comp.inner_comp.add_one", "after",
    ]
    step = plan.get_step("outer_comp.inner_comp.first")
    assert step.handle == "outer_comp.inner_comp.first"
    assert step.solid_name == "first"
    assert step.solid_def is add_one
    assert step.kind == "COMPUTE"


def test_composite_input_and_output_mappings_are_flattened():
    plan = _plan(nested)
    # outer_comp's input x is mapped to its inner add_one: reads start directly.
    assert _source(plan, "outer_comp.add_one", "x") == FromStepOutput(StepOutputHandle("start"))
    # inner_comp's input comes from outer_comp.add_one (one level of mapping each way).
    assert _source(plan, "outer_comp.inner_comp.first", "x") == FromStepOutput(
        StepOutputHandle("outer_comp.add_one"))
    # `after` reads outer_comp's output, which maps down to the leaf inner_comp.add_one.
    assert _source(plan, "after", "x") == FromStepOutput(
        StepOutputHandle("outer_comp.inner_comp.add_one"))
    assert plan.get_step("after").upstream_keys() == {"outer_comp.inner_comp.add_one"}


def test_unconnected_composite_input_uses_config_then_default():
    @composite_solid(input_defs=[InputDefinition("x", Int, default_value=7)])
    def comp(x):
        return add_one(x)

    @pipeline
    def p():
        comp()

    assert _source(_plan(p), "comp.add_one", "x") == FromDefaultValue(7)
    configured = _plan(p, {"solids": {"comp": {"inputs": {"x": 9}}}})
    assert _source(configured, "comp.add_one", "x") == FromConfig("comp", "x", 9)


def test_dynamic_step_keys_and_sources_before_and_after_resolution():
    @pipeline
    def dyn():
        mapped = fan_out(start()).map(add_one)
        total(mapped.map(add_one.alias("again")).collect())

    plan = _plan(dyn)
    assert plan.order == ["start", "fan_out", "add_one[?]", "again[?]", "total"]
    assert plan.get_step("add_one[?]").kind == "UNRESOLVED_MAPPED"
    assert plan.get_step("total").kind == "UNRESOLVED_COLLECT"
    assert _source(plan, "add_one[?]", "x") == FromPendingDynamicStepOutput("fan_out", "result")
    assert _source(plan, "again[?]", "x") == FromUnresolvedStepOutput("fan_out", "add_one",
                                                                       "result")
    assert isinstance(_source(plan, "total", "xs"), FromDynamicCollect)
    # Everything downstream of the producer waits on the producer.
    for key in ("add_one[?]", "again[?]", "total"):
        assert plan.get_step(key).upstream_keys() == {"fan_out"}

    new_steps = plan.resolve("fan_out", "result", ["k0", "k1"])
    assert [s.key for s in new_steps] == ["add_one[k0]", "add_one[k1]", "again[k0]",
                                          "again[k1]", "total"]
    assert plan.order == ["start", "fan_out", "add_one[k0]", "add_one[k1]", "again[k0]",
                          "again[k1]", "total"]
    assert _source(plan, "add_one[k1]", "x") == FromStepOutput(
        StepOutputHandle("fan_out", "result", "k1"))
    assert _source(plan, "again[k0]", "x") == FromStepOutput(StepOutputHandle("add_one[k0]"))
    assert plan.get_step("again[k0]").mapping_key == "k0"
    collected = _source(plan, "total", "xs")
    assert isinstance(collected, FromMultipleSources)
    assert collected.handles() == [StepOutputHandle("again[k0]"), StepOutputHandle("again[k1]")]
    assert plan.get_step("total").kind == "COMPUTE"


def test_collect_directly_from_the_producer():
    @pipeline
    def dyn():
        total(fan_out(start()).collect())

    plan = _plan(dyn)
    plan.resolve("fan_out", "result", ["a", "b"])
    assert _source(plan, "total", "xs").handles() == [
        StepOutputHandle("fan_out", "result", "a"), StepOutputHandle("fan_out", "result", "b"),
    ]


def test_input_sources_by_kind():
    @root_input_manager
    def loader(_context):
        return 5

    @solid(input_defs=[
        InputDefinition("from_root", root_manager_key="loader"),
        InputDefinition("from_default", Int, default_value=3),
        InputDefinition("from_config", Int),
        InputDefinition("from_dep", Int),
        InputDefinition("after", Nothing),
        InputDefinition("unconnected_nothing", Nothing),
        InputDefinition("fanned"),
    ])
    def everything(context, from_root, from_default, from_config, from_dep, fanned):
        return 0

    @pipeline(mode_defs=[ModeDefinition(resource_defs={"loader": loader})])
    def p():
        one = start()
        everything(from_dep=one, after=one, fanned=[one, add_one(one)])

    plan = _plan(p, {"solids": {"everything": {"inputs": {"from_config": 4,
                                                           "from_default": 9}}}})
    assert _source(plan, "everything", "from_root") == FromRootInputManager("loader")
    # config beats a default value
    assert _source(plan, "everything", "from_default") == FromConfig("everything",
                                                                      "from_default", 9)
    assert _source(plan, "everything", "from_config") == FromConfig("everything",
                                                                     "from_config", 4)
    assert _source(plan, "everything", "from_dep") == FromStepOutput(StepOutputHandle("start"))
    assert _source(plan, "everything", "after") == FromStepOutput(StepOutputHandle("start"))
    assert _source(plan, "everything", "unconnected_nothing") == FromNothing()
    fanned = _source(plan, "everything", "fanned")
    assert isinstance(fanned, FromMultipleSources)
    assert fanned.handles() == [StepOutputHandle("start"), StepOutputHandle("add_one")]
    assert plan.get_step("everything").upstream_keys() == {"start", "add_one"}

    no_config = _plan(p, {"solids": {"everything": {"inputs": {"from_config": 4}}}})
    assert _source(no_config, "everything", "from_default") == FromDefaultValue(3)


def test_missing_input_source_is_an_error_naming_the_config_path():
    @pipeline
    def p():
        add_one()

    with pytest.raises(Exception) as err:
        _plan(p)
    assert str(err.value) == (
        'In pipeline "p", input "x" of solid "add_one" must get a value either (a) from a '
        "dependency or (b) from the inputs section of its configuration (solids: {add_one: "
        "{inputs: {x: ...}}}), or have a default_value."
    )


def test_step_keys_to_execute():
    plan = _plan(nested, step_keys_to_execute=["after", "start", "not_a_step"])
    assert plan.step_keys_to_execute == {"after", "start"}
    assert [s.key for s in plan.executable_steps()] == ["start", "after"]
    assert plan.is_selected("after") and not plan.is_selected("outer_comp.add_one")
    assert plan.snapshot()["step_keys_to_execute"] == ["start", "after"]
    # Unselected steps stay in the plan: the selected ones read their outputs from elsewhere.
    assert len(plan.steps) == 5


def test_step_graph_for_step_selection():
    parents, children = _plan(nested).step_graph()
    assert parents["after"] == {"outer_comp.inner_comp.add_one"}
    assert children["start"] == {"outer_comp.add_one"}
    assert parents["start"] == set()


def test_snapshot_is_json_serialisable_and_describes_steps():
    @pipeline
    def dyn():
        total(fan_out(start()).map(add_one).collect())

    plan = _plan(dyn)
    snap = json.loads(json.dumps(plan.snapshot()))
    assert snap["pipeline_name"] == "dyn"
    by_key = {s["key"]: s for s in snap["steps"]}
    assert list(by_key) == ["start", "fan_out", "add_one[?]", "total"]
    assert by_key["add_one[?]"]["kind"] == "UNRESOLVED_MAPPED"
    assert by_key["add_one[?]"]["solid_handle"] == "add_one"
    assert by_key["add_one[?]"]["inputs"] == [{
        "name": "x", "type": "Int", "source": "dynamic output fan_out.result[?]",
        "upstream": ["fan_out"],
    }]
    assert by_key["fan_out"]["outputs"][0]["is_dynamic"] is True
    plan.resolve("fan_out", "result", ["k0"])
    snap = json.loads(json.dumps(plan.snapshot()))
    assert [s["key"] for s in snap["steps"]] == ["start", "fan_out", "add_one[k0]", "total"]
    assert snap["steps"][2]["mapping_key"] == "k0"


def test_snapshot_of_nested_composites_is_json_serialisable():
    snap = _plan(nested).snapshot()
    text = json.dumps(snap)
    assert "outer_comp.inner_comp.first" in text


def test_tags_hooks_and_retry_policy_are_inherited_into_steps():
    @success_hook
    def on_ok(_context):
        pass

    @solid(tags={"def": "1", "shared": "def"})
    def tagged(context):
        return 1

    @composite_solid
    def comp():
        return tagged.tag({"inv": "2", "shared": "inv"})()

    policy = RetryPolicy(max_retries=3)
    default_policy = RetryPolicy(max_retries=1)

    @pipeline(solid_retry_policy=default_policy)
    def p():
        comp.tag({"comp": "c"}).with_hooks({on_ok}).with_retry_policy(policy)()
        start()

    plan = _plan(p)
    inner = plan.get_step("comp.tagged")
    assert inner.tags == {"comp": "c", "def": "1", "shared": "inv", "inv": "2"}
    assert inner.hook_defs == frozenset({on_ok})
    assert inner.retry_policy is policy
    assert plan.get_step("start").retry_policy is default_policy
    assert plan.get_step("start").hook_defs == frozenset()


def test_priority_tag():
    @pipeline
    def p():
        start.tag({"dagster/priority": "5"}).alias("high")()
        start.tag({"dagster/priority": "oops"}).alias("bad")()
        start()

    plan = _plan(p)
    assert plan.get_step("high").priority() == 5
    assert plan.get_step("bad").priority() == 0
    assert plan.get_step("start").priority() == 0


def test_output_definitions_reach_the_plan():
    @solid(output_defs=[OutputDefinition(Int, "a", is_required=False),
                        OutputDefinition(name="b", io_manager_key="io_manager")])
    def two(context):
        yield from ()

    @pipeline
    def p():
        two()

    outputs = _plan(p).snapshot()["steps"][0]["outputs"]
    assert [(o["name"], o["type"], o["is_required"]) for o in outputs] == [
        ("a", "Int", False), ("b", "Any", True),
    ]
