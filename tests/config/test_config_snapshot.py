"""config_type_snapshot: JSON-ready descriptions that rebuild into equivalent types."""

from __future__ import annotations

import enum
import json

from orch.core.config import (
    Any,
    Enum,
    Field,
    IntSource,
    Noneable,
    Permissive,
    ScalarUnion,
    Selector,
    Shape,
    StringSource,
    config_type_from_snapshot,
    config_type_snapshot,
    process_config,
    resolve_config_type,
    type_display,
    validate_config,
)


class Level(enum.Enum):
    DEBUG = 10
    INFO = 20


SCHEMA = Shape(
    {
        "name": Field(str, description="Who."),
        "level": Field(Enum.from_python_enum(Level), default_value="INFO"),
        "paths": [Noneable(str)],
        "db": {"host": StringSource, "port": Field(IntSource, default_value=5432)},
        "mode": Selector({"a": {}, "b": {"x": int}}),
        "extra": Permissive({"k": Field(float, default_value=1.5)}),
        "union": Field(ScalarUnion(str, [int]), is_required=False),
        "anything": Field(Any, default_value={1, 2}),
    },
    description="Top.",
)


def test_snapshot_is_json_serialisable_and_describes_fields():
    snap = config_type_snapshot(SCHEMA)
    json.dumps(snap)  # must not raise
    assert snap["kind"] == "STRICT_SHAPE"
    assert snap["description"] == "Top."
    fields = {f["name"]: f for f in snap["fields"]}
    assert fields["name"] == {
        "name": "name",
        "is_required": True,
        "default_provided": False,
        "description": "Who.",
        "type": {
            "kind": "SCALAR",
            "key": "String",
            "name": "String",
            "description": None,
            "scalar_kind": "STRING",
        },
    }
    assert fields["level"]["default_value"] == "INFO"
    assert fields["level"]["type"]["enum_values"] == [
        {"config_value": "DEBUG", "description": None},
        {"config_value": "INFO", "description": None},
    ]
    assert fields["paths"]["type"]["inner_type"]["kind"] == "NONEABLE"
    assert fields["db"]["type"]["fields"][0]["type"]["key"] == "StringSource"
    assert fields["extra"]["default_value"] == {"k": 1.5}  # implicit default
    assert fields["union"]["type"]["non_scalar_type"]["kind"] == "ARRAY"
    assert "default_value" not in fields["anything"]
    assert fields["anything"]["default_value_repr"] == "{1, 2}"


def test_snapshot_accepts_schema_forms():
    assert config_type_snapshot({"a": int}) == config_type_snapshot(resolve_config_type({"a": int}))


def test_round_trip_rebuilds_an_equivalent_type():
    snap = config_type_snapshot(SCHEMA)
    rebuilt = config_type_from_snapshot(json.loads(json.dumps(snap)))
    assert type_display(rebuilt) == type_display(SCHEMA)
    assert rebuilt.fields["db"].config_type.fields["host"].config_type is StringSource
    # The non-JSON default is dropped, so that one field differs; everything else is identical.
    original_fields = {f["name"]: f for f in snap["fields"]}
    rebuilt_fields = {f["name"]: f for f in config_type_snapshot(rebuilt)["fields"]}
    for name in original_fields:
        if name != "anything":
            assert rebuilt_fields[name] == original_fields[name], name

    value = {"name": "x", "paths": [None, "p"], "db": {"host": "h"}, "mode": {"b": {"x": 1}}}
    assert validate_config(rebuilt, value).success
    processed = process_config(rebuilt, value).value
    assert processed["level"] == "INFO"  # Python enum values do not travel
    assert processed["db"]["port"] == 5432
    bad = validate_config(rebuilt, {"name": 1, "mode": {}})
    assert [e.stack_str for e in bad.errors] == [
        e.stack_str for e in validate_config(SCHEMA, {"name": 1, "mode": {}}).errors
    ]


def test_map_survives_a_snapshot_and_validates_after():
    from orch.core.config import Map

    schema = Shape({"tables": Field(Map(str, {"rows": int}, key_label_name="table"))})
    rebuilt = config_type_from_snapshot(json.loads(json.dumps(config_type_snapshot(schema))))
    assert rebuilt == schema
    assert type_display(rebuilt) == "{ tables: { [table: String]: { rows: Int } } }"
    assert process_config(rebuilt, {"tables": {"a": {"rows": 1}}}).value == \
        {"tables": {"a": {"rows": 1}}}
    bad = validate_config(rebuilt, {"tables": {"a": {"rows": "x"}, 3: {"rows": 1}}})
    assert sorted(e.stack_str for e in bad.errors) == [
        "root:tables:'a':value:rows", "root:tables:3:key"]


def test_snapshot_of_explicitly_optional_fields_has_no_default():
    # As Dagster 0.15.10's snap_from_config_type: only an implicitly optional field (is_required
    # left out) has a default; is_required=False gives default_provided False.
    snap = config_type_snapshot(Shape({
        "opt": Field({"a": Field(int, default_value=1)}, is_required=False),
        "imp": Field({"a": Field(int, default_value=1)}),
        "perm_false": Field(Permissive(), is_required=False),
        "none_false": Field(Noneable(int), is_required=False),
        "none_imp": Field(Noneable(int)),
    }))
    fields = {f["name"]: (f["is_required"], f["default_provided"], f.get("default_value"))
              for f in snap["fields"]}
    assert fields == {"opt": (False, False, None), "imp": (False, True, {"a": 1}),
                      "perm_false": (False, False, None), "none_false": (False, False, None),
                      "none_imp": (False, True, None)}
    rebuilt = config_type_from_snapshot(snap)
    assert process_config(rebuilt, {}).value == {"imp": {"a": 1}, "none_imp": None}
