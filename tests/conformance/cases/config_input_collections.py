"""Input config for List, Optional and Dict inputs goes through the inner type's loader."""

from orch import (
    Dict,
    InputDefinition,
    Int,
    List,
    Optional,
    String,
    execute_pipeline,
    pipeline,
    solid,
)


@solid(input_defs=[InputDefinition("names", List[String])])
def join_names(context, names):
    return ",".join(names)


@solid(input_defs=[InputDefinition("limit", Optional[Int])])
def limit_or_default(context, limit):
    return 10 if limit is None else limit


@solid(input_defs=[InputDefinition("options", Dict)])
def read_options(context, options):
    return sorted(options.items())


@solid(input_defs=[InputDefinition("maybe_names", List[Optional[String]])])
def count_present(context, maybe_names):
    return len([n for n in maybe_names if n is not None])


@pipeline
def collections_pipeline():
    join_names()
    limit_or_default()
    read_options()
    count_present()


def _config(**inputs):
    base = {"join_names": ["a", {"value": "b"}], "limit_or_default": None,
            "read_options": {"x": 1, "y": [2]}, "count_present": [None, "x", {"value": "y"}]}
    base.update(inputs)
    return {"solids": {name: {"inputs": {_INPUT[name]: value}} for name, value in base.items()}}


_INPUT = {"join_names": "names", "limit_or_default": "limit", "read_options": "options",
          "count_present": "maybe_names"}


def run_collections():
    return execute_pipeline(collections_pipeline, run_config=_config())


def run_optional_given():
    return execute_pipeline(collections_pipeline, run_config=_config(limit_or_default={"value": 3}))


def run_list_of_optional_rejects_int():
    return execute_pipeline(collections_pipeline, run_config=_config(count_present=[1]))


def run_list_of_optional_rejects_string():
    return execute_pipeline(collections_pipeline, run_config=_config(count_present="abc"))


def run_list_of_optional_rejects_none():
    return execute_pipeline(collections_pipeline, run_config=_config(count_present=None))


def run_list_rejects_scalar():
    return execute_pipeline(collections_pipeline, run_config=_config(join_names="a"))
