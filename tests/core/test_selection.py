"""The selection grammar (LEGACY_API.md §2), checked by example and against a brute-force
reference on random DAGs."""

from __future__ import annotations

import re
import string

import pytest
from core_helpers import executed_steps, run
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from orch.core.execution.api import prepare_run
from orch.core.runs import SOLID_SELECTION_TAG
from orch.core.selection import parse_clause, select_solids, select_steps, split_selection

from orch import (
    DagsterError,
    DagsterExecutionStepNotFoundError,
    DagsterInvalidSubsetError,
    DagsterInvariantViolationError,
    DynamicOutput,
    DynamicOutputDefinition,
    InputDefinition,
    Int,
    composite_solid,
    pipeline,
    solid,
)

# a -> b -> d -> f
#  \-> c -> e
# and a shortcut a -> g -> h, a -> h (h is at depth 1 and 2 from a).
EDGES = [("a", "b"), ("a", "c"), ("b", "d"), ("c", "e"), ("d", "f"),
         ("a", "g"), ("g", "h"), ("a", "h")]
NODES = sorted({n for e in EDGES for n in e})


def _graph(nodes, edges):
    parents = {n: set() for n in nodes}
    children = {n: set() for n in nodes}
    for up, down in edges:
        parents[down].add(up)
        children[up].add(down)
    return parents, children


PARENTS, CHILDREN = _graph(NODES, EDGES)


def sel(*clauses):
    return select_solids(list(clauses), PARENTS, CHILDREN)


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("a", {"a"}),
        ("a+", {"a", "b", "c", "g", "h"}),
        ("a++", {"a", "b", "c", "d", "e", "g", "h"}),
        ("a+++", set(NODES)),
        ("a*", set(NODES)),
        ("*f", {"f", "d", "b", "a"}),
        ("+f", {"f", "d"}),
        ("++f", {"f", "d", "b"}),
        ("*a", {"a"}),
        ("*d+", {"a", "b", "d", "f"}),
        ("*+d", {"a", "b", "d"}),
        ("d+*", {"d", "f"}),
        ("*d*", {"a", "b", "d", "f"}),
        ("++h", {"h", "g", "a"}),
        ("+h", {"h", "g", "a"}),
        ("b++", {"b", "d", "f"}),
        ("+e+", {"c", "e"}),
        ("  c  ", {"c"}),
    ],
)
def test_clause_examples(clause, expected):
    assert sel(clause) == expected


def test_level_by_level_not_per_edge():
    # From a, the first level has four children. A traversal that spends its depth budget per
    # edge (the legacy bug) stops early or goes too deep; a BFS gets exactly depth <= 2.
    assert sel("a++") - {"a"} == {n for n in NODES if _dist("a", n, CHILDREN) in (1, 2)}
    assert "f" not in sel("a++")
    assert {"d", "e"} <= sel("a++")


@pytest.mark.parametrize("clause", ["a", "*a", "a*", "*a*", "+a", "++a", "a+++", "*a+",
                                    "*+a", "a+*", "*++a++*", "x[k1]", "x[?]", "a.b", "a-b"])
def test_valid_syntax(clause):
    assert parse_clause(clause) is not None


@pytest.mark.parametrize("clause", ["+*a", "a*+", "**a", "a**", "*", "+", "", "a b", "a,b",
                                    "a+b", "(a)", "a/b", "*+*a"])
def test_invalid_syntax(clause):
    assert parse_clause(clause) is None


@pytest.mark.parametrize("clause", ["+*a", "a*+"])
def test_invalid_syntax_aborts_whole_selection(clause):
    with pytest.raises(DagsterInvalidSubsetError) as err:
        sel("b", clause)
    message = str(err.value)
    assert message.startswith(f"No qualified solids to execute found for solid_selection=['b', "
                              f"'{clause}']")
    assert f'"{clause}" is not valid selection syntax' in message


def test_depth_parsing():
    assert parse_clause("++a+++") .up_depth == 2
    assert parse_clause("++a+++").down_depth == 3
    assert parse_clause("*+a").up_depth == -1
    assert parse_clause("a+*").down_depth == -1
    assert parse_clause("a").up_depth == parse_clause("a").down_depth == 0


def test_comma_string_and_list_forms():
    assert split_selection("a, *f ,b+") == ["a", "*f", "b+"]
    assert split_selection(["a ", " b+"]) == ["a", "b+"]
    assert split_selection("a,,b,") == ["a", "b"]
    assert select_solids("c,+f", PARENTS, CHILDREN) == {"c", "f", "d"}
    assert select_solids(["c", "+f"], PARENTS, CHILDREN) == {"c", "f", "d"}


def test_unknown_name_lists_available():
    with pytest.raises(DagsterInvalidSubsetError) as err:
        sel("a", "zzz+")
    assert str(err.value) == (
        "No qualified solids to execute found for solid_selection=['a', 'zzz+']: "
        f'"zzz" does not exist. Available: {NODES}.'
    )


def test_empty_selection_is_an_error():
    with pytest.raises(DagsterInvalidSubsetError, match=r"solid_selection=\[\]"):
        select_solids("", PARENTS, CHILDREN)
    # In a list every item is a clause: a blank one is malformed, not ignored.
    with pytest.raises(DagsterInvalidSubsetError, match='"" is not valid selection syntax'):
        select_solids(["a", " "], PARENTS, CHILDREN)


def test_step_selection_with_dynamic_keys():
    parents = {"emit": set(), "work[k1]": {"emit"}, "work[k2]": {"emit"},
               "total": {"work[k1]", "work[k2]"}}
    children = {"emit": {"work[k1]", "work[k2]"}, "work[k1]": {"total"},
                "work[k2]": {"total"}, "total": set()}
    assert select_steps(["work[k1]+"], parents, children) == {"work[k1]", "total"}
    assert select_steps("*work[k2]", parents, children) == {"work[k2]", "emit"}
    with pytest.raises(DagsterExecutionStepNotFoundError,
                       match=r"Execution plan does not contain step: work\[k3\]"):
        select_steps(["work[k3]"], parents, children)
    with pytest.raises(DagsterInvalidSubsetError,
                       match=r"No qualified steps to execute found for step_selection=\['\+\*emit'\]"):
        select_steps(["+*emit"], parents, children)


# -- subsetting a pipeline run --------------------------------------------------------------


@solid
def load(context) -> int:
    return 2


@solid
def square(context, x: int) -> int:
    return x * x


@solid(input_defs=[InputDefinition("x", Int, default_value=10)])
def negate(context, x):
    return -x


@solid
def other(context) -> int:
    return 0


@pipeline
def chain():
    negate(square(load()))
    other()


def test_solid_selection_runs_only_the_selection():
    result = run(chain, solid_selection=["*square"])
    assert result.success
    assert executed_steps(result) == ["load", "square"]
    assert result.result_for_solid("square").output_value() == 4


def test_subset_input_falls_back_to_default_then_config():
    result = run(chain, solid_selection=["negate"])
    assert executed_steps(result) == ["negate"]
    assert result.result_for_solid("negate").output_value() == -10

    result = run(chain, solid_selection="square+",
                 run_config={"solids": {"square": {"inputs": {"x": 5}}}})
    assert executed_steps(result) == ["square", "negate"]
    assert result.result_for_solid("negate").output_value() == -25


def test_subset_input_without_a_value_is_an_error():
    # Which layer reports it (run config validation or the plan) is the config system's
    # business; the error must name the solid and the input's config path.
    with pytest.raises(DagsterError) as err:
        run(chain, solid_selection=["square"])
    message = str(err.value)
    assert "square" in message and "inputs" in message and "x" in message


def test_run_records_selection_and_resolved_solids():
    prepared = prepare_run(chain, solid_selection=["square+", "other"],
                           run_config={"solids": {"square": {"inputs": {"x": 3}}}})
    assert prepared.run.solid_selection == ["square+", "other"]
    assert prepared.run.solids_to_execute == ["negate", "other", "square"]
    assert prepared.run.tags[SOLID_SELECTION_TAG] == "square+,other"
    assert sorted(prepared.plan.steps) == ["negate", "other", "square"]


def test_unknown_solid_in_pipeline_selection():
    with pytest.raises(DagsterInvalidSubsetError, match=r'"nope" does not exist. Available: '
                                                        r"\['load', 'negate', 'other', 'square'\]"):
        run(chain, solid_selection=["nope"])


# -- property tests against a brute-force reference -------------------------------------------

UNLIMITED = 10**9


def _all_pairs_distances(nodes, edges):
    """Floyd-Warshall over the edge direction (independent of the BFS under test)."""
    inf = float("inf")
    dist = {(u, v): (0 if u == v else inf) for u in nodes for v in nodes}
    for up, down in edges:
        dist[(up, down)] = min(dist[(up, down)], 1)
    for k in nodes:
        for i in nodes:
            for j in nodes:
                if dist[(i, k)] + dist[(k, j)] < dist[(i, j)]:
                    dist[(i, j)] = dist[(i, k)] + dist[(k, j)]
    return dist


def _dist(src, dst, children):
    edges = [(u, v) for u, vs in children.items() for v in vs]
    return _all_pairs_distances(sorted(children), edges)[(src, dst)]


def _reference(nodes, edges, clauses):
    dist = _all_pairs_distances(nodes, edges)
    selected = set()
    for clause in clauses:
        m = re.match(r"^(\*?\+*)(\w+)(\+*\*?)$", clause)
        prefix, name, suffix = m.groups()
        up = UNLIMITED if "*" in prefix else prefix.count("+")
        down = UNLIMITED if "*" in suffix else suffix.count("+")
        for other in nodes:
            if dist[(other, name)] <= up or dist[(name, other)] <= down:
                selected.add(other)
    return selected


@st.composite
def dags(draw):
    count = draw(st.integers(min_value=1, max_value=9))
    nodes = [f"s{i}" for i in range(count)]
    edges = [
        (nodes[i], nodes[j])
        for i in range(count) for j in range(i + 1, count)
        if draw(st.booleans())
    ]
    return nodes, edges


def _side(draw, suffix: bool):
    pluses = "+" * draw(st.integers(min_value=0, max_value=4))
    star = draw(st.sampled_from(["", "*"]))
    return pluses + star if suffix else star + pluses


@st.composite
def dag_and_clauses(draw):
    nodes, edges = draw(dags())
    clauses = []
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        name = draw(st.sampled_from(nodes))
        clauses.append(_side(draw, False) + name + _side(draw, True))
    return nodes, edges, clauses


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dag_and_clauses())
def test_selection_matches_brute_force_reference(case):
    nodes, edges, clauses = case
    parents, children = _graph(nodes, edges)
    assert select_solids(clauses, parents, children) == _reference(nodes, edges, clauses)
    # The comma-string form gives the same answer.
    assert select_solids(",".join(clauses), parents, children) == _reference(nodes, edges,
                                                                             clauses)


def _is_valid_known(clause, nodes):
    parsed = parse_clause(clause)
    return parsed is not None and parsed.name in nodes


garbage = st.one_of(
    st.text(max_size=12),
    st.text(alphabet=string.ascii_letters + "*+[]?.-_, \t\n", max_size=12),
    st.sampled_from(["+*s0", "s0*+", "**s0", "s0++*+", "*", "+", "s0 s1", "s0+s1", "*+*s0"]),
)


@settings(max_examples=300, deadline=None)
@given(dags(), st.lists(st.sampled_from(["s0", "*s0", "s0+"]), max_size=2), garbage)
def test_malformed_clause_always_raises_invalid_subset(dag, good, bad):
    nodes, edges = dag
    parents, children = _graph(nodes, edges)
    assume(not _is_valid_known(bad, nodes))
    for clauses in ([*good, bad], [bad, *good]):
        with pytest.raises(DagsterInvalidSubsetError):
            select_solids(clauses, parents, children)
    # As one comma string, a clause made only of separators vanishes; anything else raises.
    pieces = split_selection(bad)
    if pieces and not all(_is_valid_known(p, nodes) for p in pieces):
        with pytest.raises(DagsterInvalidSubsetError):
            select_solids(bad, parents, children)


# -- subsets with composites and dynamic outputs ---------------------------------------------


@solid
def double_it(context, x: int) -> int:
    return x * 2


@composite_solid
def quad(x: int):
    return double_it.alias("second")(double_it(x))


@solid(output_defs=[DynamicOutputDefinition(Int)])
def spread(context, x: int):
    for i in range(x):
        yield DynamicOutput(i, mapping_key=f"i{i}")


@solid
def total(context, xs) -> int:
    return sum(xs)


@pipeline
def shapes():
    spread(quad(load())).map(double_it.alias("each")).collect()
    total(spread.alias("spread_2")(load()).map(double_it.alias("each_2")).collect())


def test_composite_is_selected_whole():
    result = run(shapes, solid_selection=["quad"],
                 run_config={"solids": {"quad": {"inputs": {"x": {"value": 1}}}}})
    assert executed_steps(result) == ["quad.double_it", "quad.second"]
    assert result.result_for_solid("quad").output_value() == 4


def test_selection_with_dynamic_solids():
    result = run(shapes, solid_selection=["+spread_2+", "each_2+"])
    assert executed_steps(result) == ["load_2", "spread_2", "each_2[i0]", "each_2[i1]", "total"]
    assert result.result_for_solid("total").output_value() == 2
    with pytest.raises(DagsterInvariantViolationError, match='has no solid named "quad"'):
        result.result_for_solid("quad")


# -- legacy step keys (<solid>.compute, Dagster before 0.10) --------------------------------


def test_legacy_compute_step_keys_name_the_solids_step():
    parents = {"emit": set(), "work[k1]": {"emit"}, "work[k2]": {"emit"},
               "wrap.compute": {"emit"}, "total": {"work[k1]", "work[k2]", "wrap.compute"}}
    children = {"emit": {"work[k1]", "work[k2]", "wrap.compute"}, "work[k1]": {"total"},
                "work[k2]": {"total"}, "wrap.compute": {"total"}, "total": set()}
    assert select_steps(["emit.compute"], parents, children) == {"emit"}
    assert select_steps("*total.compute", parents, children) == set(parents)
    assert select_steps(["work.compute[k1]+"], parents, children) == {"work[k1]", "total"}
    # A real step key wins: the inner solid of composite "wrap" is named "compute".
    assert select_steps(["wrap.compute"], parents, children) == {"wrap.compute"}
    with pytest.raises(DagsterExecutionStepNotFoundError,
                       match=r"does not contain step: nope\.compute"):
        select_steps(["nope.compute"], parents, children)


def test_step_keys_to_execute_accept_the_compute_suffix():
    prepared = prepare_run(chain, step_keys_to_execute=["square.compute", "negate"])
    assert prepared.plan.step_keys_to_execute == {"square", "negate"}
    assert prepared.run.step_keys_to_execute == ["negate", "square"]


def test_reexecute_with_compute_suffix_runs_only_that_step(tmp_path):
    from orch import (
        DagsterInstance,
        ModeDefinition,
        execute_pipeline,
        fs_io_manager,
        reexecute_pipeline,
    )

    calls = []

    @solid
    def first(context) -> int:
        calls.append("first")
        return 4

    @solid
    def second(context, x: int) -> int:
        calls.append("second")
        return x + 1

    @pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": fs_io_manager})])
    def two_steps():
        second(first())

    instance = DagsterInstance.local_temp(str(tmp_path))
    parent = execute_pipeline(two_steps, instance=instance)
    calls.clear()
    child = reexecute_pipeline(two_steps, parent_run_id=parent.run_id,
                               step_selection=["second.compute"], instance=instance)
    assert child.success and calls == ["second"]
    assert child.result_for_solid("second").output_value() == 5
    assert instance.get_run_by_id(child.run_id).step_keys_to_execute == ["second"]
