"""The parquet and DuckDB IO managers, driven through ``orch run`` as a user runs a pipeline:
files and tables on disk, the metadata in the events, partitions, re-execution from a
parent run's stored outputs, and DuckDB's one-writer lock under the multiprocess executor."""

from __future__ import annotations

import stat
import subprocess
import time

import pytest
from orch.core.events import EventType
from orch.core.instance import Instance

from .conftest import ORCH, require

require("duckdb", "duckdb", "pyarrow", "pandas")
import duckdb  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

REPO = '''
import pandas as pd
import pyarrow as pa
from orch import (InputDefinition, ModeDefinition, OutputDefinition, PartitionSetDefinition,
                  fs_io_manager, pipeline, repository, solid)
from orch.integrations.duckdb import duckdb_io_manager
from orch.integrations.pandas import DataFrame
from orch.integrations.parquet import parquet_io_manager

MODE = ModeDefinition(resource_defs={
    "io_manager": fs_io_manager, "pq": parquet_io_manager, "duck": duckdb_io_manager})


@solid(output_defs=[OutputDefinition(DataFrame, io_manager_key="pq")])
def extract(context):
    with open("extract.calls", "a") as f:
        f.write("x")
    return pd.DataFrame({"id": [1, 2, 3], "city": ["Oslo", "Lima", "Pune"]})


@solid(output_defs=[OutputDefinition(DataFrame, io_manager_key="duck")])
def double(context, df: pd.DataFrame):
    return df.assign(id=df.id * 2)


@solid
def summarize(context, table: pa.Table) -> str:
    return f"{type(table).__name__}:{table.num_rows}:{sum(table.column('id').to_pylist())}"


@pipeline(mode_defs=[MODE])
def frames():
    summarize(double(extract()))


def _part(n):
    @solid(name=f"part_{n}", output_defs=[OutputDefinition(DataFrame, io_manager_key="duck")])
    def part(context):
        return pd.DataFrame({"n": list(range(n * 1000))})
    return part


@solid(input_defs=[InputDefinition(f"p{i}", DataFrame) for i in range(4)])
def total(context, p0, p1, p2, p3) -> int:
    return sum(len(p) for p in (p0, p1, p2, p3))


@pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": fs_io_manager,
                                                   "duck": duckdb_io_manager})])
def parallel():
    total(*[_part(n)() for n in range(1, 5)])


@solid(output_defs=[OutputDefinition(io_manager_key="pq")])
def not_a_frame(context):
    return {"id": [1]}


@pipeline(mode_defs=[MODE])
def wrong_value():
    not_a_frame()


days = PartitionSetDefinition(name="days", pipeline_name="frames",
                              partition_fn=lambda: ["2024-01-01", "2024-01-02", "2024-01-03"])


@repository
def repo():
    return [frames, parallel, wrong_value, days]
'''


def _backfill(project, *partitions: str) -> list:
    """``orch backfill`` of ``partitions``, then the runs it launched once they have ended."""
    proc = subprocess.run(
        [ORCH, "backfill", "-f", "repo.py", "-p", "frames", "--partition-set", "days",
         "--partitions", ",".join(partitions), "--noprompt"],
        cwd=project.root, env=project.env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    backfill_id = proc.stdout.strip().splitlines()[-1].split("`")[1]
    deadline = time.monotonic() + 120
    with Instance.from_home(project.home) as instance:
        while True:
            runs = instance.get_runs(tags={"orch/backfill": backfill_id})
            if len(runs) == len(partitions) and all(r.status.value in ("SUCCESS", "FAILURE")
                                                    for r in runs):
                return runs
            assert time.monotonic() < deadline, [r.status for r in runs]
            time.sleep(0.2)


def test_outputs_are_parquet_files_and_duckdb_tables_with_metadata(project):
    project.write(REPO)
    run = project.run("frames")
    assert run.returncode == 0, run.stderr

    parquet_path = project.home / "storage" / "parquet" / run.run_id / "extract" / "result.parquet"
    stored = pq.read_table(parquet_path)
    assert stored.to_pydict() == {"id": [1, 2, 3], "city": ["Oslo", "Lima", "Pune"]}
    assert stat.S_IMODE(parquet_path.stat().st_mode) == 0o600
    (materialized,) = run.of_type("ASSET_MATERIALIZATION", "extract")
    assert materialized["data"]["asset_key"] == ["extract", "result"]
    meta = run.metadata(materialized)
    assert meta["path"] == str(parquet_path)
    assert (meta["rows"], meta["columns"]) == (3, 2)
    assert meta["bytes"] == parquet_path.stat().st_size
    (handled,) = run.of_type("HANDLED_OUTPUT", "extract")
    assert run.metadata(handled) == meta

    database = project.home / "storage" / "orch.duckdb"
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.sql('SELECT id FROM main."double__result" ORDER BY id').fetchall() == \
            [(2,), (4,), (6,)]
    meta = run.metadata(run.of_type("ASSET_MATERIALIZATION", "double")[0])
    assert meta["table"] == '"main"."double__result"' and meta["rows"] == 3
    assert meta["database_bytes"] == database.stat().st_size

    # the input annotated pyarrow.Table came out of DuckDB as Arrow
    (output,) = run.of_type("STEP_OUTPUT", "summarize")
    assert run.of_type("STEP_SUCCESS", "summarize")
    assert output["data"]["output_name"] == "result"


def test_partitioned_runs_keep_one_file_and_one_slice_per_partition(project):
    project.write(REPO)
    for partitions in (["2024-01-01", "2024-01-02"], ["2024-01-01"]):
        runs = _backfill(project, *partitions)
        assert {r.status.value for r in runs} == {"SUCCESS"}
    with Instance.from_home(project.home) as instance:
        materialized = [e for r in instance.get_runs() for e in instance.get_logs_for_run(r.run_id)
                        if e.event_type == EventType.ASSET_MATERIALIZATION
                        and e.step_key == "extract"]
    assert sorted(e.data["partition"] for e in materialized) == \
        ["2024-01-01", "2024-01-01", "2024-01-02"]

    dataset = project.home / "storage" / "parquet" / "frames" / "extract" / "result"
    assert sorted(p.name for p in dataset.iterdir()) == ["2024-01-01.parquet",
                                                         "2024-01-02.parquet"]
    with duckdb.connect(str(project.home / "storage" / "orch.duckdb"), read_only=True) as con:
        rows = con.sql('SELECT _partition, count(*) FROM main."double__result" '
                       "GROUP BY 1 ORDER BY 1").fetchall()
    assert rows == [("2024-01-01", 3), ("2024-01-02", 3)]  # the re-run replaced its slice


def test_reexecution_loads_the_parent_runs_parquet_output(project):
    project.write(REPO)
    parent = project.run("frames")
    assert parent.returncode == 0, parent.stderr
    child = project.run("frames", "--parent", parent.run_id, "-s", "double+")
    assert child.returncode == 0, child.stderr
    assert (project.root / "extract.calls").read_text() == "x"  # not recomputed
    (loaded,) = child.of_type("LOADED_INPUT", "double")
    assert loaded["data"]["manager_key"] == "pq"
    assert child.of_type("STEP_SUCCESS", "summarize")


def test_parallel_steps_share_the_duckdb_file_under_multiprocess(project):
    project.write(REPO)
    run = project.run("parallel", "--executor", "multiprocess", "--max-concurrent", "4")
    assert run.returncode == 0, run.stderr
    with duckdb.connect(str(project.home / "storage" / "orch.duckdb"), read_only=True) as con:
        counts = {n: con.execute(f'SELECT count(*) FROM main."part_{n}__result"').fetchone()[0]
                  for n in range(1, 5)}
    assert counts == {1: 1000, 2: 2000, 3: 3000, 4: 4000}
    assert len(run.of_type("STEP_SUCCESS")) == 5


@pytest.mark.parametrize("key", ["pq"])
def test_a_value_that_is_not_a_table_fails_its_step_naming_it(project, key):
    project.write(REPO)
    run = project.run("wrong_value")
    assert run.returncode == 1
    (failure,) = run.of_type("STEP_FAILURE", "not_a_frame")
    message = failure["data"]["error"]["message"]
    assert 'Output "result" of step "not_a_frame" is a builtins.dict' in message
    assert "parquet_io_manager stores pandas DataFrames and pyarrow Tables" in message


def test_a_database_file_still_being_created_is_waited_for_an_old_bad_one_is_not(tmp_path):
    """A parallel step's first connection creates the file before its header is written; a
    step opening it meanwhile found "not a valid DuckDB database file" and failed (seen in CI
    under multiprocess). It now waits for it, as for a lock; a file that is old is an error."""
    import os
    import threading

    from orch.integrations.duckdb.io_manager import NEW_FILE_SECONDS, connect

    database = tmp_path / "orch.duckdb"
    database.write_bytes(b"")  # created, no header yet
    made = tmp_path / "made.duckdb"
    duckdb.connect(str(made)).close()

    def finish_creating() -> None:
        time.sleep(0.3)
        os.replace(made, database)

    threading.Thread(target=finish_creating).start()
    with connect(database, lock_timeout=10) as con:
        assert con.execute("SELECT 42").fetchone() == (42,)

    old = tmp_path / "old.duckdb"
    old.write_bytes(b"not a database" * 100)
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    started = time.monotonic()
    with pytest.raises(duckdb.IOException, match="not a valid DuckDB database file"):
        with connect(old, lock_timeout=10):
            pass
    assert time.monotonic() - started < NEW_FILE_SECONDS
