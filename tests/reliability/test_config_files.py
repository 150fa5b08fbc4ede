"""Defect 8: a `-c` file orch cannot use is one line naming the file and the problem, exit 2,
never a traceback (binary, UTF-16, 2000-deep nesting, a directory, broken YAML)."""

from __future__ import annotations

import pytest

from .conftest import runs


def _binary(path):
    path.write_bytes(bytes(range(256)))


def _utf16(path):
    path.write_bytes("solids: {}\n".encode("utf-16"))


def _deep(path):
    path.write_text("a: " + "[" * 2000 + "]" * 2000 + "\n")


def _directory(path):
    path.mkdir()


def _broken(path):
    path.write_text("solids:\n  a: [1, 2\n  b: 3\n")


@pytest.mark.parametrize(("make", "problem"), [
    (_binary, "is not UTF-8 text"),
    (_utf16, "is UTF-16 encoded; save it as UTF-8"),
    (_deep, "is nested too deeply"),
    (_directory, "is a directory, not a YAML file"),
    (_broken, "is not valid YAML at line 3"),
])
def test_an_unusable_config_file_is_one_line_and_exit_2(orch, repo, home, tmp_path, make,
                                                        problem):
    path = tmp_path / "run.yaml"
    make(path)
    result = orch("run", "-f", str(repo), "-p", "fast", "-c", str(path))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and problem in lines[0], lines
    assert not home.exists() or runs(home) == []
