"""process_config: defaults, env sources, enum mapping, and keeping secrets out of errors."""

from __future__ import annotations

import copy
import enum

import pytest
from orch.core.config import (
    Any,
    BoolSource,
    DagsterEvaluationErrorReason,
    Enum,
    EnumValue,
    Field,
    IntSource,
    Noneable,
    Permissive,
    Selector,
    Shape,
    StringSource,
    process_config,
    resolve_defaults,
)

R = DagsterEvaluationErrorReason


class Level(enum.Enum):
    DEBUG = 10
    INFO = 20


LEVEL = Enum.from_python_enum(Level)


def test_defaults_are_filled_recursively():
    schema = {
        "name": str,
        "retries": Field(int, default_value=3),
        "log": {"level": Field(LEVEL, default_value="INFO"), "file": Noneable(str)},
        "optional_without_default": Field(int, is_required=False),
    }
    result = process_config(schema, {"name": "x"})
    assert result.success
    assert result.value == {
        "name": "x",
        "retries": 3,
        "log": {"level": Level.INFO, "file": None},
    }


def test_given_values_override_defaults_and_nested_defaults_still_fill():
    schema = {
        "log": {"level": Field(LEVEL, default_value="INFO"), "fmt": Field(str, default_value="%s")}
    }
    result = process_config(schema, {"log": {"level": "DEBUG"}})
    assert result.value == {"log": {"level": Level.DEBUG, "fmt": "%s"}}


def test_enum_mapping_in_lists_and_plain_enum_values():
    schema = {"levels": [LEVEL], "mode": Enum("Mode", [EnumValue("fast", python_value=1)])}
    result = process_config(schema, {"levels": ["DEBUG", "INFO"], "mode": "fast"})
    assert result.value == {"levels": [Level.DEBUG, Level.INFO], "mode": 1}


def test_validation_errors_are_returned_before_processing():
    result = process_config({"a": int}, {"a": "x"})
    assert not result.success
    assert result.errors[0].reason is R.RUNTIME_TYPE_MISMATCH


def test_selector_defaults():
    schema = Shape(
        {
            "execution": Field(
                Selector(
                    {
                        "in_process": {"retries": Field(int, default_value=0)},
                        "multiprocess": {"max_concurrent": Field(int, default_value=4)},
                    }
                ),
                default_value={"in_process": {}},
            ),
            "loggers": Selector({"console": {"log_level": Field(str, default_value="DEBUG")}}),
        }
    )
    assert process_config(schema, {}).value == {
        "execution": {"in_process": {"retries": 0}},
        "loggers": {"console": {"log_level": "DEBUG"}},
    }
    result = process_config(schema, {"execution": {"multiprocess": None}, "loggers": {}})
    assert result.value == {
        "execution": {"multiprocess": {"max_concurrent": 4}},
        "loggers": {"console": {"log_level": "DEBUG"}},
    }


def test_permissive_passes_extra_keys_through():
    schema = Permissive({"a": Field(int, default_value=1)})
    assert process_config(schema, {"b": {"c": 2}}).value == {"a": 1, "b": {"c": 2}}


def test_input_is_never_mutated_and_defaults_are_not_shared():
    schema = {
        "opts": Field(Any, default_value={"k": [1]}),
        "xs": [{"a": Field(int, default_value=1)}],
    }
    value = {"xs": [{}]}
    before = copy.deepcopy(value)
    first = process_config(schema, value).value
    assert value == before
    first["opts"]["k"].append(2)
    assert process_config(schema, value).value["opts"] == {"k": [1]}
    assert first["xs"] == [{"a": 1}]


def test_env_sources_are_resolved(monkeypatch):
    monkeypatch.setenv("ORCH_TEST_PW", "s3cret")
    monkeypatch.setenv("ORCH_TEST_PORT", " 5433 ")
    monkeypatch.setenv("ORCH_TEST_FLAG", "Yes")
    schema = {
        "password": StringSource,
        "port": IntSource,
        "debug": BoolSource,
        "user": StringSource,
    }
    value = {
        "password": {"env": "ORCH_TEST_PW"},
        "port": {"env": "ORCH_TEST_PORT"},
        "debug": {"env": "ORCH_TEST_FLAG"},
        "user": "admin",
    }
    result = process_config(schema, value)
    assert result.success
    assert result.value == {"password": "s3cret", "port": 5433, "debug": True, "user": "admin"}
    assert value["password"] == {"env": "ORCH_TEST_PW"}  # the raw config keeps the reference


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("0", False), ("OFF", False), ("on", True)]
)
def test_bool_source_parses_common_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("ORCH_TEST_FLAG", raw)
    assert process_config(BoolSource, {"env": "ORCH_TEST_FLAG"}).value is expected


def test_unset_env_var_is_a_post_processing_error(monkeypatch):
    monkeypatch.delenv("ORCH_TEST_PW", raising=False)
    result = process_config(
        {"db": {"password": StringSource}}, {"db": {"password": {"env": "ORCH_TEST_PW"}}}
    )
    assert not result.success
    (error,) = result.errors
    assert error.reason is R.FAILED_POST_PROCESSING
    assert error.path == ["db", "password"]
    assert error.message == (
        "Post processing at path root:db:password of original value {'env': 'ORCH_TEST_PW'} "
        'failed: You have attempted to fetch the environment variable "ORCH_TEST_PW" which is '
        "not set. In order for this execution to succeed it must be set in this environment."
    )


def test_every_post_processing_error_is_collected(monkeypatch):
    monkeypatch.delenv("ORCH_MISSING_A", raising=False)
    monkeypatch.delenv("ORCH_MISSING_B", raising=False)
    schema = {"a": StringSource, "items": [IntSource]}
    value = {"a": {"env": "ORCH_MISSING_A"}, "items": [1, {"env": "ORCH_MISSING_B"}]}
    result = process_config(schema, value)
    assert [e.stack_str for e in result.errors] == ["root:a", "root:items[1]"]
    assert all(e.reason is R.FAILED_POST_PROCESSING for e in result.errors)


def test_bad_env_values_are_reported_without_revealing_them(monkeypatch):
    monkeypatch.setenv("ORCH_TEST_PORT", "hunter2-port")
    monkeypatch.setenv("ORCH_TEST_FLAG", "hunter2-flag")
    result = process_config(
        {"port": IntSource, "flag": BoolSource},
        {"port": {"env": "ORCH_TEST_PORT"}, "flag": {"env": "ORCH_TEST_FLAG"}},
    )
    assert [e.stack_str for e in result.errors] == ["root:port", "root:flag"]
    assert 'environment variable "ORCH_TEST_PORT" is set, but its value cannot be converted' in (
        result.errors[0].message
    )
    assert 'environment variable "ORCH_TEST_FLAG" is set, but its value is not a boolean' in (
        result.errors[1].message
    )
    for error in result.errors:
        assert "hunter2" not in error.message
        assert "hunter2" not in repr(error.data)


def test_source_default_is_resolved_at_processing(monkeypatch):
    monkeypatch.setenv("ORCH_TEST_HOST", "db.internal")
    schema = {"host": Field(StringSource, default_value={"env": "ORCH_TEST_HOST"})}
    assert process_config(schema, {}).value == {"host": "db.internal"}


def test_resolve_defaults_keeps_config_form(monkeypatch):
    monkeypatch.setenv("ORCH_TEST_PW", "s3cret")
    schema = {
        "password": StringSource,
        "level": Field(LEVEL, default_value="INFO"),
        "retries": Field(int, default_value=2),
    }
    effective = resolve_defaults(schema, {"password": {"env": "ORCH_TEST_PW"}})
    assert effective == {"password": {"env": "ORCH_TEST_PW"}, "level": "INFO", "retries": 2}
    assert "s3cret" not in repr(effective)
