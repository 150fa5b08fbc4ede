"""CLI command groups. Each module exposes ``register(app)``; add new ones to ``_MODULES``."""

from __future__ import annotations

import importlib

import typer

_MODULES: tuple[str, ...] = ("runs", "instance", "dev", "run", "pipeline", "plan", "config",
                             "queue", "schedule", "sensor", "backfill", "daemon", "assets")


def register_all(app: typer.Typer) -> None:
    for name in _MODULES:
        importlib.import_module(f"{__name__}.{name}").register(app)
