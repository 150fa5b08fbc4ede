"""``orch instance``: where the instance lives, what it holds, and schema migration."""

from __future__ import annotations

import typer

from ._common import (
    ModuleName,
    PythonFile,
    WorkingDirectory,
    open_instance,
    target_code_location,
)
from .runs import print_json

instance_app = typer.Typer(
    help="Inspect and maintain the instance (ORCH_HOME).",
    no_args_is_help=True,
    add_completion=False,
)


def register(app: typer.Typer) -> None:
    app.add_typer(instance_app, name="instance")


@instance_app.command("info")
def info(
    python_file: PythonFile = None,
    module_name: ModuleName = None,
    working_directory: WorkingDirectory = None,
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Show which instance is used and why, its configuration, storage and schema version.

    Without ORCH_HOME, the instance is the .orch folder of the project the code belongs to:
    the nearest folder holding .orch, pyproject.toml or .git, from the code location given
    here (-f/-m/-d) or the current directory up."""
    location = target_code_location(python_file, module_name, None, working_directory)
    with open_instance(location) as instance:
        facts = instance.info()
    if as_json:
        print_json(facts)
        return
    from rich.console import Console
    from rich.table import Table

    storage = facts["storage"]
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("Instance", facts["root_dir"])
    grid.add_row("Chosen because", facts["chosen_because"] or "-")
    grid.add_row("Config file", facts["config_file"] + ("" if facts["config"] else " (absent)"))
    grid.add_row("Storage", f"{storage['class']} at {storage.get('path', '-')}")
    grid.add_row("Schema version", str(storage.get("schema_version", "-")))
    if "size_bytes" in storage:
        grid.add_row("Size", f"{storage['size_bytes'] / 1e6:.1f} MB")
    for table, count in storage.get("rows", {}).items():
        grid.add_row(f"  {table}", f"{count:,}")
    grid.add_row(
        "Compute logs", f"{facts['compute_logs']['class']} in {facts['compute_logs']['logs_dir']}"
    )
    Console().print(grid)


@instance_app.command("migrate")
def migrate() -> None:
    """Bring the database schema up to date (orch also does this when it opens an older one)."""
    with open_instance() as instance:
        before, after = instance.migrate()
    if before is None:
        typer.echo(f"Created the database at schema version {after}.")
    elif before == after:
        typer.echo(f"The database is at schema version {after}; nothing to migrate.")
    else:
        typer.echo(f"Migrated the database from schema version {before} to {after}.")
