"""Reading and pruning past runs: the queries behind ``smol-wf history``.

List queries aggregate only the rows they show (newest first, limited), so listing
stays fast on databases with many thousands of runs.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from smolwf.clock import iso, now_ms
from smolwf.jsontypes import JSON, JSONObject
from smolwf.records import record
from smolwf.store.origin import Origin
from smolwf.store.ownership import owner_alive
from smolwf.store.runs import FORK_PARAM, STATES
from smolwf.usage import usd

INTERRUPTED = "interrupted"
"""How history shows a ``running`` run whose owner process is gone (killed, crashed, the
machine rebooted): nothing executes it, and ``--resume-run`` picks it up."""
SHOWN_STATES = (*STATES, INTERRUPTED)


def shown_state(status: str, pid: int | None, host: str | None, heartbeat: int | None) -> str:
    """The stored status, except that a running run with no live owner is interrupted."""
    if status == "running" and not owner_alive(pid, host, heartbeat, now_ms()):
        return INTERRUPTED
    return status


@record
class UsageTotals:
    """Token and cost sums as history shows them. Costs are summed in whole nano-dollars
    (``USAGE_SUMS``), so the phases' or providers' costs add up to the run's exactly."""

    input_tokens: int = 0
    cache_read_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    total_tokens: int = 0
    cost_usd: float | None = None
    estimated: bool = False
    """Some of ``cost_usd`` is estimated from token prices (the CLI reported none)."""

    @classmethod
    def of(cls, sums: Sequence[Any]) -> UsageTotals:
        """From (input, cache read, output, cache write, total, cost in nano-dollars,
        estimated) as ``USAGE_SUMS`` sums them."""
        inputs, cache_read, output, cache_write, total, nanos, estimated = sums
        return cls(
            int(inputs or 0),
            int(cache_read or 0),
            int(output or 0),
            int(cache_write or 0),
            int(total or 0),
            usd(int(nanos)) if nanos is not None else None,
            bool(estimated),
        )

    @property
    def cost_source(self) -> str | None:
        if self.cost_usd is None:
            return None
        return "estimated" if self.estimated else "provider"

    def to_json(self) -> JSONObject:
        usage: JSONObject = {
            "inputTokens": self.input_tokens,
            "cacheReadTokens": self.cache_read_tokens,
            "outputTokens": self.output_tokens,
            "cacheWriteTokens": self.cache_write_tokens,
            "totalTokens": self.total_tokens,
        }
        if self.cost_usd is not None:
            usage["costUsd"] = self.cost_usd
            usage["costSource"] = self.cost_source
        return usage


@record
class RunFilter:
    states: tuple[str, ...] = ()
    name: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None
    limit: int | None = 50

    @property
    def stored_states(self) -> tuple[str, ...]:
        """The stored statuses to select (an interrupted run is stored as running)."""
        return tuple(dict.fromkeys("running" if s == INTERRUPTED else s for s in self.states))

    @property
    def needs_owner_check(self) -> bool:
        """Whether running and interrupted runs must be told apart before the limit."""
        return "running" in self.stored_states and set(self.states) != {
            "running",
            INTERRUPTED,
        }

    def where(self, table: str) -> tuple[str, list[object]]:
        """The WHERE clause over the runs table known in the query as ``table``."""
        clauses: list[str] = []
        params: list[object] = []
        if self.states:
            stored = self.stored_states
            clauses.append(f"{table}.status IN ({','.join('?' * len(stored))})")
            params.extend(stored)
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


@record
class RunSummary:
    """One line of ``smol-wf history``."""

    run_id: str
    state: str
    metadata: JSONObject
    script_path: str
    created_at: int
    updated_at: int
    attempts: int
    completed_steps: int
    failed_steps: int
    total_tokens: int
    cost_usd: float | None
    forked_from: str | None = None

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", "-"))

    def to_json(self) -> JSONObject:
        summary: JSONObject = {
            "runID": self.run_id,
            "rootRunId": self.run_id,
            "state": self.state,
            "metadata": self.metadata,
            "scriptPath": self.script_path,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "attempts": self.attempts,
            "completedSteps": self.completed_steps,
            "failedSteps": self.failed_steps,
            "totalTokens": self.total_tokens,
            "costUsd": self.cost_usd,
        }
        if self.forked_from is not None:
            summary["forkedFrom"] = self.forked_from
        return summary


@record
class AttemptView:
    """One execution of a run: the first and each resume."""

    attempt_id: str
    number: int
    state: str
    pid: int | None
    host: str | None
    started_at: int
    finished_at: int | None
    failure: JSON

    def to_json(self) -> JSONObject:
        return {
            "attemptId": self.attempt_id,
            "attempt": self.number,
            "state": self.state,
            "workerId": f"pid {self.pid} on {self.host}",
            "startedAt": iso(self.started_at),
            "completedAt": iso(self.finished_at),
            "failureReason": self.failure,
        }


@record
class StepView:
    """One checkpoint of a run: an agent call, a sleep or a child workflow."""

    step_id: str
    kind: str
    checkpoint: str
    state: str
    calls: int
    started_at: int
    finished_at: int | None
    provider: str | None
    model: str | None
    phase: str | None
    session_id: str | None
    label: str | None
    prompt_preview: str
    usage: UsageTotals
    error: str | None = None
    refusals: JSON = None
    origin: Origin | None = None
    """Where its answer came from when the run called no provider for it."""

    @property
    def duration_ms(self) -> int | None:
        return self.finished_at - self.started_at if self.finished_at is not None else None

    def to_json(self) -> JSONObject:
        finished = self.finished_at if self.finished_at is not None else self.started_at
        step: JSONObject = {
            "stepId": self.step_id,
            "stepKind": self.kind,
            "checkpointName": self.checkpoint,
            "state": self.state,
            "attempts": self.calls,
            "createdAt": iso(self.started_at),
            "updatedAt": iso(finished),
            "durationMs": self.duration_ms,
            "agent": {
                "provider": self.provider,
                "model": self.model,
                "phase": self.phase,
                "sessionId": self.session_id,
                "label": self.label,
                "promptPreview": self.prompt_preview,
            },
            "tokenUsage": self.usage.to_json(),
        }
        if self.error is not None:
            step["error"] = self.error
        if self.refusals is not None:
            step["refusals"] = self.refusals
        if self.origin is not None:
            step.update(self.origin.fields())
        return step


@record
class RunDetail:
    """``smol-wf history RUN_ID``: the run, what it spent, its attempts and its steps."""

    run_id: str
    state: str
    metadata: JSONObject
    script_path: str
    args: JSON
    params: JSONObject
    created_at: int
    updated_at: int
    finished_at: int | None
    owner_pid: int | None
    owner_host: str | None
    failure: JSON
    result: JSON
    has_result: bool
    usage: UsageTotals
    usage_by_phase: dict[str, UsageTotals]
    usage_by_provider: dict[str, UsageTotals]
    attempts: list[AttemptView]
    steps: list[StepView]

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", "-"))

    @property
    def fork(self) -> tuple[str, list[str]] | None:
        """The run this one was forked from, and the ``--rerun`` selectors it was given."""
        fork = self.params.get(FORK_PARAM)
        if not isinstance(fork, dict) or not isinstance(source := fork.get("runId"), str):
            return None
        rerun = fork.get("rerun")
        return source, [str(item) for item in rerun] if isinstance(rerun, list) else []

    def to_json(self) -> JSONObject:
        run: JSONObject = {
            "runID": self.run_id,
            "rootRunId": self.run_id,
            "state": self.state,
            "metadata": self.metadata,
            "scriptPath": self.script_path,
            "args": self.args,
            "params": self.params,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "finishedAt": iso(self.finished_at),
        }
        if self.fork is not None:
            run["forkedFrom"] = self.fork[0]
        if self.owner_pid is not None:
            run["owner"] = {"pid": self.owner_pid, "host": self.owner_host}
        if self.failure is not None:
            run["failureReason"] = self.failure
        detail: JSONObject = {"workflowRun": run}
        if self.has_result:
            detail["results"] = self.result
        usage = self.usage.to_json()
        usage["byPhase"] = {phase: sums.to_json() for phase, sums in self.usage_by_phase.items()}
        usage["byProvider"] = {
            name: sums.to_json() for name, sums in self.usage_by_provider.items()
        }
        detail["tokenUsage"] = usage
        detail["attempts"] = [attempt.to_json() for attempt in self.attempts]
        detail["steps"] = [step.to_json() for step in self.steps]
        return detail


LIST_SQL = """
SELECT r.run_id, r.status, r.owner_pid, r.owner_host, r.heartbeat_at,
  r.meta_json, r.script_path, r.created_at, r.updated_at,
  (SELECT count(*) FROM attempts a WHERE a.run_id = r.run_id),
  (SELECT count(*) FROM steps s WHERE s.run_id = r.run_id AND s.status = 'completed'),
  (SELECT count(*) FROM steps s WHERE s.run_id = r.run_id AND s.status = 'failed'),
  (SELECT coalesce(sum(total_tokens), 0) FROM usage_ledger l WHERE l.run_id = r.run_id),
  (SELECT sum(CAST(round(cost_usd * 1e9) AS INTEGER)) FROM usage_ledger l
   WHERE l.run_id = r.run_id),
  json_extract(r.params_json, '$.fork.runId')
FROM runs r
"""
USAGE_SUMS = (
    "coalesce(sum(input_tokens),0), coalesce(sum(cache_read_tokens),0),"
    " coalesce(sum(output_tokens),0), coalesce(sum(cache_write_tokens),0),"
    " coalesce(sum(total_tokens),0), sum(CAST(round(cost_usd * 1e9) AS INTEGER)),"
    " coalesce(max(cost_estimated), 0)"
)
"""A usage's sums; costs in whole nano-dollars, as ``smolwf.usage.cost_nanos`` rounds them."""


class History:
    """Read-side view of one database."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    def list_runs(self, run_filter: RunFilter) -> list[RunSummary]:
        where, params = run_filter.where("r")
        sql = LIST_SQL + where + " ORDER BY r.created_at DESC, r.run_id DESC"
        limit = run_filter.limit
        if limit is not None and not run_filter.needs_owner_check:
            sql += f" LIMIT {int(limit)}"
        runs = []
        for row in self.conn.execute(sql, params):
            run_id, status, pid, host, heartbeat, meta, script, created, updated = row[:9]
            attempts, completed, failed, tokens, nanos, fork = row[9:]
            state = shown_state(status, pid, host, heartbeat)
            if run_filter.states and state not in run_filter.states:
                continue
            cost = usd(nanos) if nanos is not None else None
            runs.append(
                RunSummary(
                    run_id, state, json.loads(meta), script, created, updated,
                    attempts, completed, failed, tokens, cost, fork,
                )
            )  # fmt: skip
            if limit is not None and len(runs) >= limit:
                break
        return runs

    def run_detail(self, run_id: str) -> RunDetail | None:
        row = self.conn.execute(
            "SELECT status, meta_json, script_path, args_json, params_json, result_json,"
            " error_json, owner_pid, owner_host, heartbeat_at, created_at, updated_at,"
            " finished_at FROM runs WHERE run_id = ?",
            (run_id,),
        ).fetchone()
        if row is None:
            return None
        (status, meta, script, args, params, result, error, pid, host, heartbeat) = row[:10]
        created, updated, finished = row[10:]
        return RunDetail(
            run_id=run_id,
            state=shown_state(status, pid, host, heartbeat),
            metadata=json.loads(meta),
            script_path=script,
            args=json.loads(args),
            params=json.loads(params),
            created_at=created,
            updated_at=updated,
            finished_at=finished,
            owner_pid=pid,
            owner_host=host,
            failure=json.loads(error) if error is not None else None,
            result=json.loads(result).get("result") if result is not None else None,
            has_result=result is not None,
            usage=self._usage(run_id),
            usage_by_phase=self._usage_by("coalesce(phase, '(none)')", run_id),
            usage_by_provider=self._usage_by("provider", run_id),
            attempts=self._attempts(run_id),
            steps=self._steps(run_id),
        )

    def _usage(self, run_id: str) -> UsageTotals:
        sql = f"SELECT {USAGE_SUMS} FROM usage_ledger WHERE run_id = ?"
        return UsageTotals.of(self.conn.execute(sql, (run_id,)).fetchone())

    def _usage_by(self, column: str, run_id: str) -> dict[str, UsageTotals]:
        """The ledger's sums grouped by ``column`` (SQL), in first-spent order."""
        rows = self.conn.execute(
            f"SELECT {column}, {USAGE_SUMS} FROM usage_ledger WHERE run_id = ?"
            f" GROUP BY {column} ORDER BY min(entry_id)",
            (run_id,),
        )
        return {name: UsageTotals.of(sums) for name, *sums in rows}

    def _attempts(self, run_id: str) -> list[AttemptView]:
        rows = self.conn.execute(
            "SELECT attempt_id, number, status, pid, host, started_at, finished_at, error_json"
            " FROM attempts WHERE run_id = ? ORDER BY number",
            (run_id,),
        )
        return [
            AttemptView(
                attempt_id, number, state, pid, host, started, finished,
                failure=json.loads(error) if error else None,
            )
            for attempt_id, number, state, pid, host, started, finished, error in rows
        ]  # fmt: skip

    def _steps(self, run_id: str) -> list[StepView]:
        rows = self.conn.execute(
            "SELECT step_id, kind, checkpoint_key, status, calls, started_at, finished_at,"
            " provider, model, phase, session_id, label, input_tokens, cache_read_tokens,"
            " output_tokens, cache_write_tokens, total_tokens,"
            " CAST(round(cost_usd * 1e9) AS INTEGER), cost_estimated,"
            " coalesce(json_extract(input_json, '$.prompt'),"
            " json_extract(input_json, '$.message')),"
            " json_extract(error_json, '$.message'),"
            " coalesce(json_extract(result_json, '$.refusals'),"
            " json_extract(error_json, '$.refusals')), origin_json"
            " FROM steps WHERE run_id = ? ORDER BY started_at, step_id",
            (run_id,),
        )
        steps = []
        for row in rows:
            (step_id, kind, checkpoint, state, calls, started, finished) = row[:7]
            (provider, model, phase, session_id, label) = row[7:12]
            prompt, error, refusals, origin = row[19:]
            steps.append(
                StepView(
                    step_id, kind, checkpoint, state, calls, started, finished,
                    provider, model, phase, session_id, label,
                    prompt_preview=str(prompt or "")[:80],
                    usage=UsageTotals.of(row[12:19]),
                    error=error,
                    refusals=json.loads(refusals) if refusals else None,
                    origin=Origin.from_json(json.loads(origin)) if origin else None,
                )
            )  # fmt: skip
        return steps

    def events(self, run_id: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT body FROM events WHERE run_id = ? ORDER BY first_seq", (run_id,)
        )
        return [line for row in rows for line in row[0].split("\n")]

    def run_exists(self, run_id: str) -> bool:
        found = self.conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return found is not None


@record
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
    created = [created_at for _, _, created_at in rows]
    return DeletePlan(
        [run_id for run_id, _, _ in rows],
        by_state,
        min(created, default=None),
        max(created, default=None),
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
