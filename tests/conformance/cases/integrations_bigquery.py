"""dagster-gcp's BigQuery solids as a legacy file defines them: bq_solid_for_queries' name
(``bq_solid_<sha1[:10]>``), tags, inputs and output type, the load solids' inputs and config,
and the config errors a user meets. The queries and loads run against bqemulator in
tests/integrations/test_bigquery.py."""

from orch.integrations.gcp import (
    bq_create_dataset,
    bq_delete_dataset,
    bq_solid_for_queries,
    import_df_to_bq,
    import_file_to_bq,
    import_gcs_paths_to_bq,
)

from orch import ModeDefinition, execute_pipeline, pipeline, resource

QUERIES = ["SELECT 1 AS one", "SELECT 2 AS two"]
report = bq_solid_for_queries(QUERIES)


def _shape(solid_def):
    return {"name": solid_def.name,
            "inputs": [(i.name, i.dagster_type.display_name) for i in solid_def.input_defs],
            "outputs": [(o.name, o.dagster_type.display_name) for o in solid_def.output_defs],
            "resources": sorted(solid_def.required_resource_keys),
            "tags": dict(solid_def.tags)}


def run_query_solid_definition():
    return _shape(report)


def run_same_queries_same_name():
    return bq_solid_for_queries(list(QUERIES)).name == report.name


def run_load_and_dataset_solids():
    return [_shape(s) for s in (import_df_to_bq, import_file_to_bq, import_gcs_paths_to_bq,
                                bq_create_dataset, bq_delete_dataset)]


@resource
def no_client(_):
    return None


@pipeline(mode_defs=[ModeDefinition(resource_defs={"bigquery": no_client})])
def datasets():
    bq_delete_dataset(bq_create_dataset())


def run_create_dataset_needs_a_dataset():
    return execute_pipeline(datasets, run_config={"solids": {"bq_create_dataset": {
        "config": {"exists_ok": True}}, "bq_delete_dataset": {"config": {"dataset": "d"}}}})


def run_create_dataset_rejects_unknown_keys():
    return execute_pipeline(datasets, run_config={"solids": {
        "bq_create_dataset": {"config": {"dataset": "d", "replace": True}},
        "bq_delete_dataset": {"config": {"dataset": "d"}}}})


def run_query_job_config_enums():
    @pipeline(mode_defs=[ModeDefinition(resource_defs={"bigquery": no_client})])
    def queries():
        report()

    return execute_pipeline(queries, run_config={"solids": {report.name: {"config": {
        "query_job_config": {"priority": "URGENT", "write_disposition": "WRITE_TRUNCATE"}}}}})
