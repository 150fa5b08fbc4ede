"""Storage: where runs, events, snapshots, asset keys and compute logs are kept.

``base.py`` (the ``Storage`` interface and its records), ``sqlite.py`` (``SqliteStorage``, built
from ``sqlite_base.py``, ``schema.py``, ``runs.py`` and ``event_log.py``), ``event_writer.py``
(batched writes of one run), ``tail.py`` (reading new events by cursor), ``compute_logs.py``
(stdout/stderr capture), ``recovery.py`` (runs whose worker died). ``orch.core.instance`` puts
them together. Nothing is imported here, so importing one module stays cheap.
"""
