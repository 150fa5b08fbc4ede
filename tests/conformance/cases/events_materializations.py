"""AssetMaterialization and ExpectationResult yielded from a solid."""

from orch import (
    AssetKey,
    AssetMaterialization,
    EventMetadataEntry,
    ExpectationResult,
    Output,
    execute_pipeline,
    pipeline,
    solid,
)


@solid
def write_table(context):
    yield ExpectationResult(success=True, label="non_empty", description="rows > 0")
    yield AssetMaterialization(
        asset_key=AssetKey(["warehouse", "orders"]),
        description="orders table",
        metadata_entries=[EventMetadataEntry.int(42, "rows"),
                          EventMetadataEntry.path("/tmp/orders.parquet", "path")],
    )
    yield Output(42)


@pipeline
def materialize_pipeline():
    write_table()


def run_materialize():
    return execute_pipeline(materialize_pipeline)


def run_read_back():
    result = execute_pipeline(materialize_pipeline)
    solid_result = result.result_for_solid("write_table")
    mats = solid_result.materializations_during_compute
    exps = solid_result.expectation_results_during_compute
    return [[m.asset_key.path for m in mats], [e.label for e in exps], [e.success for e in exps]]
