"""``python -m tests.conformance record --python ORACLE_PYTHON [CASE ...]``: run each case under
the oracle (Dagster 0.15.10, the import swapped to ``dagster``) and write its golden JSON;
``python -m tests.conformance diff [CASE ...]``: run the cases under orch and print every
difference from the goldens that ``differences.py`` does not list."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from .compare import CASES_DIR, GOLDENS_DIR, case_paths, unexplained_differences

RUNNER = Path(__file__).with_name("runner.py")


def oracle_version(python: str) -> str:
    out = subprocess.run([python, "-c", "import dagster; print(dagster.__version__)"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def record(python: str, names: list[str]) -> int:
    version = oracle_version(python)
    failed = 0
    for path in case_paths(names):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "runs.json"
            proc = subprocess.run([python, str(RUNNER), "--lib", "dagster", "--out", str(out),
                                   str(path)], capture_output=True, text=True, timeout=300)
            if proc.returncode != 0:
                failed += 1
                print(f"FAILED {path.stem}:\n{proc.stderr[-3000:]}", file=sys.stderr)
                continue
            runs = json.loads(out.read_text())
        golden = {"oracle": f"dagster {version}", "runs": runs}
        (GOLDENS_DIR / f"{path.stem}.json").write_text(
            json.dumps(golden, indent=1, sort_keys=True) + "\n")
        print(f"recorded {path.stem}: {', '.join(runs)}")
    return 1 if failed else 0


def diff(names: list[str]) -> int:
    from .runner import run_case

    bad = 0
    for path in case_paths(names):
        golden = json.loads((GOLDENS_DIR / f"{path.stem}.json").read_text())["runs"]
        problems = unexplained_differences(path.stem, golden, run_case(path, "orch"))
        status = "ok" if not problems else f"{len(problems)} differences"
        print(f"{path.stem}: {status}")
        for problem in problems:
            print(f"    {problem}")
        bad += bool(problems)
    print(f"{len(case_paths(names)) - bad} matching, {bad} differing")
    return 1 if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.conformance")
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="write goldens from the oracle")
    rec.add_argument("--python", required=True, help="the oracle virtualenv's python")
    rec.add_argument("cases", nargs="*", help=f"case names under {CASES_DIR} (default: all)")
    dif = sub.add_parser("diff", help="compare orch with the goldens")
    dif.add_argument("cases", nargs="*")
    args = parser.parse_args()
    if args.command == "record":
        return record(args.python, args.cases)
    return diff(args.cases)


if __name__ == "__main__":
    sys.exit(main())
