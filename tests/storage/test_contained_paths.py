"""``contained``: the check before anything is written under the instance, on its fast path
(no ``..``, no symlink: one lstat per part) and its slow one (a full resolution)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from orch.core.storage.paths import OrchPathEscapeError, contained


def test_a_plain_path_is_itself(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    assert contained(root, "run-1", "step[a]", "result") == root / "run-1" / "step[a]" / "result"
    assert contained(root, "run-1/step", "out") == root / "run-1" / "step" / "out"


@pytest.mark.parametrize("parts", [("..", "x"), ("run", "..", "..", "x"), ("run/../../x",)])
def test_dot_dot_out_of_the_root_is_refused(tmp_path: Path, parts: tuple[str, ...]) -> None:
    with pytest.raises(OrchPathEscapeError):
        contained(tmp_path / "root", *parts)


def test_dot_dot_that_stays_inside_resolves(tmp_path: Path) -> None:
    root = (tmp_path / "root").resolve()
    assert contained(root, "a", "..", "b") == root / "b"


def test_a_symlink_at_any_depth_is_followed_and_refused_when_it_leaves(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "run" / "step").mkdir(parents=True)
    outside.mkdir()
    (root / "run" / "step" / "link").symlink_to(outside)
    (root / "top").symlink_to(outside)
    for parts in (("run", "step", "link", "x"), ("top", "x"), ("run/step/link", "x")):
        with pytest.raises(OrchPathEscapeError):
            contained(root, *parts)


def test_a_symlink_inside_the_root_is_resolved(tmp_path: Path) -> None:
    root = (tmp_path / "root").resolve()
    (root / "real").mkdir(parents=True)
    os.symlink(root / "real", root / "alias")
    assert contained(root, "alias", "x") == root / "real" / "x"
