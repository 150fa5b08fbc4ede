"""``orch instance``: where the instance lives, what it holds, schema migration, and copying
it into another storage (SQLite → PostgreSQL)."""

from __future__ import annotations

import typer

from ._common import (
    ModuleName,
    PythonFile,
    WorkingDirectory,
    fail,
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
    grid.add_row("Backend", f"{storage.get('kind', '-')} ({storage['class']})")
    grid.add_row("Location", str(storage.get("location", storage.get("path", "-"))))
    if "server_version" in storage:
        grid.add_row("Server", f"PostgreSQL {storage['server_version']}, change detection by "
                     f"{storage['change_detection']}")
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
    """Bring the database schema up to date. SQLite is also migrated whenever orch opens an
    older one; a shared PostgreSQL database only by this command."""
    with open_instance(migrating=True) as instance:
        before, after = instance.migrate()
    if before is None:
        typer.echo(f"Created the database at schema version {after}.")
    elif before == after:
        typer.echo(f"The database is at schema version {after}; nothing to migrate.")
    else:
        typer.echo(f"Migrated the database from schema version {before} to {after}.")


@instance_app.command("copy")
def copy(
    to: str = typer.Option(..., "--to", metavar="URL",
                           help="The target: a postgresql://user:password@host:port/db URL "
                                "of an empty database."),
) -> None:
    """Copy this instance's runs, events, snapshots, schedules, sensors, ticks and backfills
    into another storage, ids and all, and check the row counts. The instance itself is left
    as it is: point orch.yaml at the target afterwards."""
    from orch.core.errors import DagsterError
    from orch.core.secrets import mask_url
    from orch.core.storage.copy import TableCopy, copy_storage

    if not to.startswith(("postgresql://", "postgres://")):
        fail(f"--to must be a postgresql:// URL of an empty database, got {mask_url(to)!r}")
    try:
        from orch.integrations.postgres.storage import PostgresStorage
    except ImportError as e:
        fail(f"the PostgreSQL storage is not installed ({e}): pip install 'orch[postgres]'")
    with open_instance() as instance:
        facts = instance.storage.describe()
        source = facts.get("location") or facts["path"]
        try:
            target = PostgresStorage.from_url(to)
        except DagsterError as e:
            fail(str(e))

        def report(result: TableCopy) -> None:
            mark = "ok" if result.ok else "MISMATCH"
            typer.echo(f"  {result.table:<20} {result.source_rows:>10,} -> "
                       f"{result.target_rows:>10,}  {mark}")

        typer.echo(f"Copying {source} to {target.db.display}:")
        try:
            results = copy_storage(instance.storage, target, report)
        except DagsterError as e:
            fail(str(e))
        finally:
            target.close()
    if not all(r.ok for r in results):
        typer.echo("The row counts differ: the copy is incomplete.", err=True)
        raise typer.Exit(1)
    typer.echo(f"Copied {sum(r.source_rows for r in results):,} rows; the counts match. To use "
               "it, set in orch.yaml:\n  storage:\n    postgres:\n      postgres_url: "
               f"{target.db.display}   # or {{env: VAR}}")
