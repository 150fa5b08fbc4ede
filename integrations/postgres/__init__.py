"""PostgreSQL storage for an instance that a team shares (``pip install 'orch[postgres]'``).

``orch.yaml``::

    storage:
      postgres:
        postgres_url: {env: ORCH_PG_URL}       # or postgres_db: {username, password, hostname,
                                               #   db_name, port, params}
        should_autocreate_tables: true         # create the tables in an empty database

``config.py`` reads that block (and dagster-postgres's legacy ``run_storage`` /
``event_log_storage`` / ``schedule_storage`` entries, see ``orch.core.instance``) without
importing the driver; ``database.py`` is the connection pool, the LISTEN/NOTIFY change
detection and the transaction rules; ``storage.py`` is :class:`PostgresStorage`, registered
under the ``orch.storage`` entry point as ``postgres``. Nothing here is imported by
``orch.core``.
"""
