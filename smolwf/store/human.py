"""What workflows ask of a person (approvals, signals): opened by the engine, answered
from anywhere, listed by the inbox.

Answers come from other processes (``smol-wf approve``, the TUI, a web view). Each is
one IMMEDIATE transaction that changes only a row still ``pending``, so of two answers
to one request exactly one wins, and an answer to a request that is answered, timed out
or whose run ended is refused with one line saying which. The waiting engine notices an
answer by polling ``PRAGMA data_version``, which changes only when another connection
commits.
"""

from __future__ import annotations

import json
import shlex
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from smolwf.clock import iso, now_ms
from smolwf.errors import AnswerRefused
from smolwf.jsontypes import JSON, JSONObject, clean_text, without_lone_surrogates
from smolwf.records import record
from smolwf.store.db import Transaction

RequestKind = Literal["approval", "signal"]
RequestStatus = Literal["pending", "answered", "timed_out", "closed"]
TIMEOUT_BY = "timeout"
"""``by`` of a request its deadline decided."""
ENDED_STATES = ("completed", "failed")
"""Run states whose requests can no longer be answered (a cancelled run resumes)."""

_COLUMNS = (
    "request_id, run_id, step_id, kind, status, name, label, message, schema_json,"
    " on_timeout, deadline_at, created_at, answer_json, answered_by, answered_at"
)


@record
class HumanRequest:
    """One time a workflow asked a person, as stored."""

    request_id: str
    run_id: str
    step_id: str
    kind: RequestKind
    status: RequestStatus
    name: str | None
    """A signal's name."""
    label: str | None
    """An approval's label."""
    message: str | None
    schema: JSON
    """A signal's JSON Schema, or None."""
    on_timeout: str | None
    deadline_at: int | None
    created_at: int
    answer: JSON = None
    """An approval's ``{approved, note}``, a signal's payload."""
    answered_by: str | None = None
    answered_at: int | None = None

    @property
    def title(self) -> str:
        """How a person recognises the request: its label or signal name, else its id."""
        return self.label or self.name or self.request_id

    def expired(self, now: int) -> bool:
        return self.deadline_at is not None and now >= self.deadline_at

    def approval(self) -> JSONObject:
        """What ``requestApproval()`` resolves to: ``{approved, note, by, at}``."""
        answer = self.answer if isinstance(self.answer, dict) else {}
        return {
            "approved": answer.get("approved") is True,
            "note": answer.get("note") if isinstance(answer.get("note"), str) else None,
            "by": self.answered_by or "",
            "at": iso(self.answered_at) or "",
        }

    def commands(self, db_path: Path) -> list[str]:
        """The commands that answer it: approve and deny, or signal."""
        run, db = shlex.quote(self.run_id), shlex.quote(str(db_path))
        if self.kind == "signal":
            name = shlex.quote(self.name or "")
            return [f"smol-wf signal {run} {name} --data '<json>' --db {db}"]
        request = shlex.quote(self.request_id)
        return [f"smol-wf {verb} {run} {request} --db {db}" for verb in ("approve", "deny")]

    def to_json(self, db_path: Path) -> JSONObject:
        shown: JSONObject = {
            "requestId": self.request_id,
            "runID": self.run_id,
            "kind": self.kind,
            "status": self.status,
            "label": self.label,
            "message": self.message,
            "name": self.name,
            "since": iso(self.created_at),
            "deadline": iso(self.deadline_at),
            "commands": list(self.commands(db_path)),
        }
        if self.kind == "signal":
            shown["schema"] = self.schema
        return shown


@record
class InboxEntry:
    """A pending request and the workflow that waits for it."""

    request: HumanRequest
    workflow_name: str
    run_state: str

    def to_json(self, db_path: Path, now: int) -> JSONObject:
        shown = self.request.to_json(db_path)
        shown["workflow"] = self.workflow_name
        shown["runState"] = self.run_state
        shown["expired"] = self.request.expired(now)
        return shown


@record
class Decision:
    """A person's answer to an approval."""

    approved: bool
    note: str | None = None


@record
class Payload:
    """The JSON a signal carries."""

    data: JSON


@record
class Reply:
    """An answer for a run: ``target`` is a request id, an approval's label or a signal's
    name (None: the run's one pending approval)."""

    run_id: str
    target: str | None
    answer: Decision | Payload
    by: str

    @property
    def kind(self) -> RequestKind:
        return "approval" if isinstance(self.answer, Decision) else "signal"


def _row(row: Sequence[Any]) -> HumanRequest:
    """A ``human_requests`` row (``_COLUMNS``, in order) as a ``HumanRequest``."""
    request_id, run_id, step_id, kind, status, name, label, message, schema = row[:9]
    on_timeout, deadline, created, answer, by, at = row[9:]
    return HumanRequest(
        request_id, run_id, step_id, kind, status, name, label, message, _decoded(schema),
        on_timeout, deadline, created, _decoded(answer), by, at,
    )  # fmt: skip


def _decoded(text: str | None) -> JSON:
    return json.loads(text) if text is not None else None


def _stale(request: HumanRequest) -> str:
    """Why ``request`` can no longer be answered, in one line."""
    at = iso(request.answered_at)
    if request.status == "closed":
        return f"request {request.request_id} is closed: its run ended without it"
    if request.status == "timed_out":
        if request.kind == "approval":
            decided = "approved" if request.approval()["approved"] else "denied"
            return f"request {request.request_id} timed out at {at} and was {decided} (onTimeout)"
        return f"request {request.request_id} (signal '{request.name}') timed out at {at}"
    if request.kind == "approval":
        decided = "approved" if request.approval()["approved"] else "denied"
        return (
            f"request {request.request_id} was already {decided} by {request.answered_by} at {at}"
        )
    return (
        f"request {request.request_id} already received signal '{request.name}' "
        f"from {request.answered_by} at {at}"
    )


class HumanRequests:
    """The requests of one database: the engine's side and the answering side."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self._version: int | None = None

    # ---- the waiting engine ---------------------------------------------------

    def changed(self) -> bool:
        """Whether another connection committed since the last call (cheap: no table read)."""
        version = int(self.conn.execute("PRAGMA data_version").fetchone()[0])
        changed, self._version = version != self._version, version
        return changed

    def settled(self, request_ids: Sequence[str]) -> list[HumanRequest]:
        """Those of ``request_ids`` that are no longer pending."""
        marks = ",".join("?" * len(request_ids))
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM human_requests"
            f" WHERE request_id IN ({marks}) AND status != 'pending' ORDER BY rowid",
            list(request_ids),
        )
        return [_row(row) for row in rows]

    def latest(self, run_id: str, step_id: str) -> HumanRequest | None:
        """The step's most recent request, if it asked before."""
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM human_requests WHERE run_id = ? AND step_id = ?"
            " ORDER BY created_at DESC, rowid DESC LIMIT 1",
            (run_id, step_id),
        ).fetchone()
        return _row(row) if row is not None else None

    def expire(self, request: HumanRequest, now: int) -> HumanRequest | None:
        """Decide a request whose deadline passed, unless an answer won the race; the row
        as it ends (None when it is not stored yet)."""
        with Transaction(self.conn, self.path):
            self._time_out(request.request_id, now)
            row = self.conn.execute(
                f"SELECT {_COLUMNS} FROM human_requests WHERE request_id = ?",
                (request.request_id,),
            ).fetchone()
        found = _row(row) if row is not None else None
        return found if found is not None and found.status != "pending" else None

    def _time_out(self, request_id: str, now: int) -> bool:
        """Inside a transaction: the deadline decides a pending, expired request."""
        done = self.conn.execute(
            "UPDATE human_requests SET status = 'timed_out', answered_by = ?,"
            " answered_at = deadline_at, answer_json = CASE kind WHEN 'approval' THEN"
            " json_object('approved', json(CASE on_timeout WHEN 'approve' THEN 'true'"
            " ELSE 'false' END), 'note', NULL) END"
            " WHERE request_id = ? AND status = 'pending' AND deadline_at <= ?",
            (TIMEOUT_BY, request_id, now),
        )
        return done.rowcount == 1

    # ---- the inbox --------------------------------------------------------------

    def inbox(self, run_id: str | None = None) -> list[InboxEntry]:
        """Every pending request of every run (or of ``run_id``), oldest first."""
        columns = ", ".join(f"h.{column.strip()}" for column in _COLUMNS.split(","))
        rows = self.conn.execute(
            f"SELECT {columns}, r.workflow_name, r.status FROM human_requests h"
            " JOIN runs r ON r.run_id = h.run_id WHERE h.status = 'pending'"
            " AND r.status NOT IN ('completed', 'failed') AND (?1 IS NULL OR h.run_id = ?1)"
            " ORDER BY h.created_at, h.rowid",
            (run_id,),
        )
        return [InboxEntry(_row(row[:-2]), str(row[-2]), str(row[-1])) for row in rows]

    # ---- answering ----------------------------------------------------------------

    def targets(self, reply: Reply) -> list[HumanRequest]:
        """The pending requests ``reply`` answers; a one-line ``AnswerRefused`` otherwise."""
        self._check_run(reply.run_id)
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM human_requests WHERE run_id = ? AND kind = ?"
            " ORDER BY created_at, rowid",
            (reply.run_id, reply.kind),
        )
        asked = [_row(row) for row in rows]
        if reply.kind == "signal":
            return _signal_targets(reply, asked)
        return [_approval_target(reply, asked)]

    def answer(self, reply: Reply, targets: Sequence[HumanRequest]) -> list[HumanRequest]:
        """Record ``reply`` on every target still pending, atomically; the rows answered.

        A target that expired meanwhile is decided by its deadline first (and stays so).
        """
        now = now_ms()
        # Text from a command line may hold lone surrogates, which no UTF-8 store can keep.
        answer_json = json.dumps(without_lone_surrogates(_answer_json(reply.answer)))
        by = clean_text(reply.by)
        answered: list[str] = []
        with Transaction(self.conn, self.path):
            self._check_run(reply.run_id)
            for target in targets:
                if self._time_out(target.request_id, now):
                    continue
                done = self.conn.execute(
                    "UPDATE human_requests SET status = 'answered', answer_json = ?,"
                    " answered_by = ?, answered_at = ? WHERE request_id = ? AND status = 'pending'",
                    (answer_json, by, now, target.request_id),
                )
                if done.rowcount == 1:
                    answered.append(target.request_id)
        if not answered:
            raise AnswerRefused(_stale(self._one(targets[0].request_id)))
        return self.settled(answered)

    def _one(self, request_id: str) -> HumanRequest:
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM human_requests WHERE request_id = ?", (request_id,)
        ).fetchone()
        return _row(row)

    def _check_run(self, run_id: str) -> None:
        row = self.conn.execute("SELECT status FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise AnswerRefused(
                f"workflow run {run_id} was not found in {self.path}: it was deleted, "
                "or pass --db with its database"
            )
        if row[0] in ENDED_STATES:
            word = "has finished" if row[0] == "completed" else "failed"
            raise AnswerRefused(
                f"workflow run {run_id} {word}: its requests can no longer be answered"
            )


def _answer_json(answer: Decision | Payload) -> JSON:
    if isinstance(answer, Decision):
        return {"approved": answer.approved, "note": answer.note}
    return answer.data


def _approval_target(reply: Reply, asked: list[HumanRequest]) -> HumanRequest:
    run = reply.run_id
    pending = [request for request in asked if request.status == "pending"]
    if reply.target is None:
        if len(pending) == 1:
            return pending[0]
        if not pending and asked:
            raise AnswerRefused(f"workflow run {run} has no pending approval: {_stale(asked[-1])}")
        if not pending:
            raise AnswerRefused(f"workflow run {run} has no pending approval; see smol-wf inbox")
        raise AnswerRefused(
            f"workflow run {run} has {len(pending)} pending approvals; name one: "
            + ", ".join(_named(request) for request in pending)
        )
    by_id = [request for request in asked if request.request_id == reply.target]
    matching = by_id or [request for request in asked if request.label == reply.target]
    if not matching:
        raise AnswerRefused(
            f"workflow run {run} has no approval request or label '{reply.target}'; "
            "see smol-wf inbox"
        )
    pending = [request for request in matching if request.status == "pending"]
    if len(pending) > 1:
        raise AnswerRefused(
            f"label '{reply.target}' names {len(pending)} pending approvals of {run}; "
            "pass a request id: " + ", ".join(request.request_id for request in pending)
        )
    if not pending:
        raise AnswerRefused(_stale(matching[-1]))
    return pending[0]


def _signal_targets(reply: Reply, asked: list[HumanRequest]) -> list[HumanRequest]:
    matching = [r for r in asked if reply.target in (r.name, r.request_id)]
    pending = [request for request in matching if request.status == "pending"]
    if pending:
        return pending
    if matching:
        raise AnswerRefused(_stale(matching[-1]))
    raise AnswerRefused(
        f"workflow run {reply.run_id} is not waiting for signal '{reply.target}'; see smol-wf inbox"
    )


def _named(request: HumanRequest) -> str:
    return f"{request.request_id} ({request.label})" if request.label else request.request_id
