"""A custom @dagster_type_materializer attached through usable_as_dagster_type."""

from orch import (
    AssetMaterialization,
    dagster_type_materializer,
    execute_pipeline,
    pipeline,
    solid,
    usable_as_dagster_type,
)


@dagster_type_materializer({"path": str})
def save_report(context, config, value):
    with open(config["path"], "w") as f:
        f.write(value.text)
    return AssetMaterialization(asset_key="report", description=f"saved to {config['path']}")


@usable_as_dagster_type(materializer=save_report)
class Report:
    def __init__(self, text):
        self.text = text


@solid
def make_report(context) -> Report:
    return Report("all good")


@pipeline
def report_pipeline():
    make_report()


def run_materialized():
    result = execute_pipeline(report_pipeline, run_config={
        "solids": {"make_report": {"outputs": [{"result": {"path": "report.txt"}}]}}})
    with open("report.txt") as f:
        return [result.success, f.read()]


def run_events():
    return execute_pipeline(report_pipeline, run_config={
        "solids": {"make_report": {"outputs": [{"result": {"path": "report.txt"}}]}}})
