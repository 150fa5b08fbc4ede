"""Event metadata: the EventMetadataEntry static constructors, EventMetadata values in the
``metadata=`` dict form, and what a result gives back."""

from orch import (
    AssetKey,
    AssetMaterialization,
    EventMetadata,
    EventMetadataEntry,
    ExpectationResult,
    Failure,
    Output,
    execute_pipeline,
    pipeline,
    solid,
)


def helper_function():
    return 1


def _described(entries):
    return [(e.label, e.description, repr(e.entry_data), type(e.value).__name__)
            for e in entries]


def run_entry_constructors():
    return _described([
        EventMetadataEntry.text("hello", "greeting", description="a text"),
        EventMetadataEntry.url("http://example.com", "link"),
        EventMetadataEntry.path("/tmp/orders.csv", "file"),
        EventMetadataEntry.fspath("/tmp/data/orders.csv"),
        EventMetadataEntry.json({"rows": 3, "cols": ["a", "b"]}, "stats"),
        EventMetadataEntry.md("# Title", "notes"),
        EventMetadataEntry.float(1.5, "ratio"),
        EventMetadataEntry.int(42, "rows"),
        EventMetadataEntry.python_artifact(helper_function, "artifact"),
        EventMetadataEntry.pipeline_run("abc-123", "run"),
        EventMetadataEntry.asset(AssetKey(["warehouse", "orders"]), "upstream"),
    ])


def run_value_constructors():
    return [repr(v) for v in [
        EventMetadata.text("hello"), EventMetadata.url("http://example.com"),
        EventMetadata.path("/tmp/x.csv"), EventMetadata.json({"k": [1, 2]}),
        EventMetadata.md("*hi*"), EventMetadata.python_artifact(helper_function),
        EventMetadata.float(0.25), EventMetadata.int(7), EventMetadata.bool(False),
        EventMetadata.pipeline_run("run-1"), EventMetadata.dagster_run("run-2"),
        EventMetadata.asset(AssetKey("orders")),
    ]]


def run_value_properties():
    return [EventMetadata.text("t").value, EventMetadata.url("u").value,
            EventMetadata.path("p").value, EventMetadata.json({"a": 1}).value,
            EventMetadata.md("m").value, EventMetadata.float(2.5).value,
            EventMetadata.int(3).value, EventMetadata.bool(True).value,
            EventMetadata.pipeline_run("r").value,
            EventMetadata.python_artifact(helper_function).name]


def run_entry_from_raw_values():
    return _described([
        EventMetadataEntry("a", value="text"), EventMetadataEntry("b", value=3),
        EventMetadataEntry("c", value=0.5), EventMetadataEntry("d", value=True),
        EventMetadataEntry("e", value={"x": 1}),
        EventMetadataEntry("f", value=AssetKey("orders")),
        EventMetadataEntry("g", None, EventMetadata.int(9)),
    ])


def run_entry_rejects_unknown_value():
    return EventMetadataEntry("bad", value=object())


def run_dict_form_on_events():
    mat = AssetMaterialization("orders", metadata={
        "rows": 10, "size": 1.5, "ok": True, "owner": "data team",
        "schema": {"id": "int"}, "source": EventMetadata.path("/tmp/in.csv"),
        "parent": EventMetadata.asset(AssetKey("raw_orders"))})
    exp = ExpectationResult(True, label="non_empty", metadata={"rows": EventMetadata.int(10)})
    out = Output(5, metadata={"link": EventMetadata.url("http://x")})
    return [_described(mat.metadata_entries), _described(exp.metadata_entries),
            _described(out.metadata_entries)]


def run_both_forms_rejected():
    return AssetMaterialization("orders", metadata={"rows": 1},
                                metadata_entries=[EventMetadataEntry.int(1, "rows")])


def run_entry_in_dict_form_rejected():
    return AssetMaterialization("orders", metadata={"rows": EventMetadataEntry.int(1, "rows")})


@solid
def report(context):
    yield AssetMaterialization(
        asset_key="orders",
        metadata={"rows": EventMetadata.int(3), "path": EventMetadata.path("/tmp/o.csv"),
                  "code": EventMetadata.python_artifact(helper_function),
                  "ratio": EventMetadata.float(0.5), "done": EventMetadata.bool(True),
                  "doc": EventMetadata.md("**ok**"), "data": EventMetadata.json({"a": [1]}),
                  "link": EventMetadata.url("http://x"),
                  "run": EventMetadata.pipeline_run("r-1")})
    yield ExpectationResult(True, label="rows_positive",
                            metadata_entries=[EventMetadataEntry.int(3, "rows")])
    yield Output(3)


@pipeline
def metadata_pipeline():
    report()


def run_metadata_read_back():
    result = execute_pipeline(metadata_pipeline)
    solid_result = result.result_for_solid("report")
    [mat] = solid_result.materializations_during_compute
    [exp] = solid_result.expectation_results_during_compute
    return [_described(mat.metadata_entries), _described(exp.metadata_entries)]


@solid
def fails_with_metadata(context):
    raise Failure(description="bad rows", metadata={"bad_rows": EventMetadata.int(2),
                                                    "sample": EventMetadata.text("id=7")})


@pipeline
def failure_metadata_pipeline():
    fails_with_metadata()


def run_failure_metadata():
    result = execute_pipeline(failure_metadata_pipeline, raise_on_error=False)
    failure = result.result_for_solid("fails_with_metadata").failure_data
    return _described(failure.user_failure_data.metadata_entries)
