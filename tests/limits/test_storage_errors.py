"""Storage errors in the user's words: the real cause, what to do, and nothing lost."""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import smol_wf_command

Cli = Callable[..., subprocess.CompletedProcess[str]]
Write = Callable[..., Path]


@pytest.mark.parametrize("command", ["run", "history"])
@pytest.mark.parametrize("device", ["/dev/null", "/dev/full"])
def test_a_device_as_the_database_is_one_line(
    write_script: Write, cli: Cli, command: str, device: str
) -> None:
    args = [write_script("export default 1\n")] if command == "run" else []
    done = cli(command, *args, "--db", device)
    assert done.returncode == 1
    assert done.stderr == (
        f"error: database {device} is not a regular file; pass --db with the path of a "
        "database file\n"
    )


def _run_on_a_full_disk(
    script: Path, db: Path, env: dict[str, str], limit: int, *options: str
) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run ``script`` while no file may grow past ``limit`` bytes (a disk that fills up);
    the run's outcome and its id."""

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    command = [*smol_wf_command(), "run", str(script), "--db", str(db), *options]
    full = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, preexec_fn=limited
    )
    assert full.returncode == 1
    (run_id,) = sqlite3.connect(db).execute("SELECT run_id FROM runs").fetchone()
    return full, run_id


def _resume_runs_only_what_was_not_recorded(
    db: Path, run_id: str, env: dict[str, str], recorded: int, total: int
) -> None:
    resumed = subprocess.run(
        [*smol_wf_command(), "run", "--resume-run", run_id, "--db", str(db)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["results"] == total
    per_attempt = (
        sqlite3.connect(db)
        .execute("SELECT count(*) FROM usage_ledger GROUP BY attempt_id ORDER BY min(entry_id)")
        .fetchall()
    )
    assert per_attempt == [(recorded,), (total - recorded,)]  # nothing recorded ran twice


def _recorded(db: Path) -> int:
    return int(sqlite3.connect(db).execute("SELECT count(*) FROM usage_ledger").fetchone()[0])


def test_a_full_disk_stops_the_run_in_one_line_and_resume_replays_what_was_recorded(
    write_script: Write, db: Path, tmp_path: Path
) -> None:
    script = write_script(
        "const out = []\n"
        "for (let i = 0; i < 200; i++) out.push(await agent(`item ${i} ${'x'.repeat(2000)}`))\n"
        "export default out.length\n"
    )
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path)}
    full, run_id = _run_on_a_full_disk(script, db, env, 300_000)
    assert full.stderr == (
        f"error: database {db} could not be written (a disk I/O error: a full disk or a file "
        "size limit) (disk I/O error); the run stopped and nothing it recorded is lost: free "
        f"some space, then resume with `smol-wf run --resume-run {run_id} --db {db}`\n"
    )
    recorded = _recorded(db)
    assert 0 < recorded < 200
    _resume_runs_only_what_was_not_recorded(db, run_id, env, recorded, 200)


def test_a_full_disk_during_a_background_commit_stops_the_run_and_loses_nothing(
    write_script: Write, db: Path, tmp_path: Path
) -> None:
    # 4,000 instant calls: turns of ~1,000 calls commit on the writer's thread, and one
    # of those commits is the first the 3 MB limit refuses.
    script = write_script(
        "const r = await parallel(Array.from({length: 4000}, (_, i) => () => agent('i' + i)))\n"
        "export default r.length\n"
    )
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "SMOLWF_DEBUG_DELAY_MS": "0"}
    full, run_id = _run_on_a_full_disk(script, db, env, 3_000_000, "--max-agents", "4000")
    assert full.stderr.endswith(
        "the run stopped and nothing it recorded is lost: free some space, then resume "
        f"with `smol-wf run --resume-run {run_id} --db {db}`\n"
    )
    assert full.stderr.count("\n") == 1
    recorded = _recorded(db)
    assert 0 < recorded < 4000
    _resume_runs_only_what_was_not_recorded(db, run_id, env, recorded, 4000)


def test_history_opens_the_database_read_only(write_script: Write, cli: Cli, db: Path) -> None:
    assert cli("run", write_script("export default 1\n"), "--db", db).returncode == 0
    older = sqlite3.connect(db, isolation_level=None)  # as smol-wf's schema v4 left it
    older.executescript(
        "DROP TABLE processes; DELETE FROM schema_migrations WHERE version = 5;"
        "PRAGMA user_version = 4;"
    )
    older.close()
    done = cli("history", "--db", db, "--output", "json")
    assert done.returncode == 0, done.stderr
    assert [run["state"] for run in json.loads(done.stdout)] == ["completed"]
    # Nothing was written (no migration): on a read-only file system it reads the same.
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone() == (4,)


def test_history_of_a_database_without_its_wal_says_it_looks_incomplete(
    cli: Cli, tmp_path: Path
) -> None:
    copied = tmp_path / "copied.db"  # what a copy of a running run's database alone holds
    conn = sqlite3.connect(copied)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    done = cli("history", "--db", copied)
    assert done.returncode == 1
    assert done.stderr == (
        f"error: database {copied} looks incomplete: it holds no smol-wf tables, and "
        "copied.db-wal is missing; SQLite keeps recent writes in copied.db-wal until it "
        "copies them in, so copy or move a database together with its copied.db-wal and "
        "copied.db-shm files\n"
    )
