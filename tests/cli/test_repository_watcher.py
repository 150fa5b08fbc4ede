"""The repository watcher: one debounced callback per save, whatever the writer's timing."""

from __future__ import annotations

import threading
import time

from orch.core.watch import RepositoryWatcher


def _collect(root):
    seen: list[set[str]] = []
    arrived = threading.Event()

    def on_change(paths: set[str]) -> None:
        seen.append(paths)
        arrived.set()

    return RepositoryWatcher(str(root), on_change, debounce=0.1), seen, arrived


def test_a_save_whose_close_comes_late_is_one_change(tmp_path):
    target = tmp_path / "pipe.py"
    target.write_text("x = 1\n")
    watcher, seen, arrived = _collect(tmp_path)
    with watcher:
        time.sleep(0.2)
        with open(target, "w") as f:  # the writer is descheduled between write and close
            f.write("x = 2\n")
            f.flush()
            time.sleep(0.4)
        assert arrived.wait(5)
        time.sleep(0.5)
    assert seen == [{str(target)}]


def test_ignored_paths_do_not_count(tmp_path):
    (tmp_path / ".orch").mkdir()
    (tmp_path / "__pycache__").mkdir()
    watcher, seen, arrived = _collect(tmp_path)
    with watcher:
        time.sleep(0.2)
        (tmp_path / ".orch" / "x.py").write_text("")
        (tmp_path / "__pycache__" / "m.py").write_text("")
        (tmp_path / ".pipe.py.swp").write_text("")
        (tmp_path / "notes.txt").write_text("")
        (tmp_path / "pipe.py").write_text("y = 1\n")
        assert arrived.wait(5)
        time.sleep(0.3)
    assert seen == [{str(tmp_path / "pipe.py")}]
