"""Storage: where runs, events, snapshots, asset keys and compute logs are kept.

``base.py`` (the ``Storage`` interface and its records), ``sql.py`` (``SqlStorage``, what the
SQL backends share, from ``runs.py``, ``event_log.py`` and ``sql_schedules.py``),
``sqlite.py`` (``SqliteStorage``, with ``sqlite_base.py`` and ``schema.py``; PostgreSQL is
``orch.integrations.postgres``, found by the ``orch.storage`` entry point), ``event_writer.py``
(batched writes of one run), ``tail.py`` (reading new events by cursor), ``compute_logs.py``
(stdout/stderr capture), ``recovery.py`` (runs whose worker died). ``orch.core.instance`` puts
them together. Nothing is imported here, so importing one module stays cheap.
"""
