"""Config schemas checked at definition time, and config_schema=Field(...)."""

import typing

from orch import Field, Set, execute_pipeline, pipeline, solid


def _solid_with(schema):
    @solid(config_schema=schema)
    def s(context):
        return context.solid_config

    return s


def run_typing_list_rejected():
    return _solid_with(typing.List[int])


def run_none_value_rejected():
    return _solid_with({"f": None})


def run_set_rejected():
    return _solid_with(Set[int])


def run_list_literal_two_elements():
    return _solid_with([int, str])


def run_bad_default():
    return _solid_with({"n": Field(int, default_value="three")})


def run_required_with_default():
    return _solid_with({"n": Field(int, default_value=3, is_required=True)})


def run_field_as_schema():
    s = _solid_with(Field(int, default_value=7))

    @pipeline
    def field_pipeline():
        s()

    return execute_pipeline(field_pipeline)


def run_field_as_schema_given():
    s = _solid_with(Field(int, default_value=7))

    @pipeline
    def field_pipeline():
        s()

    return execute_pipeline(field_pipeline, run_config={"solids": {"s": {"config": 9}}})


def run_tuple_typing():
    return _solid_with(typing.Tuple[int])
