"""Untyped (Any) inputs from config: the {value: ...} selector, json and pickle files."""

import json
import pickle

from orch import execute_pipeline, pipeline, solid


@solid
def echo(context, thing):
    return thing


@pipeline
def echo_pipeline():
    echo()


def run_value():
    return execute_pipeline(echo_pipeline, run_config={
        "solids": {"echo": {"inputs": {"thing": {"value": {"a": [1, 2]}}}}}})


def run_json():
    with open("thing.json", "w") as f:
        json.dump({"value": {"k": [1, "two"]}}, f)
    return execute_pipeline(echo_pipeline, run_config={
        "solids": {"echo": {"inputs": {"thing": {"json": {"path": "thing.json"}}}}}})


def run_json_without_value_key():
    with open("thing.json", "w") as f:
        json.dump({"k": [1, "two"]}, f)
    return execute_pipeline(echo_pipeline, run_config={
        "solids": {"echo": {"inputs": {"thing": {"json": {"path": "thing.json"}}}}}})


def run_pickle():
    with open("thing.pkl", "wb") as f:
        pickle.dump((1, 2.5, "x"), f)
    return execute_pipeline(echo_pipeline, run_config={
        "solids": {"echo": {"inputs": {"thing": {"pickle": {"path": "thing.pkl"}}}}}})


def run_bare_value_rejected():
    return execute_pipeline(echo_pipeline, run_config={
        "solids": {"echo": {"inputs": {"thing": 5}}}})


def run_two_selector_keys():
    return execute_pipeline(echo_pipeline, run_config={
        "solids": {"echo": {"inputs": {"thing": {"value": 1, "json": {"path": "x"}}}}}})
