"""The tutorial's cereal file: the CSV path comes from input config, {value: ...} form."""

import csv
import os

from orch import String, execute_pipeline, pipeline, solid


@solid
def read_csv(context, csv_path: String):
    with open(csv_path) as f:
        lines = [row for row in csv.DictReader(f)]
    context.log.info(f"Read {len(lines)} lines")
    return lines


@solid
def sort_by_calories(context, cereals):
    return [c["name"] for c in sorted(cereals, key=lambda c: int(c["calories"]))]


@pipeline
def cereal_pipeline():
    sort_by_calories(read_csv())


def _write_csv():
    with open("cereal.csv", "w") as f:
        f.write("name,calories\nCorn Flakes,100\nBran,70\nMuesli,150\n")
    return os.path.abspath("cereal.csv")


def run_value_form():
    path = _write_csv()
    return execute_pipeline(cereal_pipeline, run_config={
        "solids": {"read_csv": {"inputs": {"csv_path": {"value": path}}}}})


def run_bare_scalar_form():
    path = _write_csv()
    return execute_pipeline(cereal_pipeline, run_config={
        "solids": {"read_csv": {"inputs": {"csv_path": path}}}})


def run_wrong_type():
    return execute_pipeline(cereal_pipeline, run_config={
        "solids": {"read_csv": {"inputs": {"csv_path": {"value": 3}}}}})


def run_missing_input_config():
    return execute_pipeline(cereal_pipeline)
