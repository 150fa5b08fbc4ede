"""What only the PostgreSQL storage has, against a real server: its orch.yaml forms (and
dagster-postgres's legacy ones), a masked password, its schema rules (created on first use,
migrated only by `orch instance migrate`), `orch instance copy` from SQLite, event ids that
commit in order under concurrent writer processes, monotonic run status, and change
detection by LISTEN/NOTIFY with a polling fallback. The shared storage suite runs on both
backends (conftest.py); this file is the rest."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from orch.core.events import EventType
from orch.core.instance import Instance
from orch.core.runs import PipelineRun, PipelineRunStatus
from orch.core.storage.schedules import InstigatorState, InstigatorStatus, InstigatorType, Tick
from orch.core.storage.schedules import TickStatus as TS
from orch.core.storage.schema import MIGRATION_STATEMENTS, SCHEMA_VERSION

from tests.postgres_server import PostgresServer, free_port

from .factories import event

ORCH = str(Path(sys.executable).parent / "orch")


def orch(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([ORCH, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "ORCH_HOME": str(home), **(env or {})})


def write_yaml(home: Path, text: str) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    (home / "orch.yaml").write_text(textwrap.dedent(text))
    return home


def sql(url: str, statement: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(statement)
        return cur.fetchall() if cur.description else []


def parts(url: str) -> tuple[str, str]:
    """(port, database name) of a test server URL."""
    rest = url.rsplit(":", 1)[1]
    port, db = rest.split("/", 1)
    return port, db


# -- orch.yaml ------------------------------------------------------------------------------
def test_url_from_env_db_block_and_legacy_dagster_yaml_open_one_database(
        tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    port, db = parts(postgres_url)
    homes = {
        "url": write_yaml(tmp_path / "url", """
            storage:
              postgres:
                postgres_url: {env: TEST_PG_URL}
            """),
        "db": write_yaml(tmp_path / "db", f"""
            storage:
              postgres:
                postgres_db:
                  username: postgres
                  password: s3cret-pw
                  hostname: 127.0.0.1
                  db_name: {db}
                  port: {port}
                  params: {{application_name: orch-test}}
            """),
        "legacy": write_yaml(tmp_path / "legacy", "".join(f"""
            {key}:
              module: dagster_postgres.{module}
              class: {cls}
              config:
                postgres_url: {{env: TEST_PG_URL}}
            """ for key, module, cls in [
            ("run_storage", "run_storage", "PostgresRunStorage"),
            ("event_log_storage", "event_log", "PostgresEventLogStorage"),
            ("schedule_storage", "schedule_storage", "PostgresScheduleStorage")])),
    }
    env = {"TEST_PG_URL": postgres_url}
    monkeypatch.setenv("TEST_PG_URL", postgres_url)
    with Instance.from_home(homes["url"]) as inst:
        inst.create_run(PipelineRun("shared", run_id="shared-run"))
    for name, home in homes.items():
        done = orch(home, "runs", "list", "--json", env=env)
        assert done.returncode == 0, (name, done.stderr)
        assert "shared-run" in done.stdout, name
    info = orch(homes["db"], "instance", "info", env=env)
    assert info.returncode == 0, info.stderr
    assert "s3cret-pw" not in info.stdout and "postgres:***@127.0.0.1" in info.stdout
    assert re.search(r"Backend\s+postgres", info.stdout)
    assert re.search(rf"Schema version\s+{SCHEMA_VERSION}", info.stdout)
    as_json = orch(homes["db"], "instance", "info", "--json", env=env)
    assert "s3cret-pw" not in as_json.stdout and as_json.returncode == 0


@pytest.mark.parametrize(("yaml_text", "message"), [
    ("storage: {postgres: {}}\n", "exactly one of `postgres_url`"),
    ("storage: {postgres: {postgres_url: mysql://x/y}}\n", "must be a postgresql:// URL"),
    ("storage: {postgres: {postgres_db: {hostname: h}}}\n", "missing ['db_name', 'username']"),
    ("storage: {postgres: {postgres_url: 'postgresql://a@h/d', pool: 3}}\n",
     "unexpected ['pool']"),
    ("storage: {mongo: {}}\n", "choose one of: postgres, sqlite"),
    ("run_storage: {module: dagster_postgres, class: PostgresRunStorage, "
     "config: {postgres_url: 'postgresql://a@h/one'}}\n"
     "event_log_storage: {module: dagster_postgres, class: PostgresEventLogStorage, "
     "config: {postgres_url: 'postgresql://a@h/two'}}\n", "point at different databases"),
])
def test_bad_postgres_config_is_exit_2(tmp_path: Path, yaml_text: str, message: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "orch.yaml").write_text(yaml_text)
    done = orch(home, "runs", "list")
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_an_unreachable_server_is_one_line_naming_it_with_the_password_masked(
        tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    home = write_yaml(tmp_path / "home", f"""
        storage:
          postgres:
            postgres_url: postgresql://orch:hunter2@127.0.0.1:{port}/orch
        """)
    done = orch(home, "runs", "list")
    assert done.returncode == 2, done.stderr
    assert f"postgresql://orch:***@127.0.0.1:{port}/orch" in done.stderr
    assert "hunter2" not in done.stderr and "Traceback" not in done.stderr


# -- schema -----------------------------------------------------------------------------
def test_tables_created_on_first_use_unless_autocreate_is_off_then_by_migrate(
        tmp_path: Path, postgres_url: str) -> None:
    home = write_yaml(tmp_path / "home", f"""
        storage:
          postgres:
            postgres_url: {postgres_url}
            should_autocreate_tables: false
        """)
    done = orch(home, "runs", "list")
    assert done.returncode == 2 and "orch instance migrate" in done.stderr, done.stderr
    assert sql(postgres_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") \
        == [(0,)]
    done = orch(home, "instance", "migrate")
    assert done.returncode == 0 and f"Created the database at schema version {SCHEMA_VERSION}" \
        in done.stdout, done.stderr
    assert orch(home, "runs", "list").returncode == 0
    assert "nothing to migrate" in orch(home, "instance", "migrate").stdout


def test_an_older_schema_is_migrated_by_the_command_only(tmp_path: Path,
                                                         postgres_url: str) -> None:
    """A database an orch at schema version 3 made (with a materialization in it) is refused
    until `orch instance migrate`, which applies the newer versions and their backfills."""
    home = write_yaml(tmp_path / "home", f"storage: {{postgres: {{postgres_url: {postgres_url}}}}}\n")
    with Instance.from_home(home) as inst:
        run = inst.create_run(PipelineRun("p"))
        inst.handle_new_event(event(run, EventType.ASSET_MATERIALIZATION, "a",
                                    data={"asset_key": ["tbl"]}))
    newer = [re.search(r"CREATE TABLE (\w+)", st).group(1)
             for v in range(4, SCHEMA_VERSION + 1) for st in MIGRATION_STATEMENTS[v]
             if st.lstrip().startswith("CREATE TABLE")]
    for table in newer:
        sql(postgres_url, f"DROP TABLE {table}")
    sql(postgres_url, "DELETE FROM schema_version WHERE version > 3")
    done = orch(home, "runs", "list")
    assert done.returncode == 2, done.stderr
    assert "schema version 3" in done.stderr and "orch instance migrate" in done.stderr
    done = orch(home, "instance", "migrate")
    assert f"from schema version 3 to {SCHEMA_VERSION}" in done.stdout, done.stderr
    assert sql(postgres_url, "SELECT max(version) FROM schema_version") == [(SCHEMA_VERSION,)]
    with Instance.from_home(home) as inst:  # the asset index was filled from the events
        assert [e.run_id for e in inst.storage.get_asset_materializations(["tbl"])] == \
            [run.run_id]


def test_newer_and_foreign_databases_are_refused(tmp_path: Path,
                                                 postgres_server: PostgresServer) -> None:
    newer, foreign = postgres_server.create_database(), postgres_server.create_database()
    home = write_yaml(tmp_path / "newer", f"storage: {{postgres: {{postgres_url: {newer}}}}}\n")
    assert orch(home, "runs", "list").returncode == 0
    sql(newer, "INSERT INTO schema_version VALUES (999, 0)")
    done = orch(home, "runs", "list")
    assert done.returncode == 2 and "schema version 999" in done.stderr
    assert "upgrade orch" in done.stderr
    sql(foreign, "CREATE TABLE runs (id int)")
    home = write_yaml(tmp_path / "foreign", f"storage: {{postgres: {{postgres_url: {foreign}}}}}\n")
    done = orch(home, "runs", "list")
    assert done.returncode == 2 and "not an orch database" in done.stderr
    assert sql(foreign, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(1,)]


# -- orch instance copy ------------------------------------------------------------------------
def test_copy_a_sqlite_instance_into_postgres(tmp_path: Path, postgres_url: str) -> None:
    home = tmp_path / "home"
    with Instance.from_home(home) as inst:
        runs = [inst.create_run(PipelineRun("p", tags={"team": "data"})) for _ in range(3)]
        for run in runs:
            with inst.event_writer(run.run_id) as writer:
                writer.write(event(run, EventType.PIPELINE_START))
                writer.write(event(run, EventType.STEP_START, "a"))
                writer.write(event(run, EventType.ASSET_MATERIALIZATION, "a",
                                   data={"asset_key": ["tbl"]}))
                writer.write(event(run, EventType.PIPELINE_SUCCESS))
        state = inst.storage.put_instigator_state(InstigatorState(
            "repo", "nightly", InstigatorType.SCHEDULE, InstigatorStatus.RUNNING))
        inst.storage.create_tick(Tick(state.selector_id, InstigatorType.SCHEDULE, "nightly",
                                      TS.SUCCESS, 3600.0))
        ids = [e.storage_id for e in inst.get_logs_for_run(runs[0].run_id)]
        before = inst.storage.row_counts()
    done = orch(home, "instance", "copy", "--to", postgres_url)
    assert done.returncode == 0, done.stderr
    assert "the counts match" in done.stdout and "MISMATCH" not in done.stdout
    line = next(x for x in done.stdout.splitlines() if x.split()[:1] == ["event_logs"])
    assert line.split()[1:] == [str(before["event_logs"]), "->", str(before["event_logs"]), "ok"]
    pg_home = write_yaml(tmp_path / "pg", f"storage: {{postgres: {{postgres_url: {postgres_url}}}}}\n")
    with Instance.from_home(pg_home) as inst:
        after = inst.storage.row_counts()
        assert {t: n for t, n in after.items() if t != "daemon_heartbeats"} == \
            {t: n for t, n in before.items() if t != "daemon_heartbeats"}
        assert [e.storage_id for e in inst.get_logs_for_run(runs[0].run_id)] == ids
        assert inst.get_run(runs[1].run_id).status is PipelineRunStatus.SUCCESS
        assert inst.get_runs(tags={"team": "data"}) and inst.all_asset_keys() == [["tbl"]]
        assert inst.storage.get_latest_tick("repo:nightly").status is TS.SUCCESS
        new = inst.create_run(PipelineRun("p"))
        inst.handle_new_event(event(new, EventType.PIPELINE_START))
        assert inst.get_logs_for_run(new.run_id)[0].storage_id > max(ids)  # sequence moved on
    again = orch(home, "instance", "copy", "--to", postgres_url)
    assert again.returncode == 2 and "copy into an empty database" in again.stderr
    bad = orch(home, "instance", "copy", "--to", "/tmp/x.db")
    assert bad.returncode == 2 and "postgresql:// URL" in bad.stderr


# -- many writers ---------------------------------------------------------------------------
WRITER = """
import sys, time
from orch.core.events import EventRecord, EventType
from orch.core.instance import Instance
run_id, n, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with Instance.get() as inst:
    if kind == "events":
        with inst.event_writer(run_id, batch_size=50) as w:
            for i in range(n):
                w.write(EventRecord(run_id, "p", EventType.ENGINE_EVENT, f"e{i}", data={"i": i}))
    else:  # hammer the run with starts after it may have finished
        for i in range(n):
            inst.handle_new_event(EventRecord(run_id, "p", EventType.PIPELINE_START, "again"))
"""


def _writers(tmp_path: Path, home: Path, args: list[tuple[str, int, str]]) -> list:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    env = {**os.environ, "ORCH_HOME": str(home)}
    return [subprocess.Popen([sys.executable, str(script), run_id, str(n), kind], env=env,
                             stderr=subprocess.PIPE, text=True) for run_id, n, kind in args]


def test_event_ids_commit_in_order_under_concurrent_writer_processes(
        tmp_path: Path, postgres_url: str) -> None:
    """A reader that pages by `id > cursor` while three processes write misses nothing: each
    batch's ids commit in id order (the events lock), never a lower id after a higher one."""
    home = write_yaml(tmp_path / "home", f"storage: {{postgres: {{postgres_url: {postgres_url}}}}}\n")
    with Instance.from_home(home) as inst:
        runs = [inst.create_run(PipelineRun("p")) for _ in range(3)]
        procs = _writers(tmp_path, home, [(r.run_id, 3000, "events") for r in runs])
        seen: list[int] = []
        cursor = 0
        while True:
            running = any(p.poll() is None for p in procs)
            batch = inst.storage.get_events_of_types_after([EventType.ENGINE_EVENT], cursor, 500)
            seen += [e.storage_id for e in batch]
            cursor = seen[-1] if seen else cursor
            if not running and not batch:
                break
        assert [p.wait() for p in procs] == [0, 0, 0], [p.stderr.read() for p in procs]
        stored = sql(postgres_url, "SELECT id FROM event_logs WHERE event_type = 'ENGINE_EVENT' "
                                   "ORDER BY id")
        assert seen == [r[0] for r in stored] and len(seen) == 9000


def test_run_status_stays_monotonic_under_concurrent_writers(tmp_path: Path,
                                                             postgres_url: str) -> None:
    home = write_yaml(tmp_path / "home", f"storage: {{postgres: {{postgres_url: {postgres_url}}}}}\n")
    with Instance.from_home(home) as inst:
        run = inst.create_run(PipelineRun("p"))
        inst.handle_new_event(event(run, EventType.PIPELINE_START))
        procs = _writers(tmp_path, home, [(run.run_id, 200, "starts") for _ in range(3)])
        time.sleep(0.3)
        inst.handle_new_event(event(run, EventType.PIPELINE_SUCCESS))
        ended = inst.get_run(run.run_id).end_time
        assert [p.wait(timeout=60) for p in procs] == [0, 0, 0]
        final = inst.get_run(run.run_id)
        assert final.status is PipelineRunStatus.SUCCESS and final.end_time == ended
        starts = [e for e in inst.get_logs_for_run(run.run_id)
                  if e.event_type is EventType.PIPELINE_START]
        assert len(starts) == 601  # every event is kept; only the status refuses to go back


# -- connections ------------------------------------------------------------------------------
ONE_THREAD = """
import sys
from orch.core.instance import Instance
with Instance.get() as inst:
    inst.get_runs(limit=20)
    print("psycopg_pool" in sys.modules)
"""


def test_one_thread_uses_one_connection_and_threads_beside_it_a_pool(
        tmp_path: Path, postgres_url: str) -> None:
    import threading

    home = write_yaml(tmp_path / "home", f"storage: {{postgres: {{postgres_url: {postgres_url}}}}}\n")
    done = subprocess.run([sys.executable, "-c", ONE_THREAD], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "ORCH_HOME": str(home)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"  # a one-thread command never starts the pool
    with Instance.from_home(home) as inst:
        db = inst.storage.db
        run = inst.create_run(PipelineRun("p"))
        holding, release = threading.Event(), threading.Event()

        def hold_a_transaction() -> None:
            with db.write() as conn:
                conn.execute("SELECT 1")
                holding.set()
                release.wait(10)

        holder = threading.Thread(target=hold_a_transaction)
        holder.start()
        assert holding.wait(10)
        # While the first connection is lent to the other thread, this one gets a pooled
        # one, and sees what was committed.
        assert inst.get_run(run.run_id).run_id == run.run_id
        release.set()
        holder.join(10)
        with db.read() as first, db.read() as second:  # nested: two connections at once
            assert first.raw is not second.raw
        sql(postgres_url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                          "datname = current_database() AND pid <> pg_backend_pid()")
        # The server killed the first connection: the caller that meets it is told the
        # database is unavailable (as a writer is, which keeps its batch); the next one
        # gets a new connection.
        from orch.integrations.postgres.database import OrchPostgresUnavailableError

        try:
            inst.get_run(run.run_id)
        except OrchPostgresUnavailableError:
            pass
        assert inst.get_run(run.run_id) is not None


# -- change detection -------------------------------------------------------------------------
TAIL = """
import sys, time
from orch.core.instance import Instance
with Instance.get() as inst:
    print("ready", flush=True)
    for e in inst.watch(sys.argv[1], timeout=60):
        print(e.message, time.time(), flush=True)
"""


@pytest.mark.parametrize("listen", [True, False])
def test_a_tail_in_another_process_gets_each_event(tmp_path: Path, postgres_url: str,
                                                    listen: bool) -> None:
    """With LISTEN the watcher blocks on the notification socket and wakes on the commit;
    with `listen: false` it polls. Either way it sees every event once, in order."""
    home = write_yaml(tmp_path / "home", f"""
        storage:
          postgres:
            postgres_url: {postgres_url}
            listen: {str(listen).lower()}
        """)
    script = tmp_path / "tail.py"
    script.write_text(TAIL)
    with Instance.from_home(home) as inst:
        assert inst.storage.db.listening is listen
        run = inst.create_run(PipelineRun("p"))
        proc = subprocess.Popen([sys.executable, str(script), run.run_id], text=True,
                                stdout=subprocess.PIPE, env={**os.environ, "ORCH_HOME": str(home)})
        assert proc.stdout.readline().strip() == "ready"
        inst.handle_new_event(event(run, EventType.PIPELINE_START, message="start"))
        for i in range(5):
            inst.handle_new_event(event(run, None, message=f"line{i}"))
            time.sleep(0.02)
        inst.handle_new_event(event(run, EventType.PIPELINE_SUCCESS, message="done"))
        out, _ = proc.communicate(timeout=60)
    assert [line.split()[0] for line in out.splitlines()] == \
        ["start", *[f"line{i}" for i in range(5)], "done"]


def test_wait_for_change_wakes_on_another_process_commit(tmp_path: Path,
                                                         postgres_url: str) -> None:
    home = write_yaml(tmp_path / "home", f"storage: {{postgres: {{postgres_url: {postgres_url}}}}}\n")
    with Instance.from_home(home) as inst:
        run = inst.create_run(PipelineRun("p"))
        token = inst.storage.change_token()
        writer = subprocess.Popen(
            [sys.executable, "-c", "import time, sys; time.sleep(0.5); "
             "from orch.core.instance import Instance; from orch.core.events import "
             "EventRecord; i = Instance.get(); "
             f"i.handle_new_event(EventRecord({run.run_id!r}, 'p', None, 'hi')); i.close()"],
            env={**os.environ, "ORCH_HOME": str(home)})
        start = time.monotonic()
        while inst.storage.change_token() == token and time.monotonic() - start < 30:
            inst.storage.wait_for_change(token, 30.0)
        waited = time.monotonic() - start
        assert writer.wait(timeout=30) == 0
        assert inst.storage.change_token() != token
        assert waited < 25  # woken by the NOTIFY, not by the 30 s timeout
        assert [e.message for e in inst.get_logs_for_run(run.run_id)] == ["hi"]
