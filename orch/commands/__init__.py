"""CLI command groups. Each module exposes ``register(app)``; add new ones to ``_MODULES``."""

from __future__ import annotations

import importlib

import typer

_MODULES: tuple[str, ...] = ("runs", "instance", "dev", "run", "pipeline", "plan", "config",
                             "queue", "schedule", "sensor", "backfill", "daemon", "assets")


# Commands registered by a module of another name.
_MODULE_OF = {"launch": "run"}


def register_all(app: typer.Typer) -> None:
    for name in _MODULES:
        importlib.import_module(f"{__name__}.{name}").register(app)


def register_for(app: typer.Typer, argv: list[str]) -> None:
    """Only the command group ``argv`` names (``orch runs list``: the ``runs`` module), or all
    of them when it names none of them (``orch --help``, a typo, ``orch version``): importing
    the other modules and building their click commands is ~30-50 ms of every command."""
    name = argv[1] if len(argv) > 1 else ""
    module = _MODULE_OF.get(name, name)
    if module not in _MODULES:
        register_all(app)
        return
    importlib.import_module(f"{__name__}.{module}").register(app)
