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


def _register() -> None:
    from .commands import register_all

    register_all(app)


_flags_without_type_labels()
_register()


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
