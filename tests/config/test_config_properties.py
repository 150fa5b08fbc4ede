"""Property-based tests: random schemas, random and mutated values.

validate/process must only ever return an EvaluationResult (never raise), every error must
carry a path-bearing message, values generated to fit a schema must pass, and scaffolds,
minimal configs and snapshots must agree with validation.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from orch.core.config import (
    Any,
    Array,
    Bool,
    BoolSource,
    ConfigType,
    ConfigTypeKind,
    Enum,
    EnumValue,
    EvaluationResult,
    Field,
    Float,
    Int,
    IntSource,
    Noneable,
    Permissive,
    Selector,
    Shape,
    SourceType,
    String,
    StringSource,
    config_type_from_snapshot,
    config_type_snapshot,
    minimal_config,
    path_msg,
    process_config,
    resolve_config_type,
    scaffold_config,
    validate_config,
)

K = ConfigTypeKind

SETTINGS = settings(
    max_examples=int(os.environ.get("ORCH_CONFIG_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Env vars that fitting values may reference; set for the whole module (see fixture).
ENV = {"ORCH_PROP_STR": "text", "ORCH_PROP_INT": "42", "ORCH_PROP_BOOL": "true"}
ENV_FOR_SOURCE = {
    StringSource.key: list(ENV),
    IntSource.key: ["ORCH_PROP_INT"],
    BoolSource.key: ["ORCH_PROP_BOOL"],
}


@pytest.fixture(autouse=True, scope="module")
def _env_vars() -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in ENV}
    os.environ.update(ENV)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


IDENT = st.from_regex(r"[a-z][a-z0-9_]{0,5}", fullmatch=True)
TEXT = st.text(max_size=6)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | TEXT,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(IDENT | TEXT | st.integers() | st.booleans(), children, max_size=3)
    ),
    max_leaves=8,
)


# --- values that fit a config type ---------------------------------------------------------


def fitting_values(ct: ConfigType) -> st.SearchStrategy:
    """Values that validate against ``ct`` (env references only to variables set above)."""
    kind = ct.kind
    if kind is K.ANY:
        return json_values
    if kind is K.SCALAR:
        return {
            "Int": st.integers(),
            "Float": st.integers() | st.floats(allow_nan=False),
            "Bool": st.booleans(),
            "String": TEXT,
        }[ct.given_name]
    if kind is K.ENUM:
        return st.sampled_from(ct.config_values)
    if kind is K.NONEABLE:
        return st.none() | fitting_values(ct.inner_type)
    if kind is K.ARRAY:
        return st.lists(fitting_values(ct.inner_type), max_size=3)
    if kind is K.SCALAR_UNION:
        if isinstance(ct, SourceType):
            env = st.sampled_from(ENV_FOR_SOURCE[ct.key]).map(lambda name: {"env": name})
            return fitting_values(ct.scalar_type) | env
        return fitting_values(ct.scalar_type) | fitting_values(ct.non_scalar_type)
    if kind is K.SELECTOR:
        return st.one_of(
            [
                st.fixed_dictionaries({name: fitting_values(field.config_type)})
                for name, field in ct.fields.items()
            ]
        )
    required = {n: fitting_values(f.config_type) for n, f in ct.fields.items() if f.is_required}
    optional = {n: fitting_values(f.config_type) for n, f in ct.fields.items() if not f.is_required}
    shape = st.fixed_dictionaries(required, optional=optional)
    if kind is K.PERMISSIVE_SHAPE:
        declared = set(ct.fields)
        extras = st.dictionaries(IDENT | TEXT, json_values, max_size=2).map(
            lambda extra: {k: v for k, v in extra.items() if k not in declared}
        )
        return st.tuples(shape, extras).map(lambda pair: {**pair[1], **pair[0]})
    return shape


# --- random schemas ------------------------------------------------------------------------

enums = st.lists(IDENT | TEXT, min_size=1, max_size=4, unique=True).map(
    lambda values: Enum("E", [EnumValue(v) for v in values])
)
leaves = st.one_of(
    st.sampled_from([Int, Float, Bool, String, Any, StringSource, IntSource, BoolSource, int, str]),
    enums,
)


def field_specs(types: st.SearchStrategy) -> st.SearchStrategy:
    """A schema as written in a fields dict: a bare type or a Field with extras."""

    def variants(schema: object) -> st.SearchStrategy:
        ct = resolve_config_type(schema)
        return st.one_of(
            st.just(schema),
            st.builds(lambda d: Field(schema, description=d), TEXT),
            st.just(Field(schema, is_required=False)),
            fitting_values(ct).map(lambda default: Field(schema, default_value=default)),
        )

    return types.flatmap(variants)


def extend(children: st.SearchStrategy) -> st.SearchStrategy:
    names = IDENT | TEXT  # odd names (quotes, newlines, control characters) too
    fields = st.dictionaries(names, field_specs(children), max_size=4)
    return st.one_of(
        fields,
        fields.map(Shape),
        fields.map(Permissive),
        st.dictionaries(names, field_specs(children), min_size=1, max_size=3).map(Selector),
        children.map(lambda child: [child]),
        children.map(Array),
        children.map(Noneable),
    )


schemas = st.recursive(leaves, extend, max_leaves=6)


# --- mutations of valid values -------------------------------------------------------------


def _slots(node: object) -> Iterator[tuple[object, object]]:
    """Every (container, key-or-index) position inside a value."""
    if isinstance(node, dict):
        for key in list(node):
            yield node, key
            yield from _slots(node[key])
    elif isinstance(node, list):
        for index in range(len(node)):
            yield node, index
            yield from _slots(node[index])


@st.composite
def mutate(draw: st.DrawFn, value: object) -> object:
    value = copy.deepcopy(value)
    for _ in range(draw(st.integers(1, 3))):
        slots = list(_slots(value))
        operation = draw(st.sampled_from(["root", "replace", "delete", "add", "rename", "wrap"]))
        if operation == "root" or not slots:
            value = draw(json_values)
            continue
        parent, key = draw(st.sampled_from(slots))
        if operation == "replace":
            parent[key] = draw(json_values)  # type: ignore[index]
        elif operation == "delete":
            del parent[key]  # type: ignore[attr-defined]
        elif operation == "add":
            if isinstance(parent, dict):
                parent[draw(IDENT | TEXT)] = draw(json_values)
            else:
                parent.append(draw(json_values))  # type: ignore[attr-defined]
        elif operation == "rename" and isinstance(parent, dict) and isinstance(key, str):
            parent[key + draw(st.sampled_from(["_", "x", "s"]))] = parent.pop(key)
        elif operation == "wrap":
            parent[key] = [parent[key]]  # type: ignore[index]
    return value


# --- assertions ----------------------------------------------------------------------------


def assert_well_formed(result: object) -> None:
    assert isinstance(result, EvaluationResult)
    if result.success:
        assert result.errors == []
        return
    assert result.errors
    for error in result.errors:
        assert isinstance(error.path, list)
        assert all(isinstance(entry, (str, int)) for entry in error.path)
        assert error.message
        assert path_msg(error.path) in error.message
        assert error.stack_str.startswith("root")


@SETTINGS
@given(schema=schemas, value=json_values)
def test_random_values_never_raise(schema: object, value: object) -> None:
    assert_well_formed(validate_config(schema, value))
    assert_well_formed(process_config(schema, value))


@SETTINGS
@given(schema=schemas, data=st.data())
def test_fitting_values_validate_and_process(schema: object, data: st.DataObject) -> None:
    ct = resolve_config_type(schema)
    value = data.draw(fitting_values(ct))
    before = copy.deepcopy(value)
    validated = validate_config(ct, value)
    assert validated.success, [e.message for e in validated.errors]
    processed = process_config(ct, value)
    assert processed.success, [e.message for e in processed.errors]
    assert json.dumps(value, default=repr) == json.dumps(before, default=repr)  # not mutated


@SETTINGS
@given(schema=schemas, data=st.data())
def test_mutated_values_never_raise(schema: object, data: st.DataObject) -> None:
    ct = resolve_config_type(schema)
    value = data.draw(fitting_values(ct).flatmap(mutate))
    assert_well_formed(validate_config(ct, value))
    assert_well_formed(process_config(ct, value))


@SETTINGS
@given(schema=schemas)
def test_scaffold_and_minimal_config_validate(schema: object) -> None:
    ct = resolve_config_type(schema)
    for required_only in (False, True):
        text = scaffold_config(ct, required_only=required_only)
        loaded = yaml.safe_load(text)
        result = validate_config(ct, loaded)
        assert result.success, (text, [e.message for e in result.errors])
    assert validate_config(ct, minimal_config(ct)).success


@SETTINGS
@given(schema=schemas, value=json_values)
def test_snapshot_round_trip_agrees_with_original(schema: object, value: object) -> None:
    ct = resolve_config_type(schema)
    snap = config_type_snapshot(ct)
    transported = json.loads(json.dumps(snap, allow_nan=False))
    rebuilt = config_type_from_snapshot(transported)
    assert validate_config(rebuilt, value).success == validate_config(ct, value).success
    # JSON kept every default intact (no int keys, no defaults kept only as a repr, which a
    # rebuilt type drops by design: e.g. inf)
    if transported == snap and "default_value_repr" not in json.dumps(snap):
        assert config_type_snapshot(rebuilt) == snap
        assert rebuilt == ct
