"""The `orch` command line. Headless: nothing here may import Textual at module level.

Each command group lives in its own module under ``orch/commands`` and is registered below.
"""

from __future__ import annotations

import typer

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


def _register() -> None:
    from .commands import register_all

    register_all(app)


_register()


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
