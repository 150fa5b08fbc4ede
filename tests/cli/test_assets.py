"""``orch assets`` as a user runs it: real runs of a pipeline that materializes assets, then
the catalog from the command line (subprocesses, an instance on disk)."""

from __future__ import annotations

import json
import sqlite3

from .conftest import instance_at, runs

ASSETS = '''
from orch import AssetMaterialization, EventMetadataEntry, Output, pipeline, solid


@solid(config_schema={"rows": int})
def raw(context):
    rows = context.solid_config["rows"]
    yield AssetMaterialization(asset_key=["warehouse", "raw"], description="raw orders",
                               metadata_entries=[EventMetadataEntry.int(rows, "rows"),
                                                 EventMetadataEntry.path("/data/raw.csv", "path")])
    yield Output(rows)


@solid
def clean(context, rows):
    return rows - 10  # materializes nothing: lineage walks through it


@solid
def report(context, rows):
    yield AssetMaterialization(asset_key=["reports", "daily"], partition="2026-12-01",
                               metadata_entries=[EventMetadataEntry.int(rows, "rows")])
    yield Output(rows)


@pipeline
def orders():
    report(clean(raw()))
'''


def _materialize(orch, tmp_path, *rows: int):
    repo = tmp_path / "assets.py"
    repo.write_text(ASSETS)
    for n in rows:
        config = tmp_path / f"rows_{n}.yaml"
        config.write_text(f"solids: {{raw: {{config: {{rows: {n}}}}}}}\n")
        result = orch("run", "-f", str(repo), "-p", "orders", "-c", str(config))
        assert result.returncode == 0, result.stderr


def test_list_show_lineage_and_history(orch, home, tmp_path):
    _materialize(orch, tmp_path, 100, 200, 300)
    listed = orch("assets", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["asset", "count", "last", "materialized", "run"]
    assert [line.split()[:2] for line in lines[1:]] == [["reports/daily", "3"],
                                                        ["warehouse/raw", "3"]]
    assert orch("assets", "list", "--prefix", "warehouse").stdout.count("\n") == 2
    shown = orch("assets", "show", "reports/daily", "--limit", "2")
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert "Asset reports/daily: 3 materializations" in out
    assert "Produced by: report (orders)" in out
    assert "Upstream: warehouse/raw" in out  # through clean, which materialized nothing
    assert "Downstream: -" in out
    history = out.split("History:\n")[1].splitlines()
    assert "partition 2026-12-01  rows=290" in history[0]  # newest first
    assert "rows=190" in history[1] and history[2] == "  … 1 older (--limit)"
    raw = json.loads(orch("assets", "show", '["warehouse", "raw"]', "--json").stdout)
    assert raw["downstream"] == [["reports", "daily"]]
    assert [m["metadata"][0]["value"] for m in raw["history"]] == [300, 200, 100]


def test_unknown_key_and_wipe_need_care(orch, home, tmp_path):
    _materialize(orch, tmp_path, 100)
    missing = orch("assets", "show", "report/daly")
    assert missing.returncode == 2
    assert "No asset report/daly in the instance. Did you mean reports/daily?" in missing.stderr
    refused = orch("assets", "wipe", "warehouse/raw")  # no terminal: --yes is needed
    assert refused.returncode == 2 and "pass --yes" in refused.stderr
    bad = orch("assets", "wipe", "warehouse/raw", "nope", "--yes")
    assert bad.returncode == 2 and "No asset nope" in bad.stderr
    assert "warehouse/raw" in orch("assets", "list").stdout  # nothing wiped
    wiped = orch("assets", "wipe", "warehouse/raw", "--yes")
    assert wiped.returncode == 0
    assert wiped.stdout.strip() == "Wiped asset warehouse/raw (1 materializations)."
    assert "warehouse/raw" not in orch("assets", "list").stdout
    # The run's events are kept.
    with instance_at(home) as instance:
        [run] = instance.get_runs()
        kinds = [e.event_type_value for e in instance.get_logs_for_run(run.run_id)]
    assert kinds.count("ASSET_MATERIALIZATION") == 2


def test_deleting_a_run_takes_its_materializations_out_of_the_history(orch, home, tmp_path):
    _materialize(orch, tmp_path, 100, 200)
    newest = runs(home)[-1].run_id
    assert orch("runs", "delete", newest, "--force").returncode == 0
    shown = orch("assets", "show", "warehouse/raw").stdout
    assert "1 materialization," in shown and newest[:8] not in shown


def test_an_instance_from_before_the_asset_index_is_migrated_with_its_history(
        orch, home, tmp_path):
    _materialize(orch, tmp_path, 100, 200)
    db = sqlite3.connect(home / "orch.db")  # as schema 3 left it: no index table
    with db:
        db.execute("DROP TABLE asset_materializations")
        db.execute("DELETE FROM schema_version WHERE version = 4")
    db.close()
    shown = orch("assets", "show", "warehouse/raw")
    assert shown.returncode == 0, shown.stderr
    assert "2 materializations" in shown.stdout
    assert len(shown.stdout.split("History:\n")[1].splitlines()) == 2
