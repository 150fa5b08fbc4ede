"""Output config: solids.s.outputs materializes an output through its type's materializer."""

import json

from orch import execute_pipeline, pipeline, solid


@solid
def compute_total(context) -> int:
    return 42


@solid
def compute_names(context):
    return ["a", "b"]


@pipeline
def output_config_pipeline():
    compute_total()
    compute_names()


def run_json_output():
    result = execute_pipeline(output_config_pipeline, run_config={"solids": {
        "compute_total": {"outputs": [{"result": {"json": {"path": "total.json"}}}]},
        "compute_names": {"outputs": [{"result": {"pickle": {"path": "names.pkl"}}}]},
    }})
    with open("total.json") as f:
        return [result.success, json.load(f)]


def run_events():
    return execute_pipeline(output_config_pipeline, run_config={"solids": {
        "compute_total": {"outputs": [{"result": {"json": {"path": "total.json"}}}]}}})


def run_bad_output_config():
    return execute_pipeline(output_config_pipeline, run_config={"solids": {
        "compute_total": {"outputs": [{"nope": {"json": {"path": "x.json"}}}]}}})
