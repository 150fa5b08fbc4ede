"""mypy in CI, run inside a real (non-editable) install of orch at SITE:

- ``orch.core`` as a ratchet: the error count may not rise above ``.ci/mypy-baseline``;
- the public API modules (everything ``orch/__init__.py`` exports from, plus ``orch.utils``
  and ``orch.core.test_utils``) and ``orch/__init__.py`` itself: 0 errors;
- the README quickstart, as a user's file importing ``orch``: 0 errors.

Usage: python3 .ci/typecheck.py SITE
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BASELINE = REPO / ".ci" / "mypy-baseline"
ERROR = re.compile(r"^(?P<path>[^:]+):\d+: error:")


def mypy(site: Path, *targets: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-m", "mypy", "--ignore-missing-imports",
                           "--no-error-summary", "--no-incremental", *targets],
                          cwd=site, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        sys.exit(f"mypy could not run:\n{proc.stdout}{proc.stderr}")
    return [line for line in proc.stdout.splitlines() if ERROR.match(line)]


def public_api_files() -> set[str]:
    tree = ast.parse((REPO / "orch" / "__init__.py").read_text())
    exports = next(ast.literal_eval(n.value) for n in tree.body
                   if isinstance(n, ast.AnnAssign) and getattr(n.target, "id", "") == "_EXPORTS")
    modules = {module for module, _ in exports.values()} | {"orch.utils", "orch.core.test_utils"}
    files = set()
    for module in modules:
        path = module.replace(".", "/")
        files |= {f"{path}.py", f"{path}/__init__.py"}
    return files | {"orch/__init__.py"}


def quickstart() -> str:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Quickstart", 1)[1]
    return section.split("```python", 1)[1].split("```", 1)[0]


def main() -> int:
    site = Path(sys.argv[1])
    failed = False
    core_errors = mypy(site, "-p", "orch.core", "-m", "orch", "-p", "orch.utils")
    baseline = int(BASELINE.read_text().split()[0])
    print(f"mypy orch.core: {len(core_errors)} errors (ratchet: at most {baseline})")
    if len(core_errors) > baseline:
        print("\n".join(core_errors))
        print(f"mypy errors rose from {baseline} to {len(core_errors)}: fix the new ones.")
        failed = True
    elif len(core_errors) < baseline:
        print(f"  fewer than the baseline: lower .ci/mypy-baseline to {len(core_errors)}")
    public = public_api_files()
    public_errors = [e for e in core_errors if ERROR.match(e)["path"] in public]
    print(f"mypy public API modules: {len(public_errors)} errors (must be 0)")
    if public_errors:
        print("\n".join(public_errors))
        failed = True
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "quickstart.py"
        script.write_text(quickstart())
        readme_errors = [e for e in mypy(site, str(script)) if e.startswith(str(script))]
    print(f"mypy README quickstart: {len(readme_errors)} errors (must be 0)")
    if readme_errors:
        print("\n".join(readme_errors))
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
