"""The attacks of ``python -m benchmarks reliability``, small and seeded: a kill sweep of 10
runs (SIGKILL to orch run, its worker or a step process at points a seeded RNG picks),
concurrent runs with a reader, and fuzzed run configs. Every figure must be zero."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout's benchmarks/

from benchmarks.attacks import concurrent_runs, fuzz_configs, kill_sweep


def _clean(figures) -> None:
    assert figures.failures() == 0, figures.table()


def test_a_seeded_kill_sweep_leaves_every_run_terminal_and_nothing_lost(tmp_path):
    figures = kill_sweep(tmp_path, runs=10, seed=20261201)
    assert figures.runs_tried == 10 and figures.kills_delivered >= 7, figures.table()
    _clean(figures)


def test_concurrent_runs_with_a_reader(tmp_path):
    figures = concurrent_runs(tmp_path, 4)
    _clean(figures)


def test_fuzzed_run_configs_only_ever_give_config_errors():
    _clean(fuzz_configs(200))
