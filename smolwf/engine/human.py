"""``requestApproval()`` and ``waitForSignal()`` of ``workflow:human``: a person answers.

Each is a durable step keyed by what it asks, like ``agent()``: an answered request
replays on resume for free. An open request is a row of ``human_requests`` written with
the turn that asked (so no answer can come before the row exists) and one piece of
pending work that holds no agent slot and spends nothing; ``AnswerWatch`` brings its
answer, from whichever process wrote it, or its deadline's decision.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from smolwf.clock import iso, now_ms
from smolwf.engine.context import RunContext
from smolwf.engine.human_watch import AnswerWatch
from smolwf.engine.keys import approval_key, signal_key
from smolwf.engine.lookup import Found, Lookup, Wanted
from smolwf.engine.scope import Scope
from smolwf.engine.structured import schema_problem
from smolwf.errors import StoreError
from smolwf.events.types import EventType
from smolwf.ids import new_id
from smolwf.js.requests import ApprovalCall, SignalCall
from smolwf.jsontypes import JSON, JSONObject
from smolwf.records import record
from smolwf.store.batch import RequestOpen, StepEnd
from smolwf.store.human import HumanRequest, HumanRequests, RequestKind
from smolwf.store.runs import StepRecord, dumps


@record
class Ask:
    """What one request asks a person, whatever its kind."""

    kind: RequestKind
    message: str | None = None
    label: str | None = None
    name: str | None = None
    schema: JSONObject | None = None
    on_timeout: str | None = None
    timeout_ms: int | None = None

    def input_json(self) -> str:
        fields: JSONObject = {"timeoutMs": self.timeout_ms}
        if self.kind == "approval":
            fields.update(message=self.message, label=self.label, onTimeout=self.on_timeout)
        else:
            fields.update(name=self.name, schema=self.schema)
        return dumps(fields)


@dataclass(eq=False, slots=True)
class OpenRequest:
    """A request a script awaits: where to settle it and what is stored for it."""

    scope: Scope
    js_id: int
    step_id: str
    stored: HumanRequest
    posted: bool = False
    """Its answer is on its way to the loop (the watch looks no further)."""


@record
class Answered:
    """The completion of an open request: the row as its answer or deadline left it."""

    human: Human
    open: OpenRequest
    row: HumanRequest

    def apply(self) -> None:
        self.human.answered(self)


class Human:
    """The ``approval`` and ``signal`` request kinds of one run."""

    def __init__(self, ctx: RunContext, lookup: Lookup, requests: HumanRequests) -> None:
        self.ctx = ctx
        self.lookup = lookup
        self.requests = requests
        self.open: dict[str, OpenRequest] = {}
        self.watch = AnswerWatch(ctx, requests, self)

    @property
    def unfinished(self) -> int:
        return len(self.open)

    def approval(self, scope: Scope, call: ApprovalCall) -> None:
        on_timeout = "approve" if call.approve_on_timeout else "deny"
        ask = Ask(
            "approval",
            message=call.message,
            label=call.label,
            on_timeout=on_timeout,
            timeout_ms=call.timeout_ms,
        )
        self._ask(scope, call.id, approval_key(scope=scope.key, message=call.message), ask)

    def signal(self, scope: Scope, call: SignalCall) -> None:
        problem = schema_problem(call.schema) if call.schema is not None else None
        if problem is not None:
            scope.settle(call.id, False, f"waitForSignal('{call.name}') {problem}", None)
            return
        ask = Ask("signal", name=call.name, schema=call.schema, timeout_ms=call.timeout_ms)
        key = signal_key(scope=scope.key, name=call.name, schema=call.schema)
        self._ask(scope, call.id, key, ask)

    # ---- asking ------------------------------------------------------------

    def _ask(self, scope: Scope, js_id: int, key: str, ask: Ask) -> None:
        checkpoint = scope.occurrences.checkpoint(key)
        stored = self.ctx.checkpoints.get(checkpoint)  # this run's own, finished or not
        if stored is not None and stored.result is not None:
            self._replay(scope, js_id, stored)
            return
        if stored is None and self._taken(scope, js_id, checkpoint, ask):
            return
        step_id = stored.step_id if stored is not None else new_id("step")
        self.ctx.start_step(
            scope, step_id, checkpoint, ask.kind, ask.input_json(), label=ask.label or ask.name
        )
        asked = self._asked_before(stored)
        if asked is not None and asked.status != "pending":
            self._resolve(scope, js_id, step_id, asked)  # answered while no process ran
            return
        row = asked or self._new_request(step_id, ask)
        self._open(OpenRequest(scope, js_id, step_id, row))

    def _taken(self, scope: Scope, js_id: int, checkpoint: str, ask: Ask) -> bool:
        """An answer from another run (the run this one was forked from) becomes this run's
        finished step, so nobody is asked again; True when there was one."""
        wanted = Wanted(ask.kind, checkpoint, ask.message or ask.name or "", ask.label, None)
        found = self.lookup.find(wanted)
        if not isinstance(found, Found) or found.origin is None:
            return False
        step_id = new_id("step")
        label = ask.label or ask.name
        origin = dumps(found.origin.to_json())
        self.ctx.start_step(
            scope, step_id, checkpoint, ask.kind, ask.input_json(), label=label, origin_json=origin
        )
        self.ctx.end_step(step_id, StepEnd("completed", now_ms(), dumps(found.result)))
        self._emit_resolved(scope, step_id, ask.kind, found.result, replayed=True)
        scope.settle(js_id, True, found.result.get("output"), None)
        return True

    def _asked_before(self, stored: StepRecord | None) -> HumanRequest | None:
        """The step's request from an earlier attempt, unless the step must ask again; one
        whose deadline passed while no process ran is decided now."""
        if stored is None or stored.status == "failed":
            return None  # a signal that timed out asks again, as a failed agent call runs again
        asked = self.requests.latest(self.ctx.attempt.run_id, stored.step_id)
        if asked is None or asked.status == "closed":
            return None
        now = now_ms()
        if asked.status == "pending" and asked.expired(now):
            with contextlib.suppress(StoreError):  # busy: the watch decides it soon
                asked = self.requests.expire(asked, now) or asked
        return asked

    def _new_request(self, step_id: str, ask: Ask) -> HumanRequest:
        now = now_ms()
        deadline = now + ask.timeout_ms if ask.timeout_ms is not None else None
        request_id = new_id("req")
        schema = dumps(ask.schema) if ask.schema is not None else None
        self.ctx.batch.request_opened(
            RequestOpen(
                request_id, step_id, ask.kind, ask.name, ask.label, ask.message,
                schema, ask.on_timeout, deadline, now,
            )
        )  # fmt: skip
        return HumanRequest(
            request_id, self.ctx.attempt.run_id, step_id, ask.kind, "pending", ask.name,
            ask.label, ask.message, ask.schema, ask.on_timeout, deadline, now,
        )  # fmt: skip

    def _open(self, request: OpenRequest) -> None:
        ctx, row = self.ctx, request.stored
        if not self.open:
            ctx.batch.run_state = "waiting"
        self.open[row.request_id] = request
        ctx.pending.started()
        ctx.pending.human += 1
        kind = EventType.APPROVAL_REQUESTED if row.kind == "approval" else EventType.SIGNAL_WAITING
        ctx.emit(request.scope, kind, self._asked_data(row), step_id=request.step_id)
        self.watch.start()

    def _asked_data(self, row: HumanRequest) -> JSONObject:
        data: JSONObject = {"requestId": row.request_id}
        if row.kind == "approval":
            data["message"] = row.message
            if row.label is not None:
                data["label"] = row.label
        else:
            data["name"] = row.name
            if row.schema is not None:
                data["schema"] = row.schema
        if row.deadline_at is not None:
            data["deadline"] = iso(row.deadline_at)
        data["commands"] = list(row.commands(self.requests.path))
        return data

    # ---- answers -------------------------------------------------------------

    def waiting(self) -> list[HumanRequest]:
        """What ``AnswerWatch`` looks for: open requests whose answer was not found yet."""
        return [request.stored for request in self.open.values() if not request.posted]

    def arrived(self, row: HumanRequest) -> None:
        """The watch found ``row`` settled: hand it to the loop, which no longer waits on a
        person for it."""
        request = self.open[row.request_id]
        request.posted = True
        self.ctx.pending.human -= 1
        self.ctx.pending.post(Answered(self, request, row))

    def answered(self, done: Answered) -> None:
        """An open request's answer (or deadline) arrived: the turn records and settles it."""
        request = done.open
        del self.open[done.row.request_id]
        if not self.open:
            self.ctx.batch.run_state = "running"
        self._resolve(request.scope, request.js_id, request.step_id, done.row)

    def _resolve(self, scope: Scope, js_id: int, step_id: str, row: HumanRequest) -> None:
        if row.kind == "signal" and row.status == "timed_out":
            self._timed_out(scope, js_id, step_id, row)
            return
        value: JSON = row.approval() if row.kind == "approval" else row.answer
        result: JSONObject = {"output": value, "requestId": row.request_id}
        if row.kind == "signal":
            result.update(_by(row))
        elif row.label is not None:
            result["label"] = row.label
        self.ctx.end_step(step_id, StepEnd("completed", now_ms(), dumps(result)))
        self._emit_resolved(scope, step_id, row.kind, result, replayed=False)
        scope.settle(js_id, True, value, None)

    def _timed_out(self, scope: Scope, js_id: int, step_id: str, row: HumanRequest) -> None:
        waited = (row.deadline_at or row.created_at) - row.created_at
        message = f"waitForSignal('{row.name}') timed out after {waited} ms: no signal arrived"
        self.ctx.end_step(step_id, StepEnd("failed", now_ms(), None, dumps({"message": message})))
        data: JSONObject = {"requestId": row.request_id, "name": row.name, "timedOut": True}
        self.ctx.emit(scope, EventType.SIGNAL_RECEIVED, {**data, **_by(row)}, step_id=step_id)
        scope.settle(js_id, False, message, None)

    def _replay(self, scope: Scope, js_id: int, stored: StepRecord) -> None:
        result = stored.result or {}
        kind: RequestKind = "signal" if stored.checkpoint_key.startswith("signal:") else "approval"
        self._emit_resolved(scope, stored.step_id, kind, result, replayed=True)
        scope.settle(js_id, True, result.get("output"), None)

    def _emit_resolved(
        self, scope: Scope, step_id: str, kind: RequestKind, result: JSONObject, *, replayed: bool
    ) -> None:
        """``approval_resolved`` with the decision, or ``signal_received`` with who sent it."""
        output = result.get("output")
        data: JSONObject = {"requestId": result.get("requestId")}
        if kind == "signal":
            data.update(name=result.get("name"), by=result.get("by"), at=result.get("at"))
        elif isinstance(output, dict):
            if "label" in result:
                data["label"] = result["label"]
            data.update(output)
        event = EventType.SIGNAL_RECEIVED if kind == "signal" else EventType.APPROVAL_RESOLVED
        if replayed:
            data["replayed"] = True
        self.ctx.emit(scope, event, data, step_id=step_id)


def _by(row: HumanRequest) -> JSONObject:
    return {"name": row.name, "by": row.answered_by, "at": iso(row.answered_at)}
