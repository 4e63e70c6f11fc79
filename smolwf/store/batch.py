"""The writes of one engine turn, committed together in one transaction.

Durable steps are cheap because a turn's writes are shaped before they reach SQLite:
a step that starts and finishes before its ``running`` row had to be written becomes one
final row instead of an insert and an update, and the turn's events become one JSONL
chunk. A ``running`` row is written when the engine is about to wait for work (so a
long call is visible while it runs), when a ledger entry needs its step, or at the end.

Finished steps and ledger entries go in as a few multi-row statements, not a statement
per row: each statement lets go of the GIL once, which a commit on a thread of its own
(``store/writer.py``) needs to run beside the loop.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from smolwf.clock import now_ms
from smolwf.usage import Usage

STEP_RUNNING_INTO = """
INSERT INTO steps (step_id, run_id, scope, checkpoint_key, kind, status, phase, provider, model,
                   label, input_json, first_attempt_id, last_attempt_id, started_at, cache_key)
"""
STEP_RUNNING_UPSERT = """
ON CONFLICT (run_id, checkpoint_key) DO UPDATE SET
  status = 'running', provider = excluded.provider, model = excluded.model,
  last_attempt_id = excluded.last_attempt_id, started_at = excluded.started_at,
  finished_at = NULL, error_json = NULL, cache_key = excluded.cache_key, origin_json = NULL
"""

STEP_FINAL_INTO = """
INSERT INTO steps (step_id, run_id, scope, checkpoint_key, kind, status, phase, provider, model,
                   label, input_json, first_attempt_id, last_attempt_id, started_at, cache_key,
                   origin_json, result_json, error_json, session_id, calls, input_tokens,
                   output_tokens, cache_read_tokens, cache_write_tokens, total_tokens, cost_usd,
                   cost_estimated, finished_at)
"""
STEP_FINAL_UPSERT = """
ON CONFLICT (run_id, checkpoint_key) DO UPDATE SET
  status = excluded.status, provider = excluded.provider, cache_key = excluded.cache_key,
  origin_json = excluded.origin_json,
  model = coalesce(excluded.model, steps.model), result_json = excluded.result_json,
  error_json = excluded.error_json, session_id = coalesce(excluded.session_id, steps.session_id),
  calls = steps.calls + excluded.calls, input_tokens = steps.input_tokens + excluded.input_tokens,
  output_tokens = steps.output_tokens + excluded.output_tokens,
  cache_read_tokens = steps.cache_read_tokens + excluded.cache_read_tokens,
  cache_write_tokens = steps.cache_write_tokens + excluded.cache_write_tokens,
  total_tokens = steps.total_tokens + excluded.total_tokens,
  cost_usd = CASE WHEN excluded.cost_usd IS NULL THEN steps.cost_usd
                  ELSE coalesce(steps.cost_usd, 0) + excluded.cost_usd END,
  cost_estimated = max(steps.cost_estimated, excluded.cost_estimated),
  last_attempt_id = excluded.last_attempt_id, started_at = excluded.started_at,
  finished_at = excluded.finished_at
"""

STEP_FINISHED = """
UPDATE steps SET status = ?, result_json = ?, error_json = ?, model = coalesce(?, model),
  session_id = coalesce(?, session_id), calls = calls + ?, input_tokens = input_tokens + ?,
  output_tokens = output_tokens + ?, cache_read_tokens = cache_read_tokens + ?,
  cache_write_tokens = cache_write_tokens + ?, total_tokens = total_tokens + ?,
  cost_usd = CASE WHEN ? IS NULL THEN cost_usd ELSE coalesce(cost_usd, 0) + ? END,
  cost_estimated = max(cost_estimated, ?), finished_at = ?
WHERE step_id = ?
"""

LEDGER_ENTRY_INTO = """
INSERT INTO usage_ledger (run_id, step_id, attempt_id, provider, model, phase, outcome,
  input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, total_tokens, cost_usd,
  cost_estimated, created_at)
"""

REQUEST_OPEN = """
INSERT INTO human_requests (request_id, run_id, step_id, kind, status, name, label, message,
  schema_json, on_timeout, deadline_at, created_at)
VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?)
"""

RUN_STATE = """
UPDATE runs SET status = ?, updated_at = ? WHERE run_id = ? AND status IN ('running', 'waiting')
"""

PROCESS_OPENED = """
INSERT OR REPLACE INTO processes (run_id, pid, start_ticks, boot_id, host, attempt_id, started_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
"""

PROCESS_CLOSED = "DELETE FROM processes WHERE run_id = ? AND pid = ?"

EVENT_CHUNK = """
INSERT INTO events (run_id, first_seq, last_seq, attempt_id, body, created_at)
VALUES (?, ?, ?, ?, ?, ?)
"""


class ManyRows:
    """An INSERT of many rows in one statement, the rows chunked into a few sizes so SQLite
    prepares (and the connection caches) a handful of statements, not one per count."""

    LARGEST = 256
    PADDED_BELOW = 32
    """A last chunk smaller than this is padded with rows of NULLs up to a power of two,
    which the statement filters out: at most six statements for any count."""

    def __init__(self, into: str, columns: int, upsert: str = "") -> None:
        self.into = into
        self.columns = columns
        self.upsert = upsert
        self._texts: dict[tuple[int, bool], str] = {}

    def insert(self, conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
        columns = self.columns
        room = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // columns
        largest = min(self.LARGEST, 1 << (room.bit_length() - 1))
        start, count = 0, len(rows)
        while start < count:
            left = count - start
            padded = 1 << left.bit_length()
            if left < self.PADDED_BELOW and left & (left - 1) and padded <= largest:
                size, padding = padded, padded - left
            else:
                size, padding = min(largest, 1 << (left.bit_length() - 1)), 0
            values = list(chain.from_iterable(rows[start : start + size]))
            if padding:
                values.extend([None] * (padding * columns))
            conn.execute(self._text(size, padding > 0), values)
            start += size

    def _text(self, size: int, padded: bool) -> str:
        text = self._texts.get((size, padded))
        if text is None:
            row = "(" + ", ".join(["?"] * self.columns) + ")"
            values = "VALUES " + ", ".join([row] * size)
            if padded:  # WHERE also settles how SQLite parses an upsert after a SELECT
                values = f"SELECT * FROM ({values}) WHERE column1 IS NOT NULL"
            text = self._texts[size, padded] = f"{self.into}{values}{self.upsert}"
        return text


STEP_STARTS = ManyRows(STEP_RUNNING_INTO, 15, STEP_RUNNING_UPSERT)
STEP_FINALS = ManyRows(STEP_FINAL_INTO, 28, STEP_FINAL_UPSERT)
LEDGER_ENTRIES = ManyRows(LEDGER_ENTRY_INTO, 15)


DETACHED_UPDATES = 16
"""Updates of ``running`` rows a batch committed on another thread may hold: each is a
statement of its own, and each statement waits for the GIL once."""


UsageColumns = tuple[int, int, int, int, int, float | None, int]
"""input, output, cache read, cache write and total tokens, cost, whether it is estimated:
as steps and the ledger store them."""
NO_USAGE: UsageColumns = (0, 0, 0, 0, 0, None, 0)


def _usage_columns(spent: Usage) -> UsageColumns:
    return (
        spent.input_tokens,
        spent.output_tokens,
        spent.cache_read_tokens,
        spent.cache_write_tokens,
        spent.total,
        spent.cost_usd,
        1 if spent.estimated else 0,
    )


@dataclass(slots=True)
class StepStart:
    """A checkpoint beginning to run in this attempt; ``input_json`` is what was asked."""

    step_id: str
    scope: str
    checkpoint: str
    kind: str
    input_json: str
    started_at: int
    phase: str | None = None
    provider: str | None = None
    model: str | None = None
    label: str | None = None
    cache_key: str | None = None
    """Set when a later run may reuse the answer (see ``engine/cache.py``)."""
    origin_json: str | None = None
    """Where the answer came from when no provider was called for it (``store/origin.py``)."""


@dataclass(slots=True)
class StepEnd:
    """How a checkpoint ended; ``spent`` and ``calls`` are this attempt's share."""

    status: str
    finished_at: int
    result_json: str | None = None
    error_json: str | None = None
    model: str | None = None
    session_id: str | None = None
    calls: int = 0
    spent: Usage | None = None


@dataclass(slots=True)
class LedgerEntry:
    """One provider call, successful or not: what it cost and how it ended.

    ``outcome`` is ``ok``, ``failed`` or ``invalid-output`` (a schema mismatch)."""

    step_id: str
    provider: str
    model: str | None
    phase: str | None
    outcome: str
    spent: Usage
    created_at: int


@dataclass(slots=True)
class RequestOpen:
    """A request to a person (an approval or a signal) that answers may now arrive for."""

    request_id: str
    step_id: str
    kind: str
    name: str | None
    label: str | None
    message: str | None
    schema_json: str | None
    on_timeout: str | None
    deadline_at: int | None
    created_at: int


@dataclass(slots=True)
class WriteBatch:
    """Collects a turn's writes for one attempt of a run; ``apply`` writes them in an order
    the foreign keys accept."""

    run_id: str
    attempt_id: str
    running: dict[str, StepStart] = field(default_factory=dict)
    """Started steps whose ``running`` row is not written yet."""
    finals: list[tuple[Any, ...]] = field(default_factory=list)
    updates: list[tuple[Any, ...]] = field(default_factory=list)
    ledger: list[tuple[Any, ...]] = field(default_factory=list)
    processes: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    """Guarded process groups opened and closed, in order (statement, parameters)."""
    requests: list[tuple[Any, ...]] = field(default_factory=list)
    run_state: str | None = None
    """``running`` or ``waiting``: the run's state changed this turn (see ``RunStore``)."""
    events: list[tuple[int, str]] = field(default_factory=list)
    events_at: int = 0
    """When the first of ``events`` was emitted: the chunk's ``created_at``."""

    def step_started(self, start: StepStart) -> None:
        self.running[start.step_id] = start

    def step_finished(self, step_id: str, end: StepEnd) -> None:
        """One final row when the ``running`` row was never written, else an update."""
        start = self.running.pop(step_id, None)
        usage = NO_USAGE if end.spent is None else _usage_columns(end.spent)
        if start is not None:
            attempt = self.attempt_id
            self.finals.append(
                (
                    start.step_id,
                    self.run_id,
                    start.scope,
                    start.checkpoint,
                    start.kind,
                    end.status,
                    start.phase,
                    start.provider,
                    end.model or start.model,
                    start.label,
                    start.input_json,
                    attempt,
                    attempt,
                    start.started_at,
                    start.cache_key,
                    start.origin_json,
                    end.result_json,
                    end.error_json,
                    end.session_id,
                    end.calls,
                    *usage,
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
                end.calls,
                *usage[:6],
                usage[5],
                usage[6],
                end.finished_at,
                step_id,
            )
        )

    def ledger_entry(self, entry: LedgerEntry) -> None:
        self.ledger.append(
            (
                self.run_id,
                entry.step_id,
                self.attempt_id,
                entry.provider,
                entry.model,
                entry.phase,
                entry.outcome,
                *_usage_columns(entry.spent),
                entry.created_at,
            )
        )

    def process_opened(self, pid: int, start_ticks: int, boot_id: str, host: str) -> None:
        row = (self.run_id, pid, start_ticks, boot_id, host, self.attempt_id, now_ms())
        self.processes.append((PROCESS_OPENED, row))

    def process_closed(self, pid: int) -> None:
        self.processes.append((PROCESS_CLOSED, (self.run_id, pid)))

    def request_opened(self, request: RequestOpen) -> None:
        self.requests.append(
            (
                request.request_id,
                self.run_id,
                request.step_id,
                request.kind,
                request.name,
                request.label,
                request.message,
                request.schema_json,
                request.on_timeout,
                request.deadline_at,
                request.created_at,
            )
        )

    def event(self, seq: int, text: str) -> None:
        if not self.events:
            self.events_at = now_ms()
        self.events.append((seq, text))

    @property
    def event_count(self) -> int:
        """Events written and not yet applied."""
        return len(self.events)

    @property
    def rows(self) -> int:
        """Finished steps and ledger entries waiting: what a commit's cost grows with."""
        return len(self.finals) + len(self.updates) + len(self.ledger)

    @property
    def detachable(self) -> bool:
        """Holds only writes that no other writer orders itself after (finished steps,
        ledger entries, events; not requests to a person, the run's state or process
        groups), and few updates of ``running`` rows, which go in one statement each."""
        other = self.requests or self.run_state is not None or self.processes
        return not other and len(self.updates) <= DETACHED_UPDATES

    def detach(self) -> WriteBatch:
        """Move the writes a commit without ``flush_running`` would make into a batch of
        their own, which writes all its ``running`` rows; the other starts stay here."""
        referred = self._take_referred()
        moved = WriteBatch(self.run_id, self.attempt_id)
        moved.running = {start.step_id: start for start in referred}
        moved.finals, self.finals = self.finals, []
        moved.updates, self.updates = self.updates, []
        moved.ledger, self.ledger = self.ledger, []
        moved.requests, self.requests = self.requests, []
        moved.processes, self.processes = self.processes, []
        moved.run_state, self.run_state = self.run_state, None
        moved.events, self.events = self.events, []
        moved.events_at = self.events_at
        return moved

    def has_writes(self, *, flush_running: bool) -> bool:
        running = flush_running and bool(self.running)
        human = bool(self.requests) or self.run_state is not None
        writes = self.finals or self.updates or self.ledger or self.events or self.processes
        return running or human or bool(writes)

    def apply(self, conn: sqlite3.Connection, *, flush_running: bool) -> None:
        """Write everything (inside the caller's transaction), then forget it.

        ``running`` rows are written only with ``flush_running`` or when a ledger entry or
        a request to a person refers to their step (a resume must find the step a request
        was made for); the others wait for the step's end or a later flush.
        """
        starts = self._starts_to_write(flush_running)
        if starts:
            STEP_STARTS.insert(conn, starts)
        if self.finals:
            STEP_FINALS.insert(conn, self.finals)
            self.finals.clear()
        if self.ledger:
            LEDGER_ENTRIES.insert(conn, self.ledger)
            self.ledger.clear()
        if self.updates:
            conn.executemany(STEP_FINISHED, self.updates)
            self.updates.clear()
        if self.requests:
            conn.executemany(REQUEST_OPEN, self.requests)
            self.requests.clear()
        if self.run_state is not None:
            conn.execute(RUN_STATE, (self.run_state, now_ms(), self.run_id))
            self.run_state = None
        if self.events:
            conn.execute(EVENT_CHUNK, self._event_chunk())
            self.events.clear()
        for statement, row in self.processes:
            conn.execute(statement, row)
        self.processes.clear()

    def _take_referred(self) -> list[StepStart]:
        """Take the unwritten starts a ledger entry or a request to a person refers to."""
        running = self.running
        if not running:
            return []
        referred = {row[1] for row in self.ledger} | {row[2] for row in self.requests}
        return [running.pop(step_id) for step_id in referred & running.keys()]

    def _starts_to_write(self, flush_running: bool) -> list[tuple[Any, ...]]:
        if flush_running:
            starts = list(self.running.values())
            self.running.clear()
        else:
            starts = self._take_referred()
        if not starts:
            return []
        run, attempt = self.run_id, self.attempt_id
        return [
            (
                s.step_id,
                run,
                s.scope,
                s.checkpoint,
                s.kind,
                "running",
                s.phase,
                s.provider,
                s.model,
                s.label,
                s.input_json,
                attempt,
                attempt,
                s.started_at,
                s.cache_key,
            )
            for s in starts
        ]

    def _event_chunk(self) -> tuple[Any, ...]:
        """One row for the batch's events, in order, one JSON object per line."""
        events = self.events
        body = "\n".join([text for _, text in events])
        return (self.run_id, events[0][0], events[-1][0], self.attempt_id, body, self.events_at)
