"""Event factory shared by the storage tests."""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from orch.core.events import EventRecord, EventType
from orch.core.runs import PipelineRun


def event(
    run: PipelineRun | str,
    event_type: EventType | None,
    step_key: str | None = None,
    message: str = "",
    **kwargs: object,
) -> EventRecord:
    """An event of ``run`` (a run or a run id)."""
    run_id = run if isinstance(run, str) else run.run_id
    level = kwargs.pop("level", logging.DEBUG if event_type else logging.INFO)
    return EventRecord(
        run_id, "p", event_type, message or str(event_type), step_key, level, **kwargs
    )


def raw_query(home: Path, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
    """Run ``sql`` (``?`` placeholders) on the instance's database through a connection of
    its own — so it sees only what is committed — and commit; the rows it returned."""
    config = home / "orch.yaml"
    match = re.search(r"postgres_url: (\S+)", config.read_text()) if config.exists() else None
    if match is not None:
        import psycopg

        with psycopg.connect(match.group(1)) as pg:
            cur = pg.execute(sql.replace("?", "%s"), tuple(params))
            return cur.fetchall() if cur.description else []
    conn = sqlite3.connect(home / "orch.db")
    try:
        rows = conn.execute(sql, tuple(params)).fetchall()
        conn.commit()
        return rows
    finally:
        conn.close()
