"""The WAL of a long run is copied into its database while the run goes on, and nothing
is lost or left behind when it ends."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from smolwf import RunReport
from smolwf.store import checkpointer as checkpointer_module
from smolwf.store.checkpointer import Checkpointer
from smolwf.store.db import connect

Run = Callable[..., RunReport]
Write = Callable[..., Path]


def _checkpoint_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "smolwf-checkpoint"]


def test_the_database_file_takes_the_wal_while_the_writer_stays_open(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    conn = connect(path, create=True)
    conn.execute("CREATE TABLE blobs (body BLOB)")
    before = path.stat().st_size
    checkpointer = Checkpointer(path)
    for _ in range(3):
        conn.execute("INSERT INTO blobs VALUES (?)", (bytes(2 * 1024 * 1024),))
        checkpointer.nudge()
    checkpointer.close()  # waits for the checkpoint under way
    assert path.stat().st_size > before + 4 * 1024 * 1024
    assert not _checkpoint_threads()
    conn.close()


def test_a_short_run_starts_no_checkpoint_thread(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    conn = connect(path, create=True)
    checkpointer = Checkpointer(path)
    conn.execute("CREATE TABLE t (x)")
    checkpointer.nudge()
    assert not _checkpoint_threads()
    checkpointer.close()
    conn.close()


def test_a_run_checkpointed_on_the_side_keeps_every_row_and_leaves_no_wal(
    write_script: Write, run: Run, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpointer_module, "START_BYTES", 0)
    script = write_script(
        "export default (await parallel(Array.from({length: 300}, (_, i) => "
        "() => agent('item ' + i)))).length\n"
    )
    assert run(script, max_parallel_agents=4).result == 300
    assert not db.with_name(db.name + "-wal").exists()
    assert not _checkpoint_threads()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM steps WHERE status = 'completed'").fetchone() == (
            300,
        )
