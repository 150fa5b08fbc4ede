"""Permissive, Selector, Noneable, Enum, ScalarUnion and StringSource in solid config."""

import os

from orch import (
    Enum,
    EnumValue,
    Field,
    Noneable,
    Permissive,
    ScalarUnion,
    Selector,
    StringSource,
    execute_pipeline,
    pipeline,
    solid,
)

Color = Enum("Color", [EnumValue("RED", python_value="r"), EnumValue("BLUE", python_value="b")])


@solid(config_schema={
    "extra": Permissive({"known": int}),
    "source": Selector({"file": str, "url": str}),
    "maybe": Noneable(int),
    "color": Field(Color, default_value="RED"),
    "size": ScalarUnion(scalar_type=int, non_scalar_schema={"w": int, "h": int}),
    "secret": StringSource,
})
def fancy(context):
    return dict(context.solid_config)


@pipeline
def fancy_pipeline():
    fancy()


def _config(**overrides):
    config = {"extra": {"known": 1, "other": "x"}, "source": {"file": "a.txt"}, "maybe": None,
              "size": 3, "secret": {"env": "CONFORMANCE_SECRET"}}
    config.update(overrides)
    return {"solids": {"fancy": {"config": config}}}


def run_fancy():
    os.environ["CONFORMANCE_SECRET"] = "hunter2"
    return execute_pipeline(fancy_pipeline, run_config=_config(color="BLUE", size={"w": 1, "h": 2}))


def run_selector_two_keys():
    return execute_pipeline(fancy_pipeline, run_config=_config(source={"file": "a", "url": "b"}))


def run_bad_enum():
    return execute_pipeline(fancy_pipeline, run_config=_config(color="GREEN"))


def run_unset_env():
    os.environ.pop("CONFORMANCE_UNSET", None)
    return execute_pipeline(fancy_pipeline, run_config=_config(secret={"env": "CONFORMANCE_UNSET"}))
