"""The database: ours alone, migrated once, refused with a clear error when it is not ours."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from smolwf import RunReport, ScriptError, StoreError, WorkflowFailed
from smolwf.store import db as db_module
from smolwf.store.db import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, connect
from smolwf.store.paths import default_db_path

Run = Callable[..., RunReport]
Write = Callable[..., Path]
Cli = Callable[..., subprocess.CompletedProcess[str]]


def test_new_database_is_marked_ours_and_migrated(tmp_path: Path) -> None:
    conn = connect(tmp_path / "new.db", create=True)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"runs", "attempts", "steps", "usage_ledger", "events", "schema_migrations"} <= tables


def test_migrations_apply_once(tmp_path: Path) -> None:
    path = tmp_path / "again.db"
    connect(path, create=True).close()
    conn = connect(path, create=True)
    assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == SCHEMA_VERSION


def _as_version_1(db: Path) -> None:
    """Take back what the later migrations added, as if the database was written before."""
    with sqlite3.connect(db) as conn:
        conn.execute("ALTER TABLE steps DROP COLUMN cost_estimated")
        conn.execute("ALTER TABLE usage_ledger DROP COLUMN cost_estimated")
        conn.execute("DROP TABLE human_requests")
        conn.execute("DROP TABLE processes")
        conn.execute("DROP INDEX steps_cache_idx")
        conn.execute("ALTER TABLE steps DROP COLUMN cache_key")
        conn.execute("ALTER TABLE steps DROP COLUMN origin_json")
        conn.execute("DELETE FROM schema_migrations WHERE version > 1")
        conn.execute("PRAGMA user_version = 1")


def test_a_version_1_database_migrates_and_its_runs_resume(
    write_script: Write, run: Run, db: Path
) -> None:
    script = write_script("export default await agent('before the upgrade')\n")
    first = run(script)
    _as_version_1(db)
    resumed = run(script, resume_run_id=first.run_id)
    conn = sqlite3.connect(db)
    assert [row[0] for row in conn.execute("SELECT version FROM schema_migrations")] == [
        number for number, _ in MIGRATIONS
    ]
    assert resumed.result == first.result
    assert conn.execute("SELECT count(*) FROM usage_ledger").fetchone()[0] == 1


def test_history_of_a_version_1_database_migrates_it_to_read_its_runs(
    write_script: Write, run: Run, cli: Cli, db: Path
) -> None:
    run(write_script("export default 1\n"))
    _as_version_1(db)  # older than what history reads: read-only is not enough
    done = cli("history", "--db", db, "--output", "json")
    assert done.returncode == 0, done.stderr
    assert [found["state"] for found in json.loads(done.stdout)] == ["completed"]
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def test_reference_runtime_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "reference.db"
    sqlite3.connect(path).execute("CREATE TABLE sw_workflow_runs (run_id TEXT)")
    with pytest.raises(StoreError, match="reference runtime's database; pass --db"):
        connect(path, create=True)


def test_foreign_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("CREATE TABLE notes (body TEXT)")
    with pytest.raises(StoreError, match="is not a smol-wf database"):
        connect(path, create=True)
    tables = [row[0] for row in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")]
    assert tables == ["notes"]


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    connect(path, create=True).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer than this smol-wf"):
        connect(path, create=True)


def test_corrupt_file_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a SQLite database or is corrupt"):
        connect(path, create=True)


def test_missing_database_is_not_created_when_reading(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="was not found"):
        connect(tmp_path / "absent.db", create=False)
    assert not (tmp_path / "absent.db").exists()


def test_script_errors_leave_no_rows(write_script: Write, run: Run, db: Path) -> None:
    run(write_script("export default 1\n", name="ok.mjs"))
    with pytest.raises(ScriptError):
        run(write_script("export default 1\n", name="nometa.mjs", meta=False))
    with pytest.raises(WorkflowFailed, match="failed to evaluate workflow module"):
        run(write_script("export default (\n", name="syntax.mjs"))
    assert sqlite3.connect(db).execute("SELECT count(*) FROM runs").fetchone()[0] == 1


def test_default_path_is_in_our_own_state_directory(tmp_path: Path) -> None:
    path = default_db_path({"XDG_STATE_HOME": str(tmp_path), "HOME": "/nowhere"})
    assert path == tmp_path / "smolwf" / "workflows.db"
    assert default_db_path({"HOME": "/home/u"}) == Path("/home/u/.local/state/smolwf/workflows.db")


def test_a_version_1_database_keeps_its_runs_and_cascades_through_the_migration(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v1.db"
    old = sqlite3.connect(path)
    schema = (Path(db_module.__file__).parent / "migrations" / "0001_initial.sql").read_text()
    old.executescript(
        schema + f"PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 1;"
    )
    old.execute(
        "INSERT INTO runs VALUES ('run_a', 'wf', 'wf.mjs', '', '{}', '{}', '{}', 'failed',"
        " NULL, NULL, NULL, NULL, NULL, NULL, 1, 1, 1)"
    )
    old.execute("INSERT INTO attempts VALUES ('att_a', 'run_a', 1, 'failed', 1, 'h', 1, 2, NULL)")
    old.execute(
        "INSERT INTO steps (step_id, run_id, scope, checkpoint_key, kind, status, input_json,"
        " first_attempt_id, last_attempt_id, started_at)"
        " VALUES ('step_a', 'run_a', 'root', 'k', 'agent', 'completed', '{}', 'att_a', 'att_a', 1)"
    )
    old.commit()
    old.close()
    conn = connect(path, create=True)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("SELECT run_id, status FROM runs").fetchall() == [("run_a", "failed")]
    assert conn.execute("SELECT count(*) FROM steps").fetchone()[0] == 1
    conn.execute("UPDATE runs SET status = 'waiting'")  # the state v2 adds
    conn.execute("DELETE FROM runs")
    assert conn.execute("SELECT count(*) FROM attempts").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM steps").fetchone()[0] == 0
