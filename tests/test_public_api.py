"""The public API as type checkers and editors see it: orch/__init__.py loads names lazily
(PEP 562) but also imports each one under ``if TYPE_CHECKING:``, so mypy and editors see the
real objects. These tests keep that block in step with ``_EXPORTS``/``__all__``, check every
name resolves to the object its module defines, and that ``import orch`` stays lazy."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import orch

INIT = Path(orch.__file__)


def _type_checking_imports() -> dict[str, tuple[str, str]]:
    tree = ast.parse(INIT.read_text())
    blocks = [n for n in tree.body if isinstance(n, ast.If)
              and isinstance(n.test, ast.Name) and n.test.id == "TYPE_CHECKING"]
    assert len(blocks) == 1, "orch/__init__.py needs exactly one `if TYPE_CHECKING:` block"
    found: dict[str, tuple[str, str]] = {}
    for node in blocks[0].body:
        assert isinstance(node, ast.ImportFrom) and node.module, ast.dump(node)
        for alias in node.names:
            public = alias.asname or alias.name
            assert public not in found, f"{public} imported twice"
            found[public] = (node.module, alias.name)
    return found


def test_type_checking_block_matches_exports():
    assert _type_checking_imports() == orch._EXPORTS


def test_all_is_every_export():
    assert sorted(orch.__all__) == sorted(orch._EXPORTS)


def test_every_export_is_its_modules_object():
    for name, (module, attribute) in orch._EXPORTS.items():
        assert getattr(orch, name) is getattr(importlib.import_module(module), attribute), name


def test_py_typed_ships_with_the_package():
    assert (INIT.parent / "py.typed").is_file()
    pyproject = (INIT.parent.parent / "pyproject.toml").read_text()
    assert 'orch = ["py.typed"]' in pyproject


def test_import_orch_stays_lazy():
    code = ("import sys, orch, orch.cli; "
            "print(sorted(m for m in sys.modules if m.startswith('orch.core.definitions')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
