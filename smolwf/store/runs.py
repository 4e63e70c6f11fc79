"""Run, attempt and step records: what a run needs to start, resume and finish.

Hot-path writes (steps, ledger rows, events) arrive as a ``WriteBatch`` so the engine
commits once per loop turn instead of once per row.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from smolwf.clock import now_ms
from smolwf.errors import StoreError
from smolwf.ids import new_id
from smolwf.jsontext import compact
from smolwf.jsontypes import JSON, JSONObject
from smolwf.store.batch import WriteBatch
from smolwf.store.ownership import owner_alive, this_host
from smolwf.usage import Usage

STATES = ("pending", "running", "completed", "failed", "cancelled")
"""Every state a run can be in (the ``runs.status`` column)."""

dumps = compact
_DECODER = json.JSONDecoder()
"""Compact JSON, non-ASCII kept, key order kept (results keep JS key order)."""


@dataclass(frozen=True, slots=True)
class RunRecord:
    run_id: str
    workflow_name: str
    script_path: str
    status: str
    args: JSON
    """The script's ``args``: any JSON value (an object unless the caller passed another)."""
    params: JSONObject
    script_sha256: str = ""


@dataclass(frozen=True, slots=True)
class ScriptIdentity:
    """The script a run (or its latest attempt) executes, as its record shows it."""

    path: str
    sha256: str
    name: str
    meta: JSONObject


@dataclass(frozen=True, slots=True)
class StepRecord:
    """A checkpoint as stored: ``result`` is set only for completed steps."""

    step_id: str
    checkpoint_key: str
    status: str
    result: JSONObject | None
    spent: Usage
    wake_at: int | None = None
    """For a sleep step: when it wakes, fixed when it was first started."""


@dataclass(frozen=True, slots=True)
class Attempt:
    run_id: str
    attempt_id: str
    number: int


class RunStore:
    """The run-level operations of one database connection."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    def create_run(self, run: RunRecord, *, meta: JSONObject) -> Attempt:
        """Insert the run and its first attempt in one transaction."""
        now = now_ms()
        attempt = Attempt(run.run_id, new_id("attempt"), 1)
        with self._transaction():
            self.conn.execute(
                "INSERT INTO runs (run_id, workflow_name, script_path, script_sha256, meta_json,"
                " args_json, params_json, status, owner_pid, owner_host, owner_started_at,"
                " heartbeat_at, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?)",
                (
                    run.run_id,
                    run.workflow_name,
                    run.script_path,
                    run.script_sha256,
                    dumps(meta),
                    dumps(run.args),
                    dumps(run.params),
                    os.getpid(),
                    this_host(),
                    now,
                    now,
                    now,
                    now,
                ),
            )
            self._insert_attempt(attempt, now)
        return attempt

    def resume_run(self, run_id: str, *, script: ScriptIdentity | None = None) -> Attempt:
        """Take ownership of an existing run and open a new attempt, atomically.

        Fails at once if another live process owns the run; takes over at once if the
        owner died, so two resumers of one run never both execute it. ``script`` is
        recorded as the run's script, so its name, path and result stay consistent.
        """
        now = now_ms()
        with self._transaction():
            row = self.conn.execute(
                "SELECT status, owner_pid, owner_host, heartbeat_at FROM runs WHERE run_id = ?",
                (run_id,),
            ).fetchone()
            if row is None:
                raise StoreError(f"workflow run {run_id} was not found in {self.path}; check --db")
            status, pid, host, heartbeat = row
            if status == "running" and owner_alive(pid, host, heartbeat, now):
                raise StoreError(
                    f"workflow run {run_id} is being executed by process {pid} on {host}; "
                    f"wait for it to finish or stop it (kill -INT {pid}) before resuming"
                )
            number = self.conn.execute(
                "SELECT coalesce(max(number), 0) + 1 FROM attempts WHERE run_id = ?", (run_id,)
            ).fetchone()[0]
            attempt = Attempt(run_id, new_id("attempt"), number)
            self.conn.execute(
                "UPDATE attempts SET status = 'failed', finished_at = ?,"
                ' error_json = \'{"message":"the process executing this attempt died"}\''
                " WHERE run_id = ? AND status = 'running'",
                (now, run_id),
            )
            self.conn.execute(
                "UPDATE runs SET status = 'running', owner_pid = ?, owner_host = ?,"
                " owner_started_at = ?, heartbeat_at = ?, updated_at = ?, finished_at = NULL"
                " WHERE run_id = ?",
                (os.getpid(), this_host(), now, now, now, run_id),
            )
            if script is not None:
                self.conn.execute(
                    "UPDATE runs SET script_path = ?, script_sha256 = ?, workflow_name = ?,"
                    " meta_json = ? WHERE run_id = ?",
                    (script.path, script.sha256, script.name, dumps(script.meta), run_id),
                )
            self._insert_attempt(attempt, now)
        return attempt

    def heartbeat(self, run_id: str) -> None:
        """Prove the owner is alive; a short transaction of its own."""
        with self._transaction():
            self.conn.execute(
                "UPDATE runs SET heartbeat_at = ? WHERE run_id = ? AND owner_pid = ?",
                (now_ms(), run_id, os.getpid()),
            )

    def find_run(self, run_id: str) -> RunRecord | None:
        row = self.conn.execute(
            "SELECT run_id, workflow_name, script_path, status, args_json, params_json,"
            " script_sha256 FROM runs WHERE run_id = ?",
            (run_id,),
        ).fetchone()
        if row is None:
            return None
        run_id, name, script, status, args, params, sha256 = row
        return RunRecord(run_id, name, script, status, json.loads(args), json.loads(params), sha256)

    def load_steps(self, run_id: str) -> dict[str, StepRecord]:
        """Every checkpoint of the run by key, with what was spent on each so far."""
        rows = self.conn.execute(
            "SELECT step_id, checkpoint_key, status, result_json, input_tokens, output_tokens,"
            " cache_read_tokens, cache_write_tokens, total_tokens, cost_usd,"
            " CASE WHEN kind = 'sleep' THEN json_extract(input_json, '$.wakeAt') END"
            " FROM steps WHERE run_id = ?",
            (run_id,),
        )
        steps = {}
        decode = _DECODER.raw_decode  # stored JSON has no surrounding whitespace to skip
        for step_id, key, status, result_json, *sums, wake_at in rows:
            result = decode(result_json)[0] if status == "completed" and result_json else None
            steps[key] = StepRecord(step_id, key, status, result, Usage(*sums), wake_at)
        return steps

    def ledger_total(self, run_id: str) -> Usage:
        row = self.conn.execute(
            "SELECT coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0),"
            " coalesce(sum(cache_read_tokens), 0), coalesce(sum(cache_write_tokens), 0),"
            " coalesce(sum(total_tokens), 0), sum(cost_usd) FROM usage_ledger WHERE run_id = ?",
            (run_id,),
        ).fetchone()
        return Usage(*row)

    def next_event_seq(self, run_id: str) -> int:
        row = self.conn.execute(
            "SELECT coalesce(max(last_seq), 0) + 1 FROM events WHERE run_id = ?", (run_id,)
        ).fetchone()
        return int(row[0])

    def commit(self, batch: WriteBatch, *, flush_running: bool = False) -> None:
        """Apply a turn's writes atomically (``running`` rows only when asked, see WriteBatch)."""
        if batch.has_writes(flush_running=flush_running):
            with self._transaction():
                batch.apply(self.conn, flush_running=flush_running)

    def finish_run(
        self,
        attempt: Attempt,
        status: str,
        *,
        result: JSON = None,
        error: str | None = None,
        batch: WriteBatch | None = None,
    ) -> None:
        """Close the attempt and the run, together with the turn's last writes."""
        now = now_ms()
        error_json = dumps({"message": error}) if error is not None else None
        result_json = dumps({"result": result}) if status == "completed" else None
        with self._transaction():
            if batch is not None:
                batch.apply(self.conn, flush_running=True)
            self.conn.execute(
                "UPDATE steps SET status = 'cancelled', finished_at = ?"
                " WHERE run_id = ? AND status = 'running'",
                (now, attempt.run_id),
            )
            self.conn.execute(
                "UPDATE attempts SET status = ?, finished_at = ?, error_json = ?"
                " WHERE attempt_id = ?",
                (status, now, error_json, attempt.attempt_id),
            )
            self.conn.execute(
                "UPDATE runs SET status = ?, result_json = ?, error_json = ?, updated_at = ?,"
                " finished_at = ?, owner_pid = NULL, heartbeat_at = NULL WHERE run_id = ?",
                (status, result_json, error_json, now, now, attempt.run_id),
            )

    def _insert_attempt(self, attempt: Attempt, now: int) -> None:
        self.conn.execute(
            "INSERT INTO attempts (attempt_id, run_id, number, status, pid, host, started_at)"
            " VALUES (?, ?, ?, 'running', ?, ?, ?)",
            (
                attempt.attempt_id,
                attempt.run_id,
                attempt.number,
                os.getpid(),
                this_host(),
                now,
            ),
        )

    def _transaction(self) -> _Transaction:
        return _Transaction(self.conn, self.path)


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolling back on any error and naming the database."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    def __enter__(self) -> None:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise StoreError(
                f"database {self.path} is locked by another process ({error}); try again"
            ) from None

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        if kind is None:
            try:
                self.conn.execute("COMMIT")
                return
            except sqlite3.Error as error:
                self.conn.execute("ROLLBACK")
                raise StoreError(f"database {self.path} write failed: {error}") from None
        self.conn.execute("ROLLBACK")
