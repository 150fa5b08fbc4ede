"""BigQuery through ``orch run`` against bqemulator (BigQuery's REST API on DuckDB, in its own
virtualenv; started and stopped by pid; a stand-in: no authentication, DuckDB's SQL
underneath): datasets, the three loads, bq_solid_for_queries and the IO manager.

The gs:// load goes through two emulators sharing one directory: a solid uploads the objects
with the GCS API (``gcs_resource``) to fake-gcs-server, whose filesystem backend keeps each
object as the file ``<root>/<bucket>/<object>``, and bqemulator, which has no GCS client of its
own, reads ``gs://<bucket>/<object>`` as that file under ``BQEMU_GCS_LOCAL_ROOT`` (the same
root). That shared directory is the stand-in for BigQuery reading Cloud Storage."""

from __future__ import annotations

import hashlib
import pickle
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from .cloud_servers import fake_gcs_server
from .conftest import ORCH, require

require("gcp", "google.cloud.bigquery", "google.cloud.storage", "pandas", "pyarrow")

REPO = '''
import pandas as pd
from orch import ModeDefinition, OutputDefinition, fs_io_manager, pipeline, solid
from orch.integrations.gcp import (bigquery_io_manager, bigquery_resource, bq_create_dataset,
                                   bq_delete_dataset, bq_solid_for_queries, import_df_to_bq,
                                   import_file_to_bq, import_gcs_paths_to_bq)
from orch.integrations.gcp.gcs import gcs_resource

MODE = ModeDefinition(resource_defs={"bigquery": bigquery_resource, "io_manager": fs_io_manager,
                                     "warehouse": bigquery_io_manager, "gcs": gcs_resource})

make_tables = bq_solid_for_queries(
    ["CREATE TABLE orch.from_df (id INT64, city STRING)"]).alias("make_tables")
report = bq_solid_for_queries([
    "SELECT city, count(*) AS n FROM orch.from_file GROUP BY city ORDER BY city",
    "SELECT sum(id) AS total FROM orch.from_df",
    "SELECT count(*) AS n FROM orch.from_gcs",
]).alias("report")


@solid
def frame(context, _after) -> pd.DataFrame:
    return pd.DataFrame({"id": [10, 20], "city": ["Oslo", "Lima"]})


@solid
def csv_file(context, _after) -> str:
    with open("trips.csv", "w") as f:
        f.write("id,city\\n1,Oslo\\n2,Lima\\n3,Oslo\\n")
    return "trips.csv"


@solid(required_resource_keys={"gcs"})
def gcs_paths(context, _after) -> list:
    """Two CSV parts uploaded through the GCS API; their gs:// URIs (one a wildcard)."""
    bucket = context.resources.gcs.bucket("orch-bucket")
    for name, rows in (("part-1.csv", "7,Pune\\n8,Pune\\n"), ("part-2.csv", "9,Oslo\\n")):
        bucket.blob(f"exports/{name}").upload_from_string("id,city\\n" + rows,
                                                          content_type="text/csv")
    return ["gs://orch-bucket/exports/part-1.csv", "gs://orch-bucket/exports/part-2*.csv"]


@solid
def summary(context, results) -> dict:
    by_city, total, gcs = results
    return {"by_city": by_city.to_dict("list"), "total": int(total.total[0]),
            "gcs": int(gcs.n[0])}


@pipeline(mode_defs=[MODE])
def loads():
    created = bq_create_dataset()
    tables = make_tables(created)
    f = import_file_to_bq.alias("load_file")(csv_file(created))
    d = import_df_to_bq.alias("load_df")(frame(tables))
    g = import_gcs_paths_to_bq.alias("load_gcs")(gcs_paths(created))
    summary(report([f, d, g]))


@solid(output_defs=[OutputDefinition(io_manager_key="warehouse")])
def trips(context, _after):
    return pd.DataFrame({"id": [1, 2, 3], "km": [1.5, 2.5, 4.0]})


@solid
def longest(context, trips: pd.DataFrame) -> float:
    return float(trips.km.max())


@pipeline(mode_defs=[MODE])
def frames():
    longest(trips(bq_create_dataset()))


@pipeline(mode_defs=[MODE])
def drop():
    bq_delete_dataset()
'''


def _config(project, bq, extra=None, create=True):
    resource = {k: v for k, v in bq.items() if k != "gcs_root"}
    config = {"resources": {"bigquery": {"config": resource}}, "solids": {
        "bq_create_dataset": {"config": {"dataset": "orch", "exists_ok": True}}} if create
        else {}}
    for key, value in (extra or {}).items():
        config.setdefault(key, {}).update(value)
    path = project.root / "bq.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def _stored(project, run, step):
    with open(project.home / "storage" / run.run_id / step / "result", "rb") as f:
        return pickle.load(f)


@pytest.fixture(scope="module")
def gcs(bq, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """fake-gcs-server on bqemulator's gs:// root, with the bucket the pipeline writes to
    (made through the GCS API): its endpoint."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    with fake_gcs_server(tmp_path_factory.mktemp("fake-gcs"), root=Path(bq["gcs_root"])) \
            as endpoint:
        client = storage.Client(project="orch-test", credentials=AnonymousCredentials(),
                                client_options={"api_endpoint": endpoint})
        client.create_bucket("orch-bucket")
        yield endpoint


def test_datasets_loads_and_queries(project, bq, gcs):
    project.write(REPO)
    csv = {"source_format": "CSV", "skip_leading_rows": 1, "autodetect": True}
    solids = {
        "load_file": {"config": {"destination": "orch.from_file", "load_job_config": csv}},
        "load_df": {"config": {"destination": "orch.from_df"}},
        "load_gcs": {"config": {"destination": "orch.from_gcs", "load_job_config": csv}},
    }
    env = project.env(STORAGE_EMULATOR_HOST=gcs)
    run = project.run("loads", "-c", _config(project, bq, {"solids": solids}), env=env)
    assert run.returncode == 0, run.stderr
    assert _stored(project, run, "summary") == {
        "by_city": {"city": ["Lima", "Oslo"], "n": [1, 2]}, "total": 30, "gcs": 3}
    # what bqemulator read is what the GCS API stored: one file per object in the shared root
    shared = Path(bq["gcs_root"]) / "orch-bucket" / "exports"
    assert (shared / "part-2.csv").read_text() == "id,city\n9,Oslo\n"
    sql = "SELECT city, count(*) AS n FROM orch.from_file GROUP BY city ORDER BY city"
    queries = [sql, "SELECT sum(id) AS total FROM orch.from_df",
               "SELECT count(*) AS n FROM orch.from_gcs"]
    digest = hashlib.sha1("".join(queries).encode()).hexdigest()[:10]
    logged = [e["message"] for e in run.events if e["step_key"] == "report"]
    assert f"executing query {sql} with config: (no config provided)" in logged, logged
    printed = subprocess.run([ORCH, "pipeline", "print", "-f", "repo.py", "-p", "loads",
                              "--verbose"], cwd=project.root, env=project.env(),
                             capture_output=True, text=True, timeout=60)
    assert f"bq_solid_{digest}" in printed.stdout, printed.stdout

    run = project.run("drop", "-c", _config(project, bq, {"solids": {"bq_delete_dataset": {
        "config": {"dataset": "orch", "delete_contents": True}}}}, create=False))
    assert run.returncode == 0, run.stderr
    run = project.run("loads", "-c", _config(project, bq, {"solids": solids}), env=env)
    assert run.returncode == 0, run.stderr  # the dataset and its tables were gone: made again


def test_outputs_round_trip_through_the_io_manager(project, bq):
    project.write(REPO)
    resource = {k: v for k, v in bq.items() if k != "gcs_root"}
    config = _config(project, bq, {"resources": {"warehouse": {"config": {
        **resource, "dataset": "orch"}}}})
    for _ in range(2):  # replaced, not appended
        run = project.run("frames", "-c", config)
        assert run.returncode == 0, run.stderr
    assert _stored(project, run, "longest") == 4.0
    meta = run.metadata(run.of_type("ASSET_MATERIALIZATION", "trips")[0])
    assert meta["table"] == "orch.trips__result" and meta["rows"] == 3


class _RecordingClient:
    """A bigquery resource that records each query's job config (no emulator needed)."""

    def __init__(self) -> None:
        self.job_configs: list = []

    def query(self, sql, job_config=None):
        import pandas as pd

        self.job_configs.append(job_config)

        class _Job:
            def to_dataframe(self, create_bqstorage_client=False):
                return pd.DataFrame({"one": [1]})

        return _Job()


def _query_job_configs(solid_config: dict | None) -> list:
    from orch.integrations.gcp import bq_solid_for_queries

    from orch import ModeDefinition, execute_pipeline, pipeline, resource

    client = _RecordingClient()
    query = bq_solid_for_queries(["SELECT 1 AS one"])

    @resource
    def bigquery(_):
        return client

    @pipeline(mode_defs=[ModeDefinition(resource_defs={"bigquery": bigquery})])
    def queries():
        query()

    run_config = {"solids": {query.name: {"config": solid_config}}} if solid_config else {}
    assert execute_pipeline(queries, run_config=run_config).success
    return client.job_configs


def test_query_job_config_left_out_asks_for_no_time_partitioning():
    # time_partitioning is Field({...all optional}, is_required=False): left out, it is absent
    # (no implicit {} default, as dagster-gcp 0.15.10), so no job config is made at all ...
    assert _query_job_configs(None) == [None]
    [cfg] = _query_job_configs({"query_job_config": {"use_query_cache": False}})
    assert cfg.time_partitioning is None and cfg.use_query_cache is False
    # ... while one given as {} is TimePartitioning() (DAY), as dagster-gcp makes it.
    [cfg] = _query_job_configs({"query_job_config": {"time_partitioning": {}}})
    assert cfg.time_partitioning is not None and cfg.time_partitioning.type_ == "DAY"
