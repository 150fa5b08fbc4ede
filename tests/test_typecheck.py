"""The mypy ratchet of .ci/run, in the test suite too so every landing sees it: orch.core may
not gain errors beyond .ci/mypy-baseline; the public API modules and the README quickstart
have none. Runs on a real (non-editable) install, as a user's type checker sees orch."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is a dev extra")
def test_mypy_ratchet_public_api_and_quickstart(tmp_path: Path):
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-compile",
                    "--target", str(site), str(REPO)], check=True, capture_output=True)
    proc = subprocess.run([sys.executable, str(REPO / ".ci" / "typecheck.py"), str(site)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
