"""Field: the legacy defaulting rules and definition-time checks of defaults."""

from __future__ import annotations

import enum

import pytest
from orch.core.config import (
    Any,
    DagsterInvalidConfigDefinitionError,
    DagsterInvalidConfigError,
    Enum,
    EnumValue,
    Field,
    Int,
    Noneable,
    Permissive,
    Selector,
    Shape,
    StringSource,
    has_implicit_default,
    process_config,
)


def test_plain_field_is_required_without_default():
    field = Field(int, description="how many")
    assert field.is_required
    assert not field.default_provided
    assert field.description == "how many"
    with pytest.raises(ValueError, match="no default value"):
        _ = field.default_value


def test_field_with_default_is_optional():
    field = Field(int, default_value=3)
    assert not field.is_required
    assert field.default_provided
    assert field.default_value == 3
    assert not field.default_is_implicit


def test_none_is_a_legitimate_default():
    field = Field(Noneable(int), default_value=None)
    assert field.default_provided and field.default_value is None


def test_noneable_is_implicitly_optional_with_none_default():
    field = Field(Noneable(str))
    assert not field.is_required
    assert field.default_provided
    assert field.default_value is None
    assert field.default_is_implicit


def test_all_optional_children_make_field_optional_with_filled_default():
    field = Field(
        {
            "retries": Field(int, default_value=3),
            "log": {"level": Field(str, default_value="INFO"), "file": Noneable(str)},
        }
    )
    assert not field.is_required
    assert field.default_value == {"retries": 3, "log": {"level": "INFO", "file": None}}


def test_one_required_child_makes_field_required():
    field = Field({"a": Field(int, default_value=1), "b": str})
    assert field.is_required
    assert not field.default_provided


def test_empty_shape_and_permissive_are_optional():
    assert not Field({}).is_required
    assert Field({}).default_value == {}
    assert not Field(Permissive()).is_required


def test_selector_with_single_optional_option_is_optional():
    field = Field(Selector({"console": {"log_level": Field(str, default_value="DEBUG")}}))
    assert not field.is_required
    assert field.default_value == {"console": {"log_level": "DEBUG"}}
    assert Field(Selector({"a": int})).is_required
    assert Field(Selector({"a": {}, "b": {}})).is_required


def test_explicit_is_required_wins():
    assert Field(Noneable(int), is_required=True).is_required
    assert Field({}, is_required=True).is_required
    optional = Field(int, is_required=False)
    assert not optional.is_required and not optional.default_provided


def test_explicitly_optional_field_gets_no_implicit_default():
    # Dagster 0.15.10 gives the implicit default only when is_required is left out
    # (conformance case config_optional_fields): is_required=False means "may be absent".
    for config in ({"a": Field(int, default_value=1)}, {}, Permissive(),
                   Permissive({"a": Field(int, default_value=1)}),
                   Selector({"x": {"a": Field(int, default_value=1)}}), Noneable(int)):
        field = Field(config, is_required=False)
        assert not field.is_required
        assert not field.default_provided
        assert not field.default_is_implicit


def test_explicitly_optional_field_is_left_out_of_processed_config():
    schema = Shape({
        "opt": Field({"a": Field(int, default_value=1)}, is_required=False),
        "opt_none": Field(Noneable(int), is_required=False),
        "imp": Field({"a": Field(int, default_value=1)}),
        "imp_none": Field(Noneable(int)),
    })
    assert process_config(schema, {}).value == {"imp": {"a": 1}, "imp_none": None}
    assert process_config(schema, {"opt": {}}).value == {
        "opt": {"a": 1}, "imp": {"a": 1}, "imp_none": None}


def test_default_with_is_required_true_is_a_definition_error():
    with pytest.raises(DagsterInvalidConfigDefinitionError) as excinfo:
        Field(int, default_value=1, is_required=True)
    message = str(excinfo.value)
    assert "cannot both have a default_value and be is_required=True" in message
    assert "default_value=1" in message


def test_default_is_validated_at_definition_time():
    # DagsterInvalidConfigError, as Dagster 0.15.10 raises (conformance: config_schema_definition)
    with pytest.raises(DagsterInvalidConfigError) as excinfo:
        Field({"host": str, "port": int}, default_value={"host": "db", "port": "5432", "x": 1})
    message = str(excinfo.value)
    assert message.startswith(
        'Invalid default_value for Field of type "{ host: String port: Int }": '
        "{'host': 'db', 'port': '5432', 'x': 1}."
    )
    assert '\n    Error 1: Received unexpected config entry "x" at the root.' in message
    assert (
        '\n    Error 2: Invalid scalar at path root:port. Value "5432" of type '
        '"<class \'str\'>" is not valid for expected type "Int".' in message
    )


def test_none_default_for_non_noneable_is_rejected():
    with pytest.raises(DagsterInvalidConfigError, match="must not be None"):
        Field(int, default_value=None)


def test_enum_default_must_be_the_config_string():
    class Color(enum.Enum):
        RED = 1

    ct = Enum.from_python_enum(Color)
    assert Field(ct, default_value="RED").default_value == "RED"
    with pytest.raises(DagsterInvalidConfigDefinitionError) as excinfo:
        Field(ct, default_value=Color.RED)
    assert "is a Python enum member" in str(excinfo.value)
    assert "['RED']" in str(excinfo.value)
    with pytest.raises(DagsterInvalidConfigError, match="not in enum type E got BLUE"):
        Field(Enum("E", [EnumValue("RED")]), default_value="BLUE")


def test_callable_default_is_rejected():
    with pytest.raises(DagsterInvalidConfigDefinitionError, match="cannot be a callable"):
        Field(Any, default_value=lambda: 1)


def test_bad_field_arguments():
    with pytest.raises(DagsterInvalidConfigDefinitionError, match="is_required must be"):
        Field(int, is_required="yes")
    with pytest.raises(DagsterInvalidConfigDefinitionError, match="description must be a string"):
        Field(int, description=3)


def test_source_default_may_reference_env_without_resolving_it():
    field = Field(StringSource, default_value={"env": "NOT_SET_AT_DEFINITION"})
    assert field.default_value == {"env": "NOT_SET_AT_DEFINITION"}


def test_has_implicit_default():
    assert has_implicit_default(Noneable(Int))
    assert not has_implicit_default(Int)
    assert not has_implicit_default(Any)
