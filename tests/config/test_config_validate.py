"""validate_config: every rule, every message, every path; all errors are collected."""

from __future__ import annotations

import pytest
from orch.core.config import (
    Any,
    Bool,
    DagsterEvaluationErrorReason,
    DagsterInvalidConfigError,
    Enum,
    EnumValue,
    EvaluationResult,
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
    validate_config,
)

R = DagsterEvaluationErrorReason

HELLO = Shape({"solids": {"hello": {"config": {"name": String}}}})


def only_error(result: EvaluationResult):
    assert not result.success
    assert len(result.errors) == 1, [e.message for e in result.errors]
    return result.errors[0]


def test_valid_value_is_returned_unchanged():
    value = {"solids": {"hello": {"config": {"name": "world"}}}}
    result = validate_config(HELLO, value)
    assert result.success and result.errors == []
    assert result.value is value


@pytest.mark.parametrize(
    ("config_type", "good", "bad"),
    [
        (Int, [0, -5, 10**20], [True, False, 1.5, "1", None]),
        (Float, [0, 1.5, -2, float("inf")], [True, "1.5", None]),
        (Bool, [True, False], [0, 1, "true", None]),
        (String, ["", "x"], [1, b"x", None, ["x"]]),
        (Any, [None, 1, "x", {"a": [1]}, object()], []),
    ],
)
def test_scalars(config_type, good, bad):
    for value in good:
        assert validate_config(config_type, value).success, value
    for value in bad:
        assert not validate_config(config_type, value).success, value


def test_scalar_mismatch_message():
    error = only_error(validate_config({"n": Int}, {"n": "abc"}))
    assert error.reason is R.RUNTIME_TYPE_MISMATCH
    assert error.message == (
        'Invalid scalar at path root:n. Value "abc" of type "<class \'str\'>" is not valid for '
        'expected type "Int".'
    )
    assert error.path == ["n"]
    assert error.stack_str == "root:n"


def test_bool_is_not_an_int():
    error = only_error(validate_config(Int, True))
    assert 'Value "True" of type "<class \'bool\'>" is not valid for expected type "Int"' in (
        error.message
    )
    assert error.message.startswith("Invalid scalar at the root.")
    assert error.path == [] and error.stack_str == "root"


def test_none_is_not_allowed_unless_noneable():
    error = only_error(validate_config({"n": Int}, {"n": None}))
    assert error.message == 'Value at path root:n must not be None. Expected: "Int".'
    assert validate_config({"n": Noneable(int)}, {"n": None}).success
    assert validate_config(Noneable({"a": int}), None).success
    assert not validate_config(Noneable({"a": int}), {"a": None}).success


def test_dict_expected():
    error = only_error(validate_config(HELLO, {"solids": {"hello": {"config": "world"}}}))
    assert error.reason is R.RUNTIME_TYPE_MISMATCH
    assert error.message == (
        'Value at path root:solids:hello:config must be dict. Expected: "{ name: String }". '
        'Got "world" of type "<class \'str\'>".'
    )
    assert error.path == ["solids", "hello", "config"]


def test_list_expected():
    error = only_error(validate_config({"xs": [int]}, {"xs": 3}))
    assert error.message.startswith('Value at path root:xs must be list. Expected: "[Int]".')


def test_unexpected_entry_with_suggestion():
    value = {"solids": {"hello": {"config": {"name": "a", "nme": "b"}}}}
    error = only_error(validate_config(HELLO, value))
    assert error.reason is R.FIELD_NOT_DEFINED
    # "name" is already given, so nothing is suggested for "nme".
    assert error.message == (
        'Received unexpected config entry "nme" at path root:solids:hello:config. '
        'Expected: "{ name: String }".'
    )


def test_typo_gets_did_you_mean_and_missing_field_is_also_reported():
    result = validate_config(HELLO, {"solids": {"hello": {"config": {"nme": "b"}}}})
    assert [e.reason for e in result.errors] == [R.FIELD_NOT_DEFINED, R.MISSING_REQUIRED_FIELD]
    unexpected, missing = result.errors
    assert unexpected.message == (
        'Received unexpected config entry "nme" at path root:solids:hello:config. '
        'Expected: "{ name: String }". Did you mean "name"?'
    )
    assert unexpected.data["suggestions"] == {"nme": "name"}
    assert missing.message == (
        'Missing required config entry "name" at path root:solids:hello:config. '
        "Minimal acceptable config for this path: {'name': '...'}"
    )


def test_case_insensitive_suggestion():
    error = validate_config({"Name": str}, {"name": "x"}).errors[0]
    assert error.message.endswith('Did you mean "Name"?')


def test_no_suggestion_for_unrelated_key():
    error = validate_config({"name": str}, {"name": "x", "zzzzqqq": 1}).errors[0]
    assert "Did you mean" not in error.message


def test_several_unexpected_entries():
    schema = {"name": str, "count": Field(int, default_value=1)}
    error = only_error(validate_config(schema, {"name": "x", "cout": 1, "zzzz": 2}))
    assert error.reason is R.FIELDS_NOT_DEFINED
    assert error.message == (
        'Received unexpected config entries "cout", "zzzz" at the root. '
        'Expected: "{ count?: Int name: String }". Did you mean "count" instead of "cout"?'
    )
    assert error.data["field_names"] == ["cout", "zzzz"]


def test_several_missing_entries_with_nested_minimal_config():
    schema = {
        "db": {"host": str, "port": Field(int, default_value=5432), "auth": {"user": str}},
        "mode": Enum("Mode", [EnumValue("fast"), EnumValue("slow")]),
        "paths": [str],
        "verbose": Noneable(bool),
    }
    error = only_error(validate_config(schema, {}))
    assert error.reason is R.MISSING_REQUIRED_FIELDS
    assert error.message == (
        'Missing required config entries "db", "mode", "paths" at the root. Minimal acceptable '
        "config for this path: {'db': {'host': '...', 'auth': {'user': '...'}}, 'mode': 'fast', "
        "'paths': []}"
    )
    assert error.data["field_names"] == ["db", "mode", "paths"]


def test_errors_in_lists_carry_indices():
    schema = {"solids": {"s": {"config": [{"path": str, "size": Int}]}}}
    value = {"solids": {"s": {"config": [{"path": "a", "size": 1}, {"path": 2, "size": 1}, {}]}}}
    result = validate_config(schema, value)
    assert [e.stack_str for e in result.errors] == [
        "root:solids:s:config[1]:path",
        "root:solids:s:config[2]",
    ]
    assert result.errors[0].path == ["solids", "s", "config", 1, "path"]
    assert "Invalid scalar at path root:solids:s:config[1]:path." in result.errors[0].message
    assert 'Missing required config entries "path", "size" at path root:solids:s:config[2].' in (
        result.errors[1].message
    )


def test_every_error_is_collected():
    schema = {"a": int, "b": [str], "c": {"d": bool}, "e": str}
    result = validate_config(schema, {"a": "x", "b": [1, 2], "c": {"d": 1}, "f": 0})
    assert [e.stack_str for e in result.errors] == [
        "root",
        "root",
        "root:a",
        "root:b[0]",
        "root:b[1]",
        "root:c:d",
    ]
    assert [e.reason for e in result.errors[:2]] == [R.FIELD_NOT_DEFINED, R.MISSING_REQUIRED_FIELD]


def test_permissive_allows_extra_keys_but_checks_declared_ones():
    schema = Permissive({"a": int})
    assert validate_config(schema, {"a": 1, "anything": [1, {"x": None}]}).success
    error = only_error(validate_config(schema, {"a": "x", "b": 1}))
    assert error.stack_str == "root:a"
    assert not validate_config(schema, {"b": 1}).success  # "a" is still required


EXECUTION = Shape(
    {
        "execution": Selector(
            {
                "in_process": {"retries": Field(int, default_value=0)},
                "multiprocess": {"max_concurrent": Field(int, default_value=4)},
            }
        )
    }
)


def test_selector_accepts_one_option():
    assert validate_config(
        EXECUTION, {"execution": {"multiprocess": {"max_concurrent": 2}}}
    ).success
    # ``in_process:`` with nothing after it in YAML is None: selects the option.
    assert validate_config(EXECUTION, {"execution": {"in_process": None}}).success


def test_selector_rejects_several_options():
    value = {"execution": {"in_process": {}, "multiprocess": {}}}
    error = only_error(validate_config(EXECUTION, value))
    assert error.reason is R.SELECTOR_FIELD_ERROR
    assert error.message == (
        "You can only specify a single field at path root:execution. You specified "
        "['in_process', 'multiprocess']. The available fields are ['in_process', 'multiprocess']"
    )


def test_selector_with_no_option_and_no_default_is_an_error():
    error = only_error(validate_config(EXECUTION, {"execution": {}}))
    assert error.reason is R.SELECTOR_FIELD_ERROR
    assert error.message == (
        "Must specify a field at path root:execution if more than one field is defined. "
        "Defined fields: ['in_process', 'multiprocess']"
    )
    missing = only_error(validate_config(EXECUTION, {}))
    assert missing.reason is R.MISSING_REQUIRED_FIELD
    assert "Minimal acceptable config for this path: {'execution': {'in_process': {}}}" in (
        missing.message
    )


def test_single_required_option_selector():
    schema = {"pick": Selector({"only": int})}
    error = only_error(validate_config(schema, {"pick": {}}))
    assert error.message == (
        "Must specify the required field at path root:pick. Defined fields: ['only']"
    )
    single_optional = {"pick": Selector({"only": Field(int, default_value=1)})}
    assert validate_config(single_optional, {"pick": {}}).success
    assert validate_config(single_optional, {}).success


def test_selector_unknown_option_and_non_dict():
    error = only_error(validate_config(EXECUTION, {"execution": {"inprocess": {}}}))
    assert error.reason is R.FIELD_NOT_DEFINED
    assert error.message.startswith(
        'Received unexpected config entry "inprocess" at path root:execution. Expected: '
        '"{ in_process?: { retries?: Int } multiprocess?: { max_concurrent?: Int } }".'
    )
    assert error.message.endswith('Did you mean "in_process"?')
    error = only_error(validate_config(EXECUTION, {"execution": "in_process"}))
    assert error.message.startswith(
        "Value for selector type at path root:execution must be a dict."
    )


def test_selector_option_value_is_validated_with_path():
    value = {"execution": {"multiprocess": {"max_concurrent": "many"}}}
    error = only_error(validate_config(EXECUTION, value))
    assert error.stack_str == "root:execution:multiprocess:max_concurrent"


COLOR = Enum("Color", [EnumValue("RED"), EnumValue("GREEN"), EnumValue("PURPLE")])


def test_enum_values():
    assert validate_config(COLOR, "RED").success
    error = only_error(validate_config({"c": COLOR}, {"c": "PURPEL"}))
    assert error.message == (
        'Value at path root:c not in enum type Color got PURPEL. Expected one of: "RED", '
        '"GREEN", "PURPLE". Did you mean "PURPLE"?'
    )
    error = only_error(validate_config({"c": COLOR}, {"c": 1}))
    assert error.message.startswith("Value at path root:c for enum type Color must be a string.")


def test_scalar_union():
    schema = ScalarUnion(str, {"path": str})
    assert validate_config(schema, "x").success
    assert validate_config(schema, {"path": "x"}).success
    assert "Invalid scalar" in only_error(validate_config(schema, 3)).message
    typo = validate_config(schema, {"pth": "x"})
    assert [e.reason for e in typo.errors] == [R.FIELD_NOT_DEFINED, R.MISSING_REQUIRED_FIELD]


def test_sources_validate_form_only():
    schema = {"password": StringSource, "port": IntSource}
    assert validate_config(schema, {"password": "x", "port": 1}).success
    assert validate_config(
        schema, {"password": {"env": "UNSET_VAR_123"}, "port": {"env": "P"}}
    ).success
    result = validate_config(schema, {"password": {"envv": "PW"}, "port": "80"})
    assert [e.stack_str for e in result.errors] == ["root:password", "root:port"]
    assert result.errors[0].message.endswith('Did you mean "env"?')
    assert 'expected type "Int"' in result.errors[1].message
    error = only_error(validate_config(schema, {"password": {"env": 3}, "port": 1}))
    assert error.stack_str == "root:password:env"


def test_field_schema_validates_its_type():
    assert validate_config(Field({"a": int}), {"a": 1}).success


def test_unhashable_and_odd_values_do_not_crash():
    schema = {"c": COLOR, "a": [int], "s": Selector({"x": int, "y": int})}
    result = validate_config(schema, {"c": ["RED"], "a": {"x": 1}, "s": {1: 2, None: 3}, 5: 6})
    assert not result.success
    assert all(e.message for e in result.errors)


def test_invalid_config_error_lists_every_mistake_and_its_fix():
    schema = Shape(
        {
            "solids": {
                "hello": {"config": {"name": str, "greeting": Field(str, default_value="Hello")}},
                "count_rows": {"config": {"path": str, "limit": int}},
            }
        }
    )
    value = {
        "solids": {
            "hello": {"config": {"name": "world", "greting": "Hi"}},
            "count_rows": {"config": {"limit": "ten"}},
        }
    }
    result = validate_config(schema, value)
    error = DagsterInvalidConfigError(
        "Error in config for pipeline my_pipeline", result.errors, value
    )
    assert str(error) == (
        "Error in config for pipeline my_pipeline\n"
        '    Error 1: Received unexpected config entry "greting" at path '
        'root:solids:hello:config. Expected: "{ greeting?: String name: String }". '
        'Did you mean "greeting"?\n'
        '    Error 2: Missing required config entry "path" at path root:solids:count_rows:config. '
        "Minimal acceptable config for this path: {'path': '...', 'limit': 0}\n"
        '    Error 3: Invalid scalar at path root:solids:count_rows:config:limit. Value "ten" '
        'of type "<class \'str\'>" is not valid for expected type "Int".'
    )
    assert error.errors == result.errors
    assert error.config_value is value


def _typical_run_config() -> tuple[Shape, dict]:
    solid_names = [f"solid_{i}" for i in range(10)]
    solid_config = {
        "path": str,
        "limit": Field(int, default_value=10),
        "ratio": Float,
        "flags": [str],
        "mode": Field(Enum("M", [EnumValue("a"), EnumValue("b")]), default_value="a"),
    }
    schema = Shape(
        {
            "solids": {name: {"config": solid_config} for name in solid_names},
            "resources": {"db": {"config": {"host": StringSource, "port": IntSource}}},
            "execution": Selector({"in_process": {}, "multiprocess": {"max_concurrent": int}}),
            "loggers": Field(Permissive(), is_required=False),
        }
    )
    value = {
        "solids": {
            name: {
                "config": {"path": "/x", "limit": 5, "ratio": 0.5, "flags": ["a", "b"], "mode": "b"}
            }
            for name in solid_names
        },
        "resources": {"db": {"config": {"host": {"env": "DB_HOST"}, "port": 5432}}},
        "execution": {"multiprocess": {"max_concurrent": 4}},
    }
    return schema, value


def test_typical_run_config_validates():
    # Its speed is measured by `python -m benchmarks config`, not asserted here.
    schema, value = _typical_run_config()
    assert validate_config(schema, value).success
