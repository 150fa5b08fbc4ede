"""`orch pipeline list|print|graph|snapshot`, `orch plan`, `orch config scaffold`,
`orch launch`, and the CLI never importing Textual."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

from .conftest import SAMPLE, runs, wait_for


def test_pipeline_list_print_graph(orch, repo):
    listed = orch("pipeline", "list", "-f", str(SAMPLE))
    assert listed.returncode == 0, listed.stderr
    assert "Pipeline: sales_report  (repository sample_repo)" in listed.stdout
    assert ("Solids (execution order): load_orders, clean_orders, report_rejected, summarize, "
            "write_report") in listed.stdout

    printed = orch("pipeline", "print", "-f", str(SAMPLE), "-p", "sales_report", "--verbose")
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.splitlines()
    assert lines.index("    load_orders") < lines.index("    clean_orders") < \
        lines.index("    write_report")
    assert "        input  rows: List[Any] ← load_orders.result" in lines
    assert "        output rejected: List[Any] (optional)" in lines

    graph = orch("pipeline", "graph", "-f", str(repo), "-p", "etl")
    assert graph.returncode == 0, graph.stderr
    assert "layer 1" in graph.stdout and "extract.result (x)" in graph.stdout

    dot = orch("pipeline", "graph", "-f", str(repo), "-p", "etl", "--dot")
    assert dot.stdout.startswith('digraph "etl" {')
    assert '"extract" -> "transform" [label="x"];' in dot.stdout


def test_plan_and_config_scaffold(orch):
    plan = orch("plan", "-f", str(SAMPLE), "-p", "sales_report")
    assert plan.returncode == 0, plan.stderr
    lines = plan.stdout.splitlines()
    assert lines[0] == "Execution plan for sales_report (mode default, 6 steps):"
    assert lines[1].split() == ["1.", "load_orders"]
    assert lines[2].split() == ["2.", "clean_orders", "←", "load_orders"]
    assert lines[-3].split() == ["6.", "write_report", "←", "summarize.top_customer,",
                                 "summarize.totals_by_region"]

    subset = orch("plan", "-f", str(SAMPLE), "-p", "sales_report", "-s", "load_orders+")
    assert subset.returncode == 0, subset.stderr
    assert "2 steps" in subset.stdout and "write_report" not in subset.stdout

    as_json = orch("plan", "-f", str(SAMPLE), "-p", "regional_revenue", "--json")
    keys = [s["key"] for s in json.loads(as_json.stdout)["steps"]]
    assert keys == ["load_orders", "split_by_region", "region_revenue[?]", "revenue_summary"]

    scaffold = orch("config", "scaffold", "-f", str(SAMPLE), "-p", "sales_report")
    assert scaffold.returncode == 0, scaffold.stderr
    import yaml

    config = yaml.safe_load(scaffold.stdout)
    assert config["solids"]["write_report"]["config"]["out_dir"] == "reports"
    required = orch("config", "scaffold", "-f", str(SAMPLE), "-p", "sales_report",
                    "--required-only")
    assert required.returncode == 0 and "out_dir" not in required.stdout
    bad_mode = orch("config", "scaffold", "-f", str(SAMPLE), "-p", "hello", "--mode", "x")
    assert bad_mode.returncode == 2 and "Available modes" in bad_mode.stderr


def test_launch_returns_at_once_with_the_run_id(orch, home, repo):
    done = orch("launch", "-f", str(repo), "-p", "etl")
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip()
    [run] = runs(home)
    assert run.run_id == run_id
    wait_for(lambda: runs(home)[0].status.value == "SUCCESS", timeout=20)


def test_snapshot_command_reports_import_errors(orch, tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("from orch import pipeline\nraise RuntimeError('no luck')\n")
    done = orch("pipeline", "snapshot", "-f", str(broken))
    assert done.returncode == 2
    assert "RuntimeError: no luck" in done.stderr and 'broken.py", line 2' in done.stderr
    ok = orch("pipeline", "snapshot", "-f", str(SAMPLE))
    assert json.loads(ok.stdout)["pipelines"]["hello"]["solids"][0]["name"] == "say_hello"


WRAPPER = """
import sys
from orch.cli import app
for argv in {commands!r}:
    try:
        app(argv, prog_name="orch")
    except SystemExit as e:
        assert e.code in (0, None), (argv, e.code)
loaded = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print("TEXTUAL:", loaded)
"""


def test_cli_commands_never_import_textual(env, tmp_path, repo):
    commands = [["--help"], ["run", "-f", str(repo), "-p", "etl", "--json", "-q"],
                ["pipeline", "list", "-f", str(repo)],
                ["plan", "-f", str(repo), "-p", "etl"]]
    done = subprocess.run([sys.executable, "-c", WRAPPER.format(commands=commands)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "TEXTUAL: []" in done.stdout


TWO_MODES = '''
from orch import ModeDefinition, PresetDefinition, pipeline, solid


@solid
def one(context) -> int:
    return 1


@pipeline(mode_defs=[ModeDefinition("live"), ModeDefinition("test")],
          preset_defs=[PresetDefinition("dev", mode="test")])
def two_modes():
    one()
'''


def test_a_pipeline_with_several_modes_asks_for_one_in_words_that_fit(orch, tmp_path):
    (tmp_path / "modes.py").write_text(TWO_MODES)
    for command in (["config", "scaffold"], ["plan"], ["run"], ["launch"]):
        done = orch(*command, "-f", "modes.py")
        assert done.returncode == 2, (command, done.stderr)
        assert "attempted to execute" not in done.stderr
        assert 'Pipeline "two_modes" has several modes (live, test): choose one with --mode, ' \
            "e.g. --mode live" in done.stderr
    assert "--preset dev" in orch("plan", "-f", "modes.py").stderr
    watching = orch.popen("run", "--watch", "-f", "modes.py")
    try:
        line = ""
        while "several modes" not in line:
            line = watching.stderr.readline()
            assert line, "orch run --watch ended without asking for a mode"
        assert "attempted" not in line and "--mode live, or a preset: --preset dev" in line
    finally:
        watching.send_signal(signal.SIGINT)
        watching.communicate(timeout=15)
    assert orch("config", "scaffold", "-f", "modes.py", "--mode", "test").returncode == 0
    assert orch("plan", "-f", "modes.py", "--preset", "dev").returncode == 0


def test_help_shows_no_type_label_on_flags_and_no_stray_markup(orch):
    for command in ([], ["run"], ["launch"], ["plan"], ["runs", "logs"], ["runs", "show"],
                    ["instance", "info"], ["config", "scaffold"]):
        shown = orch(*command, "--help", env={"COLUMNS": "200"})
        assert shown.returncode == 0, shown.stderr
        assert "<bool>" not in shown.stdout, command
        assert "``" not in shown.stdout and "`" not in shown.stdout, command
    run_help = orch("run", "--help", env={"COLUMNS": "200"}).stdout
    assert "--json" in run_help and "<str>" in run_help  # options that take a value keep it
