"""The writes of one engine turn, committed together in one transaction.

Durable steps are cheap because a turn's writes are shaped before they reach SQLite:
a step that starts and finishes within the turn becomes one final row instead of an
insert and an update, and the turn's events become one JSONL chunk.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from smolwf.usage import Usage

STEP_RUNNING = """
INSERT INTO steps (step_id, run_id, scope, checkpoint_key, kind, status, phase, provider, model,
                   label, input_json, first_attempt_id, last_attempt_id, started_at)
VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (run_id, checkpoint_key) DO UPDATE SET
  status = 'running', provider = excluded.provider, model = excluded.model,
  last_attempt_id = excluded.last_attempt_id, started_at = excluded.started_at,
  finished_at = NULL, error_json = NULL
"""

STEP_FINAL = """
INSERT INTO steps (step_id, run_id, scope, checkpoint_key, kind, status, phase, provider, model,
                   label, input_json, first_attempt_id, last_attempt_id, started_at,
                   result_json, error_json, session_id, calls, input_tokens, output_tokens,
                   cache_read_tokens, cache_write_tokens, total_tokens, cost_usd, finished_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (run_id, checkpoint_key) DO UPDATE SET
  status = excluded.status, provider = excluded.provider,
  model = coalesce(excluded.model, steps.model), result_json = excluded.result_json,
  error_json = excluded.error_json, session_id = coalesce(excluded.session_id, steps.session_id),
  calls = steps.calls + excluded.calls, input_tokens = steps.input_tokens + excluded.input_tokens,
  output_tokens = steps.output_tokens + excluded.output_tokens,
  cache_read_tokens = steps.cache_read_tokens + excluded.cache_read_tokens,
  cache_write_tokens = steps.cache_write_tokens + excluded.cache_write_tokens,
  total_tokens = steps.total_tokens + excluded.total_tokens,
  cost_usd = CASE WHEN excluded.cost_usd IS NULL THEN steps.cost_usd
                  ELSE coalesce(steps.cost_usd, 0) + excluded.cost_usd END,
  last_attempt_id = excluded.last_attempt_id, started_at = excluded.started_at,
  finished_at = excluded.finished_at
"""

STEP_FINISHED = """
UPDATE steps SET status = ?, result_json = ?, error_json = ?, model = coalesce(?, model),
  session_id = coalesce(?, session_id), calls = calls + ?, input_tokens = input_tokens + ?,
  output_tokens = output_tokens + ?, cache_read_tokens = cache_read_tokens + ?,
  cache_write_tokens = cache_write_tokens + ?, total_tokens = total_tokens + ?,
  cost_usd = CASE WHEN ? IS NULL THEN cost_usd ELSE coalesce(cost_usd, 0) + ? END, finished_at = ?
WHERE step_id = ?
"""

LEDGER_ENTRY = """
INSERT INTO usage_ledger (run_id, step_id, attempt_id, provider, model, phase, outcome,
  input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, total_tokens, cost_usd,
  created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""

EVENT_CHUNK = """
INSERT INTO events (run_id, first_seq, last_seq, attempt_id, body, created_at)
VALUES (?, ?, ?, ?, ?, ?)
"""


@dataclass(frozen=True, slots=True)
class StepStart:
    """A checkpoint beginning to run; ``input_json`` is what was asked."""

    step_id: str
    run_id: str
    scope: str
    checkpoint: str
    kind: str
    phase: str | None
    provider: str | None
    model: str | None
    label: str | None
    input_json: str
    attempt_id: str
    started_at: int

    def row(self) -> tuple[Any, ...]:
        return (
            self.step_id,
            self.run_id,
            self.scope,
            self.checkpoint,
            self.kind,
            self.phase,
            self.provider,
            self.model,
            self.label,
            self.input_json,
            self.attempt_id,
            self.attempt_id,
            self.started_at,
        )


@dataclass(frozen=True, slots=True)
class StepEnd:
    """How a checkpoint ended; ``spent`` and ``calls`` are this execution's share."""

    status: str
    result_json: str | None
    error_json: str | None
    model: str | None
    session_id: str | None
    calls: int
    spent: Usage
    finished_at: int

    def usage_row(self) -> tuple[Any, ...]:
        s = self.spent
        return (
            self.calls,
            s.input_tokens,
            s.output_tokens,
            s.cache_read_tokens,
            s.cache_write_tokens,
            s.total,
        )


@dataclass(slots=True)
class WriteBatch:
    """Collects a turn's writes; ``apply`` writes them in an order the foreign keys accept."""

    running: dict[str, StepStart] = field(default_factory=dict)
    finals: list[tuple[Any, ...]] = field(default_factory=list)
    updates: list[tuple[Any, ...]] = field(default_factory=list)
    ledger: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[str, str, int, str, int]] = field(default_factory=list)

    def step_started(self, start: StepStart) -> None:
        self.running[start.step_id] = start

    def step_finished(self, step_id: str, end: StepEnd) -> None:
        start = self.running.pop(step_id, None)
        if start is not None:
            self.finals.append(
                (
                    start.step_id,
                    start.run_id,
                    start.scope,
                    start.checkpoint,
                    start.kind,
                    end.status,
                    start.phase,
                    start.provider,
                    end.model or start.model,
                    start.label,
                    start.input_json,
                    start.attempt_id,
                    start.attempt_id,
                    start.started_at,
                    end.result_json,
                    end.error_json,
                    end.session_id,
                    *end.usage_row(),
                    end.spent.cost_usd,
                    end.finished_at,
                )
            )
            return
        self.updates.append(
            (
                end.status,
                end.result_json,
                end.error_json,
                end.model,
                end.session_id,
                *end.usage_row(),
                end.spent.cost_usd,
                end.spent.cost_usd,
                end.finished_at,
                step_id,
            )
        )

    def ledger_entry(self, row: tuple[Any, ...]) -> None:
        self.ledger.append(row)

    def event(self, run_id: str, attempt_id: str, seq: int, text: str, at: int) -> None:
        self.events.append((run_id, attempt_id, seq, text, at))

    def __bool__(self) -> bool:
        return bool(self.running or self.finals or self.updates or self.ledger or self.events)

    def apply(self, conn: sqlite3.Connection) -> None:
        """Write everything (inside the caller's transaction), then forget it."""
        if self.running:
            conn.executemany(STEP_RUNNING, [start.row() for start in self.running.values()])
        if self.finals:
            conn.executemany(STEP_FINAL, self.finals)
        if self.ledger:
            conn.executemany(LEDGER_ENTRY, self.ledger)
        if self.updates:
            conn.executemany(STEP_FINISHED, self.updates)
        if self.events:
            conn.executemany(EVENT_CHUNK, _chunks(self.events))
        self.running.clear()
        self.finals.clear()
        self.updates.clear()
        self.ledger.clear()
        self.events.clear()


def _chunks(events: list[tuple[str, str, int, str, int]]) -> list[tuple[Any, ...]]:
    """One row per run and attempt: the events in order, one JSON object per line."""
    chunks: list[tuple[Any, ...]] = []
    start = 0
    while start < len(events):
        run_id, attempt_id, first_seq, _, at = events[start]
        end = start
        while end + 1 < len(events) and events[end + 1][:2] == (run_id, attempt_id):
            end += 1
        body = "\n".join(item[3] for item in events[start : end + 1])
        chunks.append((run_id, first_seq, events[end][2], attempt_id, body, at))
        start = end + 1
    return chunks
