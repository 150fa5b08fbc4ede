"""scaffold_config and minimal_config: templates that load into valid config."""

from __future__ import annotations

import yaml
from orch.core.config import (
    Any,
    Enum,
    EnumValue,
    Field,
    Float,
    Noneable,
    Permissive,
    Selector,
    Shape,
    StringSource,
    minimal_config,
    process_config,
    scaffold_config,
    validate_config,
)

GREETING = Shape(
    {
        "name": Field(str, description="Who to greet."),
        "times": Field(int, default_value=1, description="How many times.\nAt least one."),
        "ratio": Float,
        "loud": Field(bool, is_required=False),
        "level": Field(
            Enum("Level", [EnumValue("DEBUG"), EnumValue("INFO")]), default_value="INFO"
        ),
        "password": StringSource,
        "nickname": Noneable(str),
        "tags": [str],
        "storage": Selector(
            {"filesystem": {"base_dir": Field(str, default_value="/tmp")}, "s3": {"bucket": str}}
        ),
        "targets": [{"path": str, "mode": Field(str, default_value="w")}],
        "extra": Field(Permissive(), default_value={"on": True, "1": 1.0e-5, "weird key": "a: b"}),
        "opts": Field(Any, is_required=False),
    },
    description="Greeting settings.",
)


def test_full_template():
    assert scaffold_config(GREETING) == (
        "# Greeting settings.\n"
        "# Who to greet.\n"
        'name: ""  # required (String)\n'
        "# How many times.\n"
        "# At least one.\n"
        "times: 1  # Int\n"
        "ratio: 0.0  # required (Float)\n"
        "# loud: false  # Bool\n"
        "level: INFO  # Level: DEBUG | INFO\n"
        'password: ""  # required (StringSource)\n'
        "nickname: null  # String?\n"
        "tags: []  # required ([String])\n"
        "storage:  # required; choose one of: filesystem | s3\n"
        "  filesystem:\n"
        '    base_dir: "/tmp"  # String\n'
        "  # s3:\n"
        '  #   bucket: ""  # required (String)\n'
        "targets:  # required ([{ mode?: String path: String }])\n"
        '  - path: ""  # required (String)\n'
        "    mode: w  # String\n"
        "extra:\n"
        '  "on": true\n'
        '  "1": 1.0e-05\n'
        '  "weird key": "a: b"\n'
        "# opts: null  # Any\n"
    )


def test_required_only_template():
    assert scaffold_config(GREETING, required_only=True) == (
        "# Greeting settings.\n"
        "# Who to greet.\n"
        'name: ""  # required (String)\n'
        "ratio: 0.0  # required (Float)\n"
        'password: ""  # required (StringSource)\n'
        "tags: []  # required ([String])\n"
        "storage:  # required; choose one of: filesystem | s3\n"
        "  filesystem: {}\n"
        "targets: []  # required ([{ mode?: String path: String }])\n"
    )


def test_templates_load_into_config_that_validates_and_processes():
    for required_only in (False, True):
        loaded = yaml.safe_load(scaffold_config(GREETING, required_only=required_only))
        assert validate_config(GREETING, loaded).success, required_only
    full = yaml.safe_load(scaffold_config(GREETING))
    assert full["extra"] == {"on": True, "1": 1.0e-5, "weird key": "a: b"}
    assert process_config(GREETING, full).value["storage"] == {"filesystem": {"base_dir": "/tmp"}}


def test_scalar_only_requirements_round_trip():
    schema = {
        "host": str,
        "port": int,
        "ratio": float,
        "debug": bool,
        "pool": Field({"size": Field(int, default_value=5)}),
    }
    text = scaffold_config(schema)
    loaded = yaml.safe_load(text)
    assert loaded == {"host": "", "port": 0, "ratio": 0.0, "debug": False, "pool": {"size": 5}}
    assert validate_config(schema, loaded).success


def test_awkward_strings_and_floats_survive_yaml():
    values = ["yes", "null", "1.5", "a #b", "x\ny", "\u2028", "é", "", " lead", "0x1F", "~"]
    schema = {f"k{i}": Field(str, default_value=v) for i, v in enumerate(values)}
    schema["big"] = Field(float, default_value=1e20)
    schema["inf"] = Field(float, default_value=float("-inf"))
    schema["odd key: [x]"] = Field(int, default_value=1)
    loaded = yaml.safe_load(scaffold_config(schema))
    assert [loaded[f"k{i}"] for i in range(len(values))] == values
    assert loaded["big"] == 1e20 and loaded["inf"] == float("-inf")
    assert loaded["odd key: [x]"] == 1


def test_top_level_non_dict_schemas():
    assert scaffold_config(int) == "0  # required (Int)\n"
    assert yaml.safe_load(scaffold_config([{"a": int}])) == [{"a": 0}]
    assert scaffold_config({}) == "{}\n"
    text = scaffold_config(Selector({"a": int, "b": str}))
    assert text == '# required; choose one of: a | b\na: 0  # Int\n# b: ""  # String\n'


def test_selector_default_selects_its_option():
    schema = {
        "storage": Field(
            Selector({"memory": {}, "disk": {"dir": Field(str, default_value="/d")}}),
            default_value={"disk": {}},
        )
    }
    text = scaffold_config(schema)
    assert '  disk:\n    dir: "/d"  # String\n  # memory: {}\n' in text
    assert validate_config(schema, yaml.safe_load(text)).success


def test_minimal_config():
    assert minimal_config(GREETING) == {
        "name": "...",
        "ratio": 0.0,
        "password": "...",
        "tags": [],
        "storage": {"filesystem": {}},
        "targets": [],
    }
    assert validate_config(GREETING, minimal_config(GREETING)).success
    assert minimal_config({"a": Any, "b": bool, "c": Field(Noneable(int), is_required=True)}) == {
        "a": "AnyType",
        "b": True,
        "c": None,
    }


def test_a_map_field_scaffolds_to_an_empty_mapping_that_validates():
    from orch.core.config import Map

    schema = Shape({"counts": Field(Map(str, int)), "name": str})
    template = scaffold_config(schema)
    assert "counts: {}" in template
    loaded = yaml.safe_load(template)
    assert loaded["counts"] == {} and minimal_config(schema) == {"counts": {}, "name": "..."}
