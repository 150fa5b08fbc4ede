"""``orch runs diff A B`` as a user runs it: two real runs of a pipeline whose config, timing,
output metadata and code differ, compared from the command line."""

from __future__ import annotations

import json

from .conftest import runs

PIPELINE = '''
import time

from orch import AssetMaterialization, EventMetadataEntry, Output, pipeline, solid


@solid(config_schema={"rows": int, "pause": float})
def extract(context):
    time.sleep(context.solid_config["pause"])
    rows = context.solid_config["rows"]
    yield AssetMaterialization(asset_key="orders", metadata_entries=[
        EventMetadataEntry.int(rows, "rows")])
    yield Output(rows)


@solid
def publish(context, rows):
    return rows  # VERSION


@pipeline
def daily():
    publish(extract())


@solid
def ping(context):
    return 1


@pipeline
def other():
    ping()
'''


def _run(orch, tmp_path, rows: int, pause: float, version: str = "1") -> None:
    repo = tmp_path / "daily.py"
    repo.write_text(PIPELINE.replace("# VERSION", f"# version {version}"))
    config = tmp_path / "run.yaml"
    config.write_text(f"solids: {{extract: {{config: {{rows: {rows}, pause: {pause}}}}}}}\n")
    done = orch("run", "-f", str(repo), "-p", "daily", "-c", str(config))
    assert done.returncode == 0, done.stderr


def test_diff_shows_config_steps_metadata_and_code(orch, home, tmp_path):
    _run(orch, tmp_path, 100, 0.0)
    _run(orch, tmp_path, 250, 0.6, version="2")
    a, b = (r.run_id for r in runs(home))
    result = orch("runs", "diff", a[:8], b[:8])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"daily: A = {a[:8]} (SUCCESS), B = {b[:8]} (SUCCESS)" in out
    assert "Config: changed" in out
    assert "-      pause: 0.0" in out and "+      pause: 0.6" in out
    assert "-      rows: 100" in out and "+      rows: 250" in out
    assert "Code changed in: publish" in out  # extract's code is the same
    [extract] = [line for line in out.splitlines() if line.startswith("extract ")]
    assert extract.split()[-1] == "slower"
    assert "extract: orders / rows: 100 → 250" in out
    data = json.loads(orch("runs", "diff", a, b, "--json").stdout)
    assert [s["change"] for s in data["steps"] if s["step_key"] == "extract"] == ["slower"]
    assert data["changed_solids"] == ["publish"]
    same = orch("runs", "diff", a, a)
    assert "Config: the same" in same.stdout and "Code changed in: no solid" in same.stdout


def test_runs_of_two_pipelines_are_not_compared(orch, home, tmp_path):
    _run(orch, tmp_path, 1, 0.0)
    assert orch("run", "-f", str(tmp_path / "daily.py"), "-p", "other").returncode == 0
    a, b = (r.run_id for r in runs(home))
    refused = orch("runs", "diff", a, b)
    assert refused.returncode == 2
    assert f"runs {a[:8]} (daily) and {b[:8]} (other) are of different pipelines" in \
        refused.stderr
    missing = orch("runs", "diff", a, "nosuchrun")
    assert missing.returncode != 0 and "no run 'nosuchrun'" in missing.stderr
