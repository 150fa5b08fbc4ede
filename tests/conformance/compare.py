"""Compare orch's summary of a case with the oracle's golden, allowing only what
``differences.py`` lists."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

from .differences import DIFFERENCES, IGNORED_EVENT_TYPES, MISSING, Difference

CASES_DIR = Path(__file__).with_name("cases")
GOLDENS_DIR = Path(__file__).with_name("goldens")


def case_paths(names: list[str] | None = None) -> list[Path]:
    paths = sorted(p for p in CASES_DIR.glob("*.py") if not p.name.startswith("_"))
    if names:
        wanted = {Path(n).stem for n in names}
        paths = [p for p in paths if p.stem in wanted]
    return paths


def load_golden(case: str) -> dict[str, Any]:
    return json.loads((GOLDENS_DIR / f"{case}.json").read_text())["runs"]


def _is_leaf(value: Any) -> bool:
    if isinstance(value, dict):
        return not value or "__repr__" in value or "__error__" in value
    if isinstance(value, list):
        return all(not isinstance(v, dict | list) for v in value)
    return True


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": [..]}}`` -> ``{"a/b": [..]}``; keys starting with one ``_`` are notes, not
    compared (``__tuple__``, ``__set__``, ``__repr__`` ... are values, and are); event sequences drop the types differences.py does not compare."""
    if _is_leaf(value):
        parts = prefix.split("/")
        if isinstance(value, list) and (parts[-1] == "run_events" or parts[-2:-1] == ["steps"]):
            value = [v for v in value if v not in IGNORED_EVENT_TYPES]
        return {prefix: value}
    out: dict[str, Any] = {}
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        if isinstance(key, str) and key.startswith("_") and not key.startswith("__"):
            continue
        out.update(flatten(item, f"{prefix}/{key}" if prefix else str(key)))
    return out


def _explains(diff: Difference, case: str, path: str, golden: Any, actual: Any) -> bool:
    patterns = (diff.path,) if isinstance(diff.path, str) else diff.path
    if not fnmatch.fnmatchcase(case, diff.case) or \
            not any(fnmatch.fnmatchcase(path, p) for p in patterns):
        return False
    return diff.expect is None or diff.expect(golden) == actual


def unexplained_differences(case: str, golden: dict[str, Any], actual: dict[str, Any],
                            used: set[str] | None = None) -> list[str]:
    """Every leaf where orch differs from the oracle and no listed difference explains it."""
    flat_golden, flat_actual = flatten(golden), flatten(actual)
    problems = []
    for path in sorted(set(flat_golden) | set(flat_actual)):
        g, a = flat_golden.get(path, MISSING), flat_actual.get(path, MISSING)
        if g == a:
            continue
        explained = [d for d in DIFFERENCES if _explains(d, case, path, g, a)]
        if explained:
            if used is not None:
                used.update(d.name for d in explained)
            continue
        problems.append(f"{path}: oracle {json.dumps(g)} / orch {json.dumps(a)}")
    return problems
