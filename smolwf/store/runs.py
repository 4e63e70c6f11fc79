"""Run, attempt and step records: what a run needs to start, resume and finish.

Hot-path writes (steps, ledger rows, events) arrive as a ``WriteBatch`` so the engine
commits once per loop turn instead of once per row.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from smolwf.clock import now_ms
from smolwf.errors import StoreError
from smolwf.ids import new_id
from smolwf.jsontext import compact
from smolwf.jsontypes import JSON, JSONObject
from smolwf.process_group import GroupRecord
from smolwf.records import record
from smolwf.store.batch import WriteBatch
from smolwf.store.checkpointer import Checkpointer
from smolwf.store.db import Transaction
from smolwf.store.origin import Origin
from smolwf.store.ownership import owner_alive, this_host
from smolwf.store.writer import BackgroundWriter
from smolwf.usage import Usage

STATES = ("pending", "running", "waiting", "completed", "failed", "cancelled")
"""Every state a run can be in (the ``runs.status`` column). ``waiting``: a request to a
person is pending (the process may be waiting on it, or gone with ``--on-wait exit``)."""
LIVE_STATES = ("running", "waiting")
"""States in which a live owner process may be executing the run."""
FORK_PARAM = "fork"
"""The key in a forked run's ``params_json`` of ``{"runId": source, "rerun": [...]}``
(``engine/fork.py``)."""

dumps = compact
_DECODER = json.JSONDecoder()
"""Compact JSON, non-ASCII kept, key order kept (results keep JS key order)."""


@record
class RunRecord:
    """A run as stored: what it ran, with which args, and how it stands."""

    run_id: str
    workflow_name: str
    script_path: str
    status: str
    args: JSON
    """The script's ``args``: any JSON value (an object unless the caller passed another)."""
    params: JSONObject
    script_sha256: str = ""


@record
class ScriptIdentity:
    """The script a run (or its latest attempt) executes, as its record shows it."""

    path: str
    sha256: str
    name: str
    meta: JSONObject


@record
class StepRecord:
    """A checkpoint as stored: ``result`` is set only for completed steps."""

    step_id: str
    checkpoint_key: str
    status: str
    result: JSONObject | None
    spent: Usage
    wake_at: int | None = None
    """For a sleep step: when it wakes, fixed when it was first started."""
    origin: Origin | None = None
    """Where its answer came from when this run called no provider for it."""


@record
class StepNames:
    """What ``--rerun`` selectors can match in a run: its agent calls' labels and phases."""

    labels: tuple[str, ...]
    phases: tuple[str, ...]


@record
class Attempt:
    """One execution of a run: the first, or a resume (``number`` counts from 1)."""

    run_id: str
    attempt_id: str
    number: int


class RunStore:
    """The run-level operations of one database connection."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self.checkpointer = Checkpointer(path)
        self.writer = BackgroundWriter(path, self.checkpointer.nudge)

    def close(self) -> None:
        """Close the connections (the last checkpoint copies what the thread has not)."""
        self.writer.close()
        self.checkpointer.close()
        self.conn.close()

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
            if status in LIVE_STATES and owner_alive(pid, host, heartbeat, now):
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

    def leftover_processes(self, run_id: str) -> list[GroupRecord]:
        """The guarded groups earlier attempts on this host left running (a takeover after
        the owner died stops them)."""
        rows = self.conn.execute(
            "SELECT pid, start_ticks, boot_id FROM processes WHERE run_id = ? AND host = ?",
            (run_id, this_host()),
        )
        return [GroupRecord(int(pid), int(ticks), str(boot)) for pid, ticks, boot in rows]

    def forget_processes(self, run_id: str) -> None:
        with self._transaction():
            self.conn.execute("DELETE FROM processes WHERE run_id = ?", (run_id,))

    def heartbeat(self, run_id: str) -> None:
        """Prove the owner is alive; a short transaction of its own."""
        with self._transaction():
            self.conn.execute(
                "UPDATE runs SET heartbeat_at = ? WHERE run_id = ? AND owner_pid = ?",
                (now_ms(), run_id, os.getpid()),
            )

    def owned_by_live_process(self, run_id: str) -> bool:
        """Whether a live process executes the run now (it would notice an answer)."""
        row = self.conn.execute(
            "SELECT status, owner_pid, owner_host, heartbeat_at FROM runs WHERE run_id = ?",
            (run_id,),
        ).fetchone()
        if row is None:
            return False
        status, pid, host, heartbeat = row
        ours = pid == os.getpid() and host == this_host()  # the TUI answers its own run
        return status in LIVE_STATES and (ours or owner_alive(pid, host, heartbeat, now_ms()))

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
            " cache_read_tokens, cache_write_tokens, total_tokens, cost_usd, cost_estimated = 1,"
            " CASE WHEN kind = 'sleep' THEN json_extract(input_json, '$.wakeAt') END, origin_json"
            " FROM steps WHERE run_id = ?",
            (run_id,),
        )
        steps = {}
        decode = _DECODER.raw_decode  # stored JSON has no surrounding whitespace to skip
        for step_id, key, status, result_json, *sums, wake_at, origin_json in rows:
            result = decode(result_json)[0] if status == "completed" and result_json else None
            origin = Origin.from_json(decode(origin_json)[0]) if origin_json else None
            steps[key] = StepRecord(step_id, key, status, result, _usage(sums), wake_at, origin)
        return steps

    def step_names(self, run_id: str) -> StepNames:
        """The labels and phases of the run's agent calls, each once, in the order first
        started (names started in the same millisecond alphabetically)."""
        names = []
        for column in ("label", "phase"):
            rows = self.conn.execute(
                f"SELECT {column} FROM steps WHERE run_id = ? AND kind = 'agent'"
                f" AND {column} IS NOT NULL GROUP BY {column} ORDER BY min(started_at), {column}",
                (run_id,),
            )
            names.append(tuple(row[0] for row in rows))
        return StepNames(*names)

    def ledger_total(self, run_id: str) -> Usage:
        row = self.conn.execute(
            "SELECT coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0),"
            " coalesce(sum(cache_read_tokens), 0), coalesce(sum(cache_write_tokens), 0),"
            " coalesce(sum(total_tokens), 0), sum(cost_usd), coalesce(max(cost_estimated), 0) = 1"
            " FROM usage_ledger WHERE run_id = ?",
            (run_id,),
        ).fetchone()
        return _usage(row)

    def next_event_seq(self, run_id: str) -> int:
        """One past the run's last event. Chunks never overlap and later ones start later,
        so the last chunk by the primary key holds it: no scan of a long run's chunks."""
        row = self.conn.execute(
            "SELECT last_seq FROM events WHERE run_id = ? ORDER BY first_seq DESC LIMIT 1",
            (run_id,),
        ).fetchone()
        return 1 if row is None else int(row[0]) + 1

    def commit(self, batch: WriteBatch, *, flush_running: bool = False) -> None:
        """Apply a turn's writes atomically (``running`` rows only when asked, see WriteBatch)."""
        assert not self.writer.busy, "wait for the background commit first"
        if batch.has_writes(flush_running=flush_running):
            with self._transaction():
                batch.apply(self.conn, flush_running=flush_running)
            self.checkpointer.nudge()

    def commit_in_background(self, batch: WriteBatch) -> bool:
        """Start committing the writes ``commit`` would make on the writer's thread; False
        (nothing started) when ``batch`` holds writes that are committed here, in order
        with the store's other writes. ``writer.wait()`` before anything else is written."""
        if not batch.detachable or not self.writer.ready():
            return False
        assert not self.writer.busy, "wait for the background commit first"
        self.writer.start(batch.detach())
        return True

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
        assert not self.writer.busy, "wait for the background commit first"
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
            if status != "cancelled":  # a cancelled run resumes: its requests stay answerable
                self.conn.execute(
                    "UPDATE human_requests SET status = 'closed'"
                    " WHERE run_id = ? AND status = 'pending'",
                    (attempt.run_id,),
                )

    def park_run(self, attempt: Attempt, batch: WriteBatch) -> None:
        """End the attempt with the run ``waiting`` and no owner (``--on-wait exit``): only
        an answer can move it on, and ``--resume-run`` takes it up after one."""
        assert not self.writer.busy, "wait for the background commit first"
        now = now_ms()
        with self._transaction():
            batch.apply(self.conn, flush_running=True)
            self.conn.execute(
                "UPDATE attempts SET status = 'waiting', finished_at = ? WHERE attempt_id = ?",
                (now, attempt.attempt_id),
            )
            self.conn.execute(
                "UPDATE runs SET status = 'waiting', updated_at = ?, owner_pid = NULL,"
                " heartbeat_at = NULL WHERE run_id = ?",
                (now, attempt.run_id),
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

    def _transaction(self) -> Transaction:
        return Transaction(self.conn, self.path)


def _usage(sums: Sequence[Any]) -> Usage:
    """(input, output, cache read, cache write, total, cost, estimated) as SQL reads them."""
    inputs, output, cache_read, cache_write, total, cost, estimated = sums
    return Usage(inputs, output, cache_read, cache_write, total, cost, bool(estimated))
