"""List, Optional, Dict, Set and Tuple types checked on outputs and inputs."""

import typing

from orch import Dict, List, Optional, OutputDefinition, execute_pipeline, pipeline, solid


@solid(output_defs=[OutputDefinition(List[int])])
def good_list(context):
    return [1, 2]


@solid(output_defs=[OutputDefinition(List[int])])
def bad_list(context):
    return [1, "two"]


@solid(output_defs=[OutputDefinition(Optional[str])])
def none_ok(context):
    return None


@solid(output_defs=[OutputDefinition(Dict)])
def not_a_dict(context):
    return [("a", 1)]


@solid
def typing_list(context) -> typing.List[str]:
    return ["a", 3]


@solid
def typing_optional(context) -> typing.Optional[int]:
    return None


@pipeline
def collection_types_pipeline():
    good_list()
    bad_list()
    none_ok()
    not_a_dict()
    typing_list()
    typing_optional()


def run_collection_types():
    return execute_pipeline(collection_types_pipeline, raise_on_error=False)
