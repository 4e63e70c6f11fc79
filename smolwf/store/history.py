"""Reading and pruning past runs: the queries behind ``smol-wf history``.

List queries aggregate only the rows they show (newest first, limited), so listing
stays fast on databases with many thousands of runs.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from smolwf.jsontypes import JSON, JSONObject

STATES = ("pending", "running", "completed", "failed", "cancelled")


def iso(ms: int | None) -> str | None:
    """Milliseconds since the epoch as ISO-8601 UTC with milliseconds and a ``Z``."""
    if ms is None:
        return None
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _usage(row: Sequence[Any]) -> JSONObject:
    """(input, cache read, output, cache write, total, cost) as the history usage shape."""
    usage: JSONObject = {
        "inputTokens": int(row[0] or 0),
        "cacheReadTokens": int(row[1] or 0),
        "outputTokens": int(row[2] or 0),
        "cacheWriteTokens": int(row[3] or 0),
        "totalTokens": int(row[4] or 0),
    }
    if row[5] is not None:
        usage["costUsd"] = round(float(row[5]), 6)
    return usage


@dataclass(frozen=True, slots=True)
class RunFilter:
    states: tuple[str, ...] = ()
    name: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None
    limit: int | None = 50

    def where(self, table: str) -> tuple[str, list[object]]:
        """The WHERE clause over the runs table known in the query as ``table``."""
        clauses: list[str] = []
        params: list[object] = []
        if self.states:
            clauses.append(f"{table}.status IN ({','.join('?' * len(self.states))})")
            params.extend(self.states)
        if self.name:
            clauses.append(f"instr(lower({table}.workflow_name), lower(?)) > 0")
            params.append(self.name)
        if self.since_ms is not None:
            clauses.append(f"{table}.created_at >= ?")
            params.append(self.since_ms)
        if self.until_ms is not None:
            clauses.append(f"{table}.created_at <= ?")
            params.append(self.until_ms)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


LIST_SQL = """
SELECT r.run_id, r.status, r.meta_json, r.script_path, r.created_at, r.updated_at,
  (SELECT count(*) FROM attempts a WHERE a.run_id = r.run_id),
  (SELECT count(*) FROM steps s WHERE s.run_id = r.run_id AND s.status = 'completed'),
  (SELECT count(*) FROM steps s WHERE s.run_id = r.run_id AND s.status = 'failed'),
  (SELECT coalesce(sum(total_tokens), 0) FROM usage_ledger l WHERE l.run_id = r.run_id),
  (SELECT sum(cost_usd) FROM usage_ledger l WHERE l.run_id = r.run_id)
FROM runs r
"""


class History:
    """Read-side view of one database."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    def list_runs(self, run_filter: RunFilter) -> list[JSONObject]:
        where, params = run_filter.where("r")
        sql = LIST_SQL + where + " ORDER BY r.created_at DESC, r.run_id DESC"
        if run_filter.limit is not None:
            sql += f" LIMIT {int(run_filter.limit)}"
        runs = []
        for row in self.conn.execute(sql, params):
            runs.append(
                {
                    "runID": row[0],
                    "rootRunId": row[0],
                    "state": row[1],
                    "metadata": json.loads(row[2]),
                    "scriptPath": row[3],
                    "createdAt": iso(row[4]),
                    "updatedAt": iso(row[5]),
                    "attempts": row[6],
                    "completedSteps": row[7],
                    "failedSteps": row[8],
                    "totalTokens": row[9],
                    "costUsd": round(row[10], 6) if row[10] is not None else None,
                }
            )
        return runs

    def run_detail(self, run_id: str) -> JSONObject | None:
        row = self.conn.execute(
            "SELECT run_id, status, meta_json, script_path, args_json, params_json, result_json,"
            " error_json, owner_pid, owner_host, created_at, updated_at, finished_at"
            " FROM runs WHERE run_id = ?",
            (run_id,),
        ).fetchone()
        if row is None:
            return None
        run: JSONObject = {
            "runID": row[0],
            "rootRunId": row[0],
            "state": row[1],
            "metadata": json.loads(row[2]),
            "scriptPath": row[3],
            "args": json.loads(row[4]),
            "params": json.loads(row[5]),
            "createdAt": iso(row[10]),
            "updatedAt": iso(row[11]),
            "finishedAt": iso(row[12]),
        }
        if row[8] is not None:
            run["owner"] = {"pid": row[8], "host": row[9]}
        if row[7] is not None:
            run["failureReason"] = json.loads(row[7])
        detail: JSONObject = {"workflowRun": run}
        if row[6] is not None:
            detail["results"] = json.loads(row[6]).get("result")
        detail["tokenUsage"] = self._token_usage(run_id)
        detail["attempts"] = self._attempts(run_id)
        detail["steps"] = self._steps(run_id)
        return detail

    def _token_usage(self, run_id: str) -> JSONObject:
        sums = (
            "coalesce(sum(input_tokens),0), coalesce(sum(cache_read_tokens),0),"
            " coalesce(sum(output_tokens),0), coalesce(sum(cache_write_tokens),0),"
            " coalesce(sum(total_tokens),0), sum(cost_usd)"
        )
        total = self.conn.execute(
            f"SELECT {sums} FROM usage_ledger WHERE run_id = ?", (run_id,)
        ).fetchone()
        usage = _usage(total)
        by_phase: JSONObject = {}
        for row in self.conn.execute(
            f"SELECT coalesce(phase, '(none)'), {sums} FROM usage_ledger WHERE run_id = ?"
            " GROUP BY coalesce(phase, '(none)') ORDER BY min(entry_id)",
            (run_id,),
        ):
            by_phase[row[0]] = _usage(row[1:])
        usage["byPhase"] = by_phase
        return usage

    def _attempts(self, run_id: str) -> list[JSON]:
        rows = self.conn.execute(
            "SELECT attempt_id, number, status, pid, host, started_at, finished_at, error_json"
            " FROM attempts WHERE run_id = ? ORDER BY number",
            (run_id,),
        )
        return [
            {
                "attemptId": r[0],
                "attempt": r[1],
                "state": r[2],
                "workerId": f"pid {r[3]} on {r[4]}",
                "startedAt": iso(r[5]),
                "completedAt": iso(r[6]),
                "failureReason": json.loads(r[7]) if r[7] else None,
            }
            for r in rows
        ]

    def _steps(self, run_id: str) -> list[JSON]:
        rows = self.conn.execute(
            "SELECT step_id, kind, checkpoint_key, status, calls, started_at, finished_at,"
            " provider, model, phase, session_id, label, error_json, input_tokens,"
            " cache_read_tokens, output_tokens, cache_write_tokens, total_tokens, cost_usd,"
            " input_json, coalesce(json_extract(result_json, '$.refusals'),"
            " json_extract(error_json, '$.refusals'))"
            " FROM steps WHERE run_id = ? ORDER BY started_at, step_id",
            (run_id,),
        )
        return [_step(row) for row in rows]

    def events(self, run_id: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT body FROM events WHERE run_id = ? ORDER BY first_seq", (run_id,)
        )
        return [line for row in rows for line in row[0].split("\n")]

    def run_exists(self, run_id: str) -> bool:
        found = self.conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return found is not None


def _step(row: Sequence[Any]) -> JSONObject:
    started, finished = row[5], row[6]
    prompt = json.loads(str(row[19])).get("prompt", "")
    step: JSONObject = {
        "stepId": row[0],
        "stepKind": row[1],
        "checkpointName": row[2],
        "state": row[3],
        "attempts": row[4],
        "createdAt": iso(started),
        "updatedAt": iso(finished if finished is not None else started),
        "durationMs": (finished - started) if finished is not None else None,
        "agent": {
            "provider": row[7],
            "model": row[8],
            "phase": row[9],
            "sessionId": row[10],
            "label": row[11],
            "promptPreview": prompt[:80],
        },
        "tokenUsage": _usage(row[13:19]),
    }
    if row[12]:
        step["error"] = json.loads(str(row[12])).get("message")
    if row[20]:
        step["refusals"] = json.loads(str(row[20]))
    return step


@dataclass(frozen=True, slots=True)
class DeletePlan:
    run_ids: list[str]
    by_state: dict[str, int]
    first_created: int | None
    last_created: int | None


def plan_delete(
    conn: sqlite3.Connection,
    *,
    run_ids: Sequence[str] = (),
    states: Sequence[str] = (),
    everything: bool = False,
) -> DeletePlan:
    """Which runs a delete would remove, without removing anything."""
    if run_ids:
        where, params = f"WHERE run_id IN ({','.join('?' * len(run_ids))})", list(run_ids)
    elif states:
        where, params = f"WHERE status IN ({','.join('?' * len(states))})", list(states)
    else:
        where, params = ("", []) if everything else ("WHERE 0", [])
    rows = conn.execute(f"SELECT run_id, status, created_at FROM runs {where}", params).fetchall()
    by_state: dict[str, int] = {}
    for _, state, _ in rows:
        by_state[state] = by_state.get(state, 0) + 1
    created = [row[2] for row in rows]
    return DeletePlan(
        [row[0] for row in rows], by_state, min(created, default=None), max(created, default=None)
    )


def delete_runs(conn: sqlite3.Connection, run_ids: Sequence[str]) -> dict[str, int]:
    """Delete runs and everything recorded under them in one transaction; counts per table."""
    # Ledger rows go before steps: deleting a step would cascade to them uncounted.
    tables = {
        "usage entries": "usage_ledger",
        "events": "events",
        "steps": "steps",
        "attempts": "attempts",
    }
    counts = dict.fromkeys(tables, 0)
    conn.execute("BEGIN IMMEDIATE")
    try:
        for start in range(0, len(run_ids), 500):
            chunk = list(run_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            counts["events"] += conn.execute(
                f"SELECT coalesce(sum(last_seq - first_seq + 1), 0) FROM events"
                f" WHERE run_id IN ({marks})",
                chunk,
            ).fetchone()[0]
            for label, table in tables.items():
                deleted = conn.execute(f"DELETE FROM {table} WHERE run_id IN ({marks})", chunk)
                if label != "events":
                    counts[label] += deleted.rowcount
            conn.execute(f"DELETE FROM runs WHERE run_id IN ({marks})", chunk)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return counts
