"""``orch assets list [--prefix P] | show KEY | wipe KEY... [--yes]``: the asset catalog.

Keys are written ``a/b/c`` (or as a JSON list, ``'["a", "b"]'``)."""

from __future__ import annotations

import datetime
import json
from typing import TYPE_CHECKING

import typer

from ._common import confirm_delete, fail, open_instance

if TYPE_CHECKING:
    from orch.core.assets import AssetDetail

assets_app = typer.Typer(help="The assets runs materialized: list, history, lineage, wipe.",
                         no_args_is_help=True, add_completion=False)


def register(app: typer.Typer) -> None:
    app.add_typer(assets_app, name="assets")


def _when(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp).astimezone().isoformat(timespec="seconds")


def _path(text: str) -> list[str]:
    from orch.core.assets import parse_asset_key
    from orch.core.errors import DagsterError

    try:
        return parse_asset_key(text)
    except DagsterError as e:
        fail(str(e))


@assets_app.command("list")
def list_command(
    prefix: str | None = typer.Option(None, "--prefix", help="Only keys under this prefix "
                                      "(a/b)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per asset."),
) -> None:
    """Every asset key with its materialization count and latest materialization."""
    from orch.core.assets import key_text, list_assets

    with open_instance() as instance:
        summaries = list_assets(instance, _path(prefix) if prefix else None)
    if as_json:
        for s in summaries:
            typer.echo(json.dumps({"asset_key": s.asset_key, "materializations": s.count,
                                   "last_run_id": s.last_run_id,
                                   "last_timestamp": s.last_timestamp}))
        return
    if not summaries:
        typer.echo("No assets" + (f" under {prefix}." if prefix else " yet: a solid that "
                   "yields AssetMaterialization (or an IO manager that records one) adds "
                   "them."))
        return
    width = max(len(key_text(s.asset_key)) for s in summaries)
    typer.echo(f"{'asset':<{width}}  count  last materialized           run")
    for s in summaries:
        typer.echo(f"{key_text(s.asset_key):<{width}}  {s.count:>5}  {_when(s.last_timestamp)}"
                   f"  {s.last_run_id[:8]}")


@assets_app.command("show")
def show(
    key: str = typer.Argument(..., help="The asset key (a/b/c)."),
    limit: int = typer.Option(20, "--limit", help="How many materializations to list."),
    as_json: bool = typer.Option(False, "--json", help="The asset as one JSON object."),
) -> None:
    """An asset's history (newest first), its latest metadata and its lineage."""
    from orch.core.assets import AssetNotFound, asset_detail

    with open_instance() as instance:
        try:
            detail = asset_detail(instance, _path(key), limit=max(1, limit))
        except AssetNotFound as e:
            fail(str(e))
    if as_json:
        typer.echo(json.dumps(_as_dict(detail), indent=1, default=str))
        return
    _print(detail)


def _as_dict(detail: AssetDetail) -> dict[str, object]:
    return {"asset_key": detail.key, "materializations": detail.summary.count,
            "history": [m.__dict__ for m in detail.history],
            "producers": [list(p) for p in detail.lineage.producers],
            "upstream": detail.lineage.upstream, "downstream": detail.lineage.downstream}


def _print(detail: AssetDetail) -> None:
    from orch.core.assets import key_text

    s = detail.summary
    typer.echo(f"Asset {key_text(s.asset_key)}: {s.count} materialization"
               f"{'s' if s.count != 1 else ''}, the latest {_when(s.last_timestamp)} in run "
               f"{s.last_run_id}")
    lineage = detail.lineage
    typer.echo("Produced by: " + (", ".join(f"{solid} ({pipeline})"
                                           for pipeline, solid in lineage.producers) or "-"))
    typer.echo("Upstream: " + (", ".join(key_text(k) for k in lineage.upstream) or "-"))
    typer.echo("Downstream: " + (", ".join(key_text(k) for k in lineage.downstream) or "-"))
    latest = detail.history[0] if detail.history else None
    if latest is not None and latest.metadata:
        typer.echo("Latest metadata:")
        for entry in latest.metadata:
            typer.echo(f"  {entry.get('label')}: {_value(entry)}")
    typer.echo("History:")
    for m in detail.history:
        partition = f"  partition {m.partition}" if m.partition else ""
        numbers = "  " + ", ".join(f"{k}={v:g}" for k, v in m.numbers().items()) \
            if m.numbers() else ""
        typer.echo(f"  {_when(m.timestamp)}  run {m.run_id[:8]}  {m.step_key or '-'}"
                   f"{partition}{numbers}")
    if s.count > len(detail.history):
        typer.echo(f"  … {s.count - len(detail.history)} older (--limit)")


def _value(entry: dict[str, object]) -> str:
    value = entry.get("value")
    if isinstance(value, dict | list):
        text = json.dumps(value)
        return text if len(text) <= 100 else text[:99] + "…"
    return str(value)


@assets_app.command("wipe")
def wipe(
    keys: list[str] = typer.Argument(..., help="The asset keys (a/b/c) to forget."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Forget assets: their keys and history leave the catalog (the runs' events stay)."""
    from orch.core.assets import AssetNotFound, find_asset, key_text, wipe_assets

    paths = [_path(k) for k in keys]
    with open_instance() as instance:
        try:
            for path in paths:
                find_asset(instance, path)
        except AssetNotFound as e:
            fail(str(e))
        confirm_delete(f"This forgets {len(paths)} asset{'s' if len(paths) > 1 else ''} "
                       f"({', '.join(key_text(p) for p in paths)}).", yes)
        wiped = wipe_assets(instance, paths)
    for key, count in wiped.items():
        typer.echo(f"Wiped asset {key} ({count} materializations).")
