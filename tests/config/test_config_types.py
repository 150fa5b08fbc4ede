"""Schema resolution: accepted forms, type identity, and definition-time errors with paths."""

from __future__ import annotations

import enum
import typing

import pytest
from orch.core.config import (
    Any,
    Array,
    Bool,
    BoolSource,
    ConfigTypeKind,
    DagsterInvalidConfigDefinitionError,
    Enum,
    EnumValue,
    Field,
    Float,
    Int,
    IntSource,
    Noneable,
    Permissive,
    ScalarUnion,
    Selector,
    Shape,
    String,
    StringSource,
    convert_potential_field,
    resolve_config_type,
    type_display,
)
from orch.core.errors import DagsterError, DagsterInvalidDefinitionError


@pytest.mark.parametrize(
    ("builtin", "config_type"), [(int, Int), (float, Float), (bool, Bool), (str, String)]
)
def test_python_builtins_resolve_to_scalars(builtin, config_type):
    assert resolve_config_type(builtin) is config_type
    assert resolve_config_type(config_type) is config_type


def test_scalar_kinds_and_names():
    assert [t.kind for t in (Int, Float, Bool, String)] == [ConfigTypeKind.SCALAR] * 4
    assert Any.kind is ConfigTypeKind.ANY
    assert [type_display(t) for t in (Int, Float, Bool, String, Any)] == [
        "Int",
        "Float",
        "Bool",
        "String",
        "Any",
    ]


def test_bare_list_and_dict_builtins():
    assert resolve_config_type(list) == Array(Any)
    assert resolve_config_type(dict).kind is ConfigTypeKind.PERMISSIVE_SHAPE


def test_dict_literal_is_a_shape_of_fields():
    ct = resolve_config_type({"name": str, "count": Field(int, default_value=1)})
    assert ct.kind is ConfigTypeKind.STRICT_SHAPE
    assert ct == Shape({"name": String, "count": Field(Int, default_value=1)})
    assert ct.fields["name"].is_required
    assert not ct.fields["count"].is_required
    assert type_display(ct) == "{ count?: Int name: String }"


def test_list_literal_is_an_array():
    ct = resolve_config_type([{"path": str}])
    assert ct.kind is ConfigTypeKind.ARRAY
    assert ct == Array({"path": str})
    assert type_display(ct) == "[{ path: String }]"


@pytest.mark.parametrize("bad", [[], [int, str]])
def test_list_literal_needs_exactly_one_element(bad):
    with pytest.raises(DagsterInvalidConfigDefinitionError) as excinfo:
        resolve_config_type({"files": bad})
    message = str(excinfo.value)
    assert "at path root:files" in message
    assert "exactly one config type, e.g. [int]" in message
    assert f"list of {len(bad)} items" in message
    assert excinfo.value.path == ["files"]


def test_wrappers_and_display():
    assert type_display(Noneable(int)) == "Int?"
    assert type_display(Array(Noneable(str))) == "[String?]"
    assert type_display(Permissive({"a": int})) == "{ a: Int }"
    assert type_display(Permissive()) == "{}"
    assert type_display(Selector({"a": int, "b": {"c": bool}})) == "{ a: Int b: { c: Bool } }"
    assert type_display(ScalarUnion(str, {"path": str})) == "(String | { path: String })"
    assert type_display(StringSource) == "StringSource"


def test_structurally_equal_schemas_are_equal_types():
    assert resolve_config_type({"a": [int]}) == resolve_config_type({"a": Array(Int)})
    assert hash(resolve_config_type({"a": int})) == hash(Shape({"a": Int}))
    assert resolve_config_type({"a": int}) != resolve_config_type({"a": str})
    assert Shape({"a": int}) != Permissive({"a": int})
    assert Shape({"a": Field(int, default_value=1)}) != Shape({"a": Field(int, default_value=2)})


def test_invalid_value_in_nested_dict_names_piece_and_path():
    with pytest.raises(DagsterInvalidConfigDefinitionError) as excinfo:
        resolve_config_type({"db": {"port": 5432}})
    message = str(excinfo.value)
    assert message.startswith(
        "Error defining config. Original value passed: {'db': {'port': 5432}}."
    )
    assert (
        "Error at path root:db:port: 5432 (of type int) cannot be resolved to a config type."
        in message
    )
    assert "a list holding exactly one schema, e.g. [int]" in message
    assert excinfo.value.path == ["db", "port"]
    assert excinfo.value.stack_str == "root:db:port"
    assert isinstance(excinfo.value, DagsterError)


def test_invalid_element_of_list_literal_has_index_in_path():
    with pytest.raises(DagsterInvalidConfigDefinitionError, match=r"at path root:items\[0\]:x"):
        resolve_config_type({"items": [{"x": "not a type"}]})


def test_none_field_is_rejected_with_hint():
    with pytest.raises(DagsterInvalidConfigDefinitionError) as excinfo:
        resolve_config_type({"a": None})
    assert "at path root:a: Fields cannot be None. Use Noneable(T)" in str(excinfo.value)


def test_non_string_field_name_is_rejected():
    with pytest.raises(
        DagsterInvalidConfigDefinitionError, match="Field names must be strings, got 1"
    ):
        resolve_config_type({1: int})


@pytest.mark.parametrize(
    ("typing_type", "hint"),
    [
        (typing.List[int], "write [T] or Array(T)"),  # noqa: UP006
        (list[int], "write [T] or Array(T)"),
        (typing.Optional[int], "Noneable(T)"),
        (int | None, "Noneable(T)"),
        (typing.Dict[str, int], "Permissive()"),  # noqa: UP006
        (typing.Any, "use int, float, bool, str"),
    ],
)
def test_typing_module_types_are_rejected(typing_type, hint):
    # DagsterInvalidDefinitionError itself, as Dagster 0.15.10 raises it (conformance case
    # config_schema_definition)
    with pytest.raises(DagsterInvalidDefinitionError) as excinfo:
        resolve_config_type({"values": typing_type})
    message = str(excinfo.value)
    assert "is a type from Python's typing module" in message
    assert hint in message
    assert "at path root:values" in message


def test_config_type_class_instead_of_instance():
    with pytest.raises(DagsterInvalidConfigDefinitionError, match="Shape is a config type class"):
        resolve_config_type({"a": Shape})


def test_field_where_type_expected():
    with pytest.raises(DagsterInvalidConfigDefinitionError, match="cannot be a Field"):
        resolve_config_type([Field(int)])
    with pytest.raises(
        DagsterInvalidConfigDefinitionError, match="Field was given where a config type"
    ):
        Noneable(Field(int))
    with pytest.raises(DagsterInvalidConfigDefinitionError, match=r"Field\(Field\(int\)\)"):
        Field(Field(int))


class _EngineType:
    """Stands in for the engine's Dagster types, which implement to_config_type()."""

    def __init__(self, config_type):
        self._config_type = config_type

    def to_config_type(self):
        return self._config_type


def test_objects_with_to_config_type_are_accepted():
    assert resolve_config_type(_EngineType(Int)) is Int
    assert resolve_config_type({"a": _EngineType(str)}) == Shape({"a": String})
    assert resolve_config_type([_EngineType({"x": bool})]) == Array({"x": Bool})


def test_to_config_type_returning_none_is_a_definition_error():
    with pytest.raises(DagsterInvalidConfigDefinitionError) as excinfo:
        resolve_config_type({"thing": _EngineType(None)})
    assert "has no config equivalent" in str(excinfo.value)
    assert "root:thing" in str(excinfo.value)


def test_python_enum_class_gets_a_hint():
    class Color(enum.Enum):
        RED = 1

    with pytest.raises(DagsterInvalidConfigDefinitionError) as excinfo:
        resolve_config_type({"color": Color})
    assert "Enum.from_python_enum(Color)" in str(excinfo.value)
    assert "root:color" in str(excinfo.value)


def test_enum_definition_and_python_enum():
    class Color(enum.Enum):
        RED = 1
        GREEN = 2

    ct = Enum.from_python_enum(Color)
    assert ct.given_name == "Color"
    assert ct.config_values == ["RED", "GREEN"]
    assert ct.to_python_value("GREEN") is Color.GREEN
    plain = Enum("Mode", [EnumValue("fast"), EnumValue("slow", python_value=2, description="x")])
    assert plain.to_python_value("fast") == "fast"
    assert plain.to_python_value("slow") == 2


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Enum("E", []), "at least one EnumValue"),
        (lambda: Enum("E", [EnumValue("a"), EnumValue("a")]), 'lists the config value "a" twice'),
        (lambda: Enum("E", ["a"]), "must be EnumValue instances"),
        (lambda: EnumValue(1), "config_value must be a string"),
        (lambda: Enum("", [EnumValue("a")]), "non-empty string name"),
        (lambda: Enum.from_python_enum(int), "expects a Python enum class"),
    ],
)
def test_enum_definition_errors(make, message):
    with pytest.raises(DagsterInvalidConfigDefinitionError, match=message):
        make()


def test_scalar_union_definition_errors():
    with pytest.raises(DagsterInvalidConfigDefinitionError, match="scalar_type must be a scalar"):
        ScalarUnion({"a": int}, {"b": int})
    with pytest.raises(DagsterInvalidConfigDefinitionError, match="non_scalar_schema must be"):
        ScalarUnion(int, str)


def test_selector_needs_a_field():
    with pytest.raises(DagsterInvalidConfigDefinitionError, match="at least one field"):
        Selector({})


def test_shape_needs_a_mapping():
    with pytest.raises(DagsterInvalidConfigDefinitionError, match="Expected a dict of field names"):
        Shape([int])


def test_source_types():
    for source, scalar in ((StringSource, String), (IntSource, Int), (BoolSource, Bool)):
        assert source.kind is ConfigTypeKind.SCALAR_UNION
        assert source.scalar_type is scalar
        assert type_display(source.non_scalar_type) == "{ env: String }"


def test_convert_potential_field():
    field = Field(int)
    assert convert_potential_field(field) is field
    converted = convert_potential_field({"a": str})
    assert isinstance(converted, Field)
    assert converted.config_type == Shape({"a": str})
    assert converted.is_required
    with pytest.raises(DagsterInvalidConfigDefinitionError, match="None is not a config schema"):
        convert_potential_field(None)


def test_config_types_and_fields_pickle():
    import pickle

    schema = resolve_config_type(
        {"a": Field(int, default_value=1), "s": StringSource, "n": Noneable([str])}
    )
    restored = pickle.loads(pickle.dumps(schema))
    assert restored == schema
    assert restored.fields["a"].default_value == 1
    assert not pickle.loads(pickle.dumps(Field(int))).default_provided
