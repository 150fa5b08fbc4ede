"""The `orch` command line. Headless: nothing here may import Textual at module level.

Each command group lives in its own module under ``orch/commands`` and is registered below.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any


def _bytecode_cache() -> None:
    """Compile orch (and the user's code) once, not on every command.

    An editable install has no bytecode, and with ``PYTHONDONTWRITEBYTECODE`` set (to keep
    ``__pycache__`` out of source trees) every ``orch`` command compiled all of orch again:
    0.2-0.4 s of a one-solid ``orch run``. The CLI keeps bytecode in a cache directory of its
    own instead — ``$XDG_CACHE_HOME/orch/pycache`` (``~/.cache/...``), nothing beside the
    sources. A ``PYTHONPYCACHEPREFIX`` the user set wins; ``ORCH_NO_BYTECODE_CACHE=1`` turns
    this off."""
    if not sys.dont_write_bytecode or sys.pycache_prefix is not None \
            or os.environ.get("ORCH_NO_BYTECODE_CACHE"):
        return
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    cache = os.path.join(base, "orch", "pycache")
    try:
        os.makedirs(cache, mode=0o700, exist_ok=True)
    except OSError:
        return
    sys.pycache_prefix = cache
    sys.dont_write_bytecode = False


_bytecode_cache()


def _start_dev_zygote() -> None:
    """``orch dev``: its code servers' zygote starts now, before typer and the rest of the
    CLI are imported, and imports orch and the project's libraries meanwhile (the first DAG
    waits for it; see orch/core/zygote_start.py)."""
    args = sys.argv[1:]
    if args[:1] == ["dev"] and os.path.basename(sys.argv[0]) == "orch" \
            and not {"--help", "-h", "--web"} & set(args):
        from orch.core.zygote_start import start_early

        start_early()


_start_dev_zygote()

import typer  # noqa: E402  (after the bytecode cache is set up: it compiles what it imports)

app = typer.Typer(
    name="orch",
    help="orch: a local-first data orchestrator with a terminal workbench.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """orch: a local-first data orchestrator with a terminal workbench."""


@app.command("version")
def version() -> None:
    """Print orch's version."""
    from importlib.metadata import version as dist_version

    typer.echo(f"orch {dist_version('orch')}")


def _flags_without_type_labels() -> None:
    """typer labels every option with its type in --help, flags too (``--json <bool>``); a
    flag takes no value, so it gets no label."""
    from typer.core import TyperOption

    labelled = getattr(TyperOption, "display_type_rich", None)
    if labelled is None:
        return

    def display_type_rich(self: TyperOption, ctx: typer.Context) -> str | None:
        return None if self.is_flag else labelled(self, ctx)

    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_INTS = (int, int | None)
_PLAIN_INT = re.compile(r"[+-]?[0-9]+")


def _lazy_typer_coercion() -> None:
    """Typer (0.2x) builds a pydantic TypeAdapter for every parameter of the invoked command,
    given or not — importing pydantic and building ~20 adapters is 0.1-0.3 s of every ``orch
    run``. Here a parameter's adapter is built only for a value that needs converting: a
    missing value, a string for a ``str`` option, strings for a ``list[str]`` one, a plain
    decimal integer for an ``int`` one (``--max-concurrent 2``: pydantic would add ~4.6 MB to
    the run worker, and so to every step process's fork) or a value of the annotated type pass
    as Typer would pass them; anything else (``--max-concurrent many``) goes to Typer's own
    coercion, errors and all. Another Typer: untouched."""
    try:
        from typer import _coercion
        from typer import core as typer_core
    except ImportError:
        return
    runtime_base = getattr(_coercion, "RuntimeParam", None)
    build = getattr(_coercion, "build_runtime_param", None)
    parameter = getattr(typer_core, "_TyperParameter", None)
    if runtime_base is None or build is None or parameter is None \
            or not hasattr(parameter, "get_runtime_param"):
        return

    class LazyRuntimeParam(runtime_base):  # type: ignore[misc, valid-type]
        def __init__(self, descriptor: Any):  # Typer's runtime params are frozen dataclasses
            for name, value in (("descriptor", descriptor), ("annotation", descriptor.annotation),
                                ("parameter_info", descriptor.parameter_info), ("_real", None)):
                object.__setattr__(self, name, value)

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            annotation = self.annotation
            if annotation is str and isinstance(value, str):
                return value
            if annotation == list[str] and isinstance(value, list | tuple) \
                    and all(isinstance(v, str) for v in value):
                return list(value)
            if annotation in (int, float, bool) and type(value) is annotation:
                return value
            if annotation in _INTS and isinstance(value, str) and _PLAIN_INT.fullmatch(value):
                return int(value)  # what Typer makes of it (else its own error, below)
            if self._real is None:
                object.__setattr__(self, "_real", build(self.descriptor))
            return self._real._coerce_value(value, param=param, ctx=ctx)

    def get_runtime_param(self: Any) -> Any:
        if self._runtime_param is None:
            self._runtime_param = LazyRuntimeParam(self.type_descriptor)
        return self._runtime_param

    parameter.get_runtime_param = get_runtime_param


_lazy_typer_coercion()


def _is_console_script() -> bool:
    """Whether this process is the ``orch`` command (not tests, not ``python -m``)."""
    return os.path.basename(sys.argv[0] if sys.argv else "") == "orch"


def _register() -> None:
    """Every command group; for the ``orch`` console script itself, only the group its
    command line names (``commands.register_for``), so ``orch runs list`` does not import
    and build the other twelve. Imported any other way (tests, ``python -m orch.cli``), all."""
    from .commands import register_all, register_for

    if _is_console_script():
        register_for(app, sys.argv)
    else:
        register_all(app)


_flags_without_type_labels()
_register()


def main() -> None:
    """Console-script entry point. Storage that cannot be written (a full disk, a read-only
    file) or a truncated database is one clear line and exit 2, never a traceback. The
    process then ends without the interpreter's teardown (:func:`_exit`)."""
    from orch.core.storage.sqlite_base import OrchEmptyDatabaseError, OrchStorageUnavailableError

    try:
        try:
            app()
        except (OrchStorageUnavailableError, OrchEmptyDatabaseError) as e:
            sys.stderr.write(f"orch: error: {e}\n")
            sys.exit(2)
    except SystemExit as e:
        _exit(e.code)
    _exit(0)


def _exit(code: Any) -> None:
    """End the process as ``sys.exit(code)`` would, but without the interpreter's teardown
    when nothing can need it. Freeing every module and object (and the C libraries' own exit
    handlers) took ~40 ms of an ``orch runs list`` on PostgreSQL — psycopg's alone 33 ms —
    and ~10 ms of any command, after its output was complete. What a command leaves for the
    end still happens: every ``atexit`` handler runs (logging's flush, event writers' close,
    ``weakref.finalize`` callbacks such as temporary directories' removal), then standard
    output and error are flushed. With a non-daemon thread still running (Python would wait
    for it), or inside another program (``main()`` called from Python, not as the ``orch``
    command), it is a plain ``sys.exit``."""
    import threading

    main_thread = threading.main_thread()
    if not _is_console_script() or any(
            t is not main_thread and not t.daemon for t in threading.enumerate()):
        sys.exit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        sys.stderr.write(f"{code}\n")
        status = 1
    import atexit

    atexit._run_exitfuncs()
    # Also the original streams, when a command (or code it imported) left sys.stdout
    # replaced: what waits in their buffers would be lost to os._exit.
    for stream in {id(s): s for s in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__)
                   if s is not None}.values():
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (``orch runs list | head``)
            status = status or 120  # what Python exits with when it cannot flush stdout
    os._exit(status)



if __name__ == "__main__":
    main()
