"""Ids that become paths, and paths that must stay inside the instance.

A run id, a step key (with its mapping key), an output name or an asset key part ends up as a
component of a path under ``ORCH_HOME`` (``logs/<run_id>/<step_key>.out``,
``storage/<run_id>/<step_key>/<output>``). :func:`check_path_component` is the check at the
boundary — where a run id or key is accepted — and :func:`contained` is the last line of
defence before anything is written or deleted: the joined path, resolved, must lie under its
root.

Files and directories orch creates are private to their owner (:data:`DIR_MODE`,
:data:`FILE_MODE`): runs hold config, data and tracebacks.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from ..errors import DagsterInvariantViolationError

_P = TypeVar("_P", str, Path)

DIR_MODE = 0o700
FILE_MODE = 0o600

# Letters, digits, `_ . - [ ]` (step keys are `solid.inner[mapping_key]`); not `.`/`..`.
_COMPONENT = re.compile(r"^[A-Za-z0-9_\-\[\]][A-Za-z0-9_.\-\[\]]{0,199}$")


class OrchInvalidIdError(DagsterInvariantViolationError, ValueError):
    """An id that would become a path holds something a path component must not."""


class OrchPathEscapeError(DagsterInvariantViolationError):
    """A path built under an instance directory would land outside it."""


def check_path_component(value: object, what: str) -> str:
    """``value`` if it is safe as one path component; else :class:`OrchInvalidIdError`.

    Safe: 1-200 letters, digits, ``_ - . [ ]``, not starting with ``.``. So no ``/``, no
    ``..``, no absolute path, no NUL, nothing hidden.
    """
    if not isinstance(value, str) or not _COMPONENT.match(value):
        raise OrchInvalidIdError(
            f"Invalid {what} {value!r}: it becomes a file name under ORCH_HOME, so it may only "
            "contain letters, digits, '_', '-', '.', '[' and ']' (1-200 characters, not "
            "starting with '.')."
        )
    return value


def check_run_id(run_id: object) -> str:
    return check_path_component(run_id, "run id")


_resolved_roots: dict[str, Path] = {}


def resolved_root(root: str | os.PathLike[str]) -> Path:
    """``root`` resolved; absolute roots (the instance's directories) once per process (a
    process that forks step processes resolves them first, so they inherit it)."""
    key = os.fspath(root)
    if not os.path.isabs(key):
        return Path(key).resolve()
    base = _resolved_roots.get(key)
    if base is None:
        base = _resolved_roots[key] = Path(key).resolve()
    return base


# Directories under a resolved root already seen to be real directories (not symlinks) by
# this process: a run's log and storage directories are checked once, not once per file.
# Only the owner can replace one with a symlink (orch creates them private, DIR_MODE).
_plain_dirs: set[str] = set()


def _plainly_under(base: str, parts: tuple[str, ...]) -> str | None:
    """``base/parts...`` when no part is empty, ``.`` or ``..`` and no component under the
    (resolved) base is a symlink: then it is its own resolution. Else None."""
    path = base
    for part in parts:
        for name in part.split(os.sep):
            if name in ("", ".", ".."):
                return None
            path = f"{path}{os.sep}{name}"
            if path in _plain_dirs:
                continue
            try:
                mode = os.lstat(path).st_mode
            except (FileNotFoundError, NotADirectoryError):
                continue
            if stat.S_ISLNK(mode):
                return None
            if stat.S_ISDIR(mode):
                _remember(_plain_dirs, path)
    return path


def contained(root: str | os.PathLike[str], *parts: str) -> Path:
    """``root/part/...``, refused with :class:`OrchPathEscapeError` unless it stays under
    ``root`` once symlinks and ``..`` are resolved.

    Called for every stored output and captured log (several times a step), so the common
    case is cheap: the root is resolved once, and a path with no ``..`` and no symlink under
    the root needs one ``lstat`` per part instead of a full resolution."""
    base = resolved_root(root)
    plain = _plainly_under(str(base), parts)
    if plain is not None:
        return Path(plain)
    path = base.joinpath(*parts).resolve()
    if path != base and not path.is_relative_to(base):
        raise OrchPathEscapeError(
            f"Refusing to use {Path(root).joinpath(*parts)}: it resolves to {path}, outside "
            f"{base}."
        )
    return path


# Open flags for a file named by :func:`contained_file`: a symlink in its place is refused by
# the open itself (ELOOP), with no gap between a check and the use.
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)

# (root, directory parts) -> the checked directory, for directories that exist and were all
# seen to be plain (see _plain_dirs): a step's files are named several times per step.
_file_dirs: dict[tuple[str, tuple[str, ...]], str] = {}


def contained_file(root: str | os.PathLike[str], *parts: str) -> str:
    """The file ``root/parts...`` as a string, for the per-step paths (stored outputs,
    compute logs). Its directories are checked as :func:`contained` checks them (an existing
    plain directory once per process); its last component is not: the caller opens it with
    :data:`NOFOLLOW` (and replaces it only by ``os.replace``, which never follows a link), so
    a symlink planted there is refused by the open itself."""
    *dirs, leaf = parts
    if os.sep in leaf or leaf in ("", ".", ".."):
        return os.fspath(contained(root, *parts))
    key = (os.fspath(root), tuple(dirs))
    directory = _file_dirs.get(key)
    if directory is None:
        base = str(resolved_root(root))
        plain = _plainly_under(base, key[1])
        directory = os.fspath(contained(root, *dirs)) if plain is None else plain
        if plain is not None and (plain == base or plain in _plain_dirs):
            if len(_file_dirs) >= _CACHE_LIMIT:
                _file_dirs.clear()
            _file_dirs[key] = directory
    return f"{directory}{os.sep}{leaf}"


def make_private_dir(path: _P) -> _P:
    """``mkdir -p`` with :data:`DIR_MODE` for every directory created (whatever the umask)."""
    key = os.fspath(path)
    if key in _made_dirs:
        return path
    try:  # the common case: the parent exists (a step's directory under its run's)
        os.mkdir(key, DIR_MODE)
    except FileExistsError:
        pass
    except FileNotFoundError:
        _make_private_dirs(Path(path))
    else:
        _chmod_private(key)
        _remember(_plain_dirs, key)  # made just now: a directory, not a link
    _remember(_made_dirs, key)
    return path


_made_dirs: set[str] = set()  # made (or found) by make_private_dir in this process
_CACHE_LIMIT = 100_000  # entries per cache before it starts over (a long-lived code server)


def _remember(cache: set[str], path: str) -> None:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache.add(path)


class DirectoriesAhead:
    """Makes directories (:func:`make_private_dir`) in a thread of its own, in the order
    given, ahead of the code that will write into them: a run's step directories while its
    first steps run. Creating a directory can cost far more than a step's own work on a slow
    disk (0.1-0.9 ms here: its inode and bitmap blocks are read, and it waits for the journal
    while SQLite syncs), and the thread spends that time off the interpreter lock.

    The writer still calls :func:`make_private_dir`, which returns at once for a directory
    made here and makes it itself when it gets there first. :meth:`close` stops the thread
    and removes the directories it made that no one :meth:`used` (and that are empty), so a
    run that ends early leaves no directories for the steps it never ran."""

    def __init__(self, paths: Sequence[str]) -> None:
        self._paths = list(paths)
        self._made: list[str] = []
        self._used: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._make, name="orch-dirs-ahead", daemon=True)
        self._thread.start()

    def _make(self) -> None:
        for path in self._paths:
            if self._stop.is_set() or path in _made_dirs:
                continue
            try:
                existed = os.path.isdir(path)
                make_private_dir(path)
            except OSError:  # the writer's own make_private_dir reports it
                continue
            if not existed:
                self._made.append(path)

    def used(self, path: str) -> None:
        """``path`` holds (or will hold) something: :meth:`close` keeps it."""
        self._used.add(path)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for path in reversed(self._made):  # a run's directory after its steps'
            if path not in self._used:
                try:
                    os.rmdir(path)  # refuses a directory that is not empty
                except OSError:
                    continue
                _made_dirs.discard(path)
                _plain_dirs.discard(path)


def remove_tree(path: str | os.PathLike[str]) -> None:
    """``rm -rf path``, and forget what the caches above knew under it (so a directory made
    again later is checked and created again)."""
    prefixes = {os.fspath(path), os.path.realpath(path)}
    shutil.rmtree(path, ignore_errors=True)
    _file_dirs.clear()
    for cache in (_plain_dirs, _made_dirs):
        for known in [p for p in cache
                      if any(p == x or p.startswith(x + os.sep) for x in prefixes)]:
            cache.discard(known)


def _chmod_private(path: str) -> None:
    try:
        os.chmod(path, DIR_MODE)
    except OSError:
        pass


def _make_private_dirs(path: Path) -> None:
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    for created in missing:
        _chmod_private(os.fspath(created))
