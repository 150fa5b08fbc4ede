"""Each case under cases/ run under orch must match the golden recorded from Dagster 0.15.10
(``python -m tests.conformance record --python ORACLE_PYTHON``), except where
differences.py lists a deliberate difference."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from .compare import GOLDENS_DIR, case_paths, load_golden, unexplained_differences
from .differences import DIFFERENCES
from .runner import run_case

CASES = case_paths()


@cache
def _outcome(case: Path) -> tuple[tuple[str, ...], frozenset[str]]:
    used: set[str] = set()
    problems = unexplained_differences(case.stem, load_golden(case.stem),
                                       run_case(case, "orch"), used)
    return tuple(problems), frozenset(used)


def test_corpus_size_and_goldens():
    assert len(CASES) >= 1
    missing = [c.stem for c in CASES if not (GOLDENS_DIR / f"{c.stem}.json").exists()]
    assert not missing, f"cases without a golden (record them with the oracle): {missing}"
    stale = {p.stem for p in GOLDENS_DIR.glob("*.json")} - {c.stem for c in CASES}
    assert not stale, f"goldens without a case: {sorted(stale)}"


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_case_matches_oracle(case: Path):
    problems, _ = _outcome(case)
    assert not problems, "orch differs from Dagster 0.15.10:\n" + "\n".join(problems)


def test_every_listed_difference_is_still_a_difference():
    used: set[str] = set()
    for case in CASES:
        used |= _outcome(case)[1]
    unused = [d.name for d in DIFFERENCES if d.name not in used]
    assert not unused, f"differences.py lists differences no case shows: {unused}"
