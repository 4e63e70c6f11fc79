"""The event sink that turns one attempt's events into an OpenTelemetry trace.

One trace per execution of a run: a span for the run, each phase, each provider call of
an agent (retries and fallbacks are separate spans), each child workflow (nested under
the phase that started it) and each sleep. Spans carry the times the events recorded,
not when the sink saw them. A resumed run's root span links to the root of the attempt
it resumes. Waits for a person, when the engine has them, are one more entry in
``WAITS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from opentelemetry import trace
from opentelemetry.trace import Link, Span, Status, StatusCode, Tracer

from smolwf.events.types import Event, EventType, ScopeKey
from smolwf.jsontypes import JSON, JSONObject
from smolwf.records import record
from smolwf.tracing.ids import AttemptIds, root_context
from smolwf.usage import Usage

Attributes = dict[str, str | int | float | bool]

WAITS: dict[str, tuple[str, str]] = {
    EventType.SLEEP_STARTED: (EventType.SLEEP_COMPLETED, "sleep"),
}
"""Waits as spans: start event type → (end event type, span name). The two events of a
wait share a ``stepId``. EXTENSION POINT: human approvals add their pair here."""


@dataclass(slots=True)
class _Phase:
    span: Span
    ends_ns: int | None = None
    """When the next phase of its scope began; it ends then, or when its last child did."""
    last_child_ns: int = 0


@dataclass(slots=True)
class _Scope:
    """The root workflow or a child: its span and its phases."""

    span: Span
    name: str
    phases: dict[str | None, _Phase] = field(default_factory=dict)
    current: _Phase | None = None

    def parent_for(self, phase: str | None) -> _Phase | None:
        return self.phases.get(phase) if phase is not None else self.current


@record
class _Started:
    """What an agent's or a wait's start event told, kept for its end."""

    scope: ScopeKey
    at_ns: int
    data: JSONObject
    provider: str | None


class TraceSink:
    """An ``EventSink``: spans are created from committed events; ``close()`` exports the rest."""

    def __init__(self, tracer: Tracer, ids: AttemptIds, shutdown: Callable[[], object]) -> None:
        self._tracer = tracer
        self._ids = ids
        self._shutdown = shutdown
        self._base_ns = 0
        self._run: Attributes = {}
        self._scopes: dict[ScopeKey, _Scope] = {}
        self._started: dict[str, _Started] = {}

    def emit(self, event: Event, text: str) -> None:
        handler = _HANDLERS.get(event.type)
        if handler is not None:
            handler(self, event)
        elif event.type in WAITS:
            self._wait_started(event)
        elif event.type in _WAIT_ENDS:
            self._wait_ended(event)

    def flush(self) -> None:
        """Spans leave in batches on the SDK's thread; nothing to do per turn."""

    def close(self) -> None:
        """End whatever an interrupted run left open, and export every span."""
        for key in list(self._scopes):
            self._end_scope(key, self._scope_end_ns(self._scopes[key]), "the run was interrupted")
        self._shutdown()

    # ---- scopes ----------------------------------------------------------

    def _on_started(self, event: Event) -> None:
        data = event.fields
        name = _text(data, "name") or "workflow"
        if event.depth == 0:
            self._start_root(event, name)
            return
        caller = self._scopes.get(_text(data, "callerStepId"))
        if caller is None:
            return
        parent = caller.current.span if caller.current is not None else caller.span
        attributes = {**self._run, "smolwf.workflow": name}
        if data.get("replayed") is True:
            attributes["smolwf.replayed"] = True
        span = self._span(f"workflow {name}", parent, self._at(event), attributes)
        self._scopes[event.scope] = _Scope(span, name)

    def _start_root(self, event: Event, name: str) -> None:
        data = event.fields
        self._base_ns = _epoch_ns(_text(data, "startTime"))
        run_id = event.meta("runId") or "run"
        attempt = data.get("attempt")
        number = attempt if isinstance(attempt, int) and attempt > 0 else 1
        self._run = {"workflow.run_id": run_id, "workflow.name": name}
        links = [Link(root_context(run_id, number - 1))] if number > 1 else []
        self._ids.expect_root(run_id, number)
        span = self._tracer.start_span(
            f"workflow {name}",
            context=trace.set_span_in_context(trace.INVALID_SPAN),
            attributes={**self._run, "smolwf.attempt": number},
            links=links,
            start_time=self._base_ns,
        )
        self._scopes[None] = _Scope(span, name)

    def _on_result(self, event: Event) -> None:
        self._end_scope(event.scope, self._at(event), None)

    def _on_error(self, event: Event) -> None:
        self._end_scope(event.scope, self._at(event), _text(event.fields, "message") or "failed")

    def _end_scope(self, key: ScopeKey, at_ns: int, error: str | None) -> None:
        scope = self._scopes.pop(key, None)
        if scope is None:
            return
        for phase in scope.phases.values():
            phase.span.end(max(phase.ends_ns or at_ns, phase.last_child_ns))
        if error is not None:
            scope.span.set_status(Status(StatusCode.ERROR, error))
        scope.span.end(at_ns)

    def _scope_end_ns(self, scope: _Scope) -> int:
        return max((p.last_child_ns for p in scope.phases.values()), default=self._base_ns)

    # ---- phases ----------------------------------------------------------

    def _on_phase(self, event: Event) -> None:
        scope = self._scopes.get(event.scope)
        if scope is None:
            return
        at_ns = self._at(event)
        if scope.current is not None and scope.current.ends_ns is None:
            scope.current.ends_ns = at_ns
        name = _text(event.fields, "name")
        phase = scope.phases.get(name)
        if phase is None:
            phase = self._phase(scope, name, at_ns)
        phase.ends_ns = None
        scope.current = phase

    def _phase(self, scope: _Scope, name: str | None, at_ns: int) -> _Phase:
        attributes = {**self._run, "workflow.phase": name or ""}
        phase = _Phase(self._span(f"phase {name}", scope.span, at_ns, attributes))
        scope.phases[name] = phase
        return phase

    # ---- agents ----------------------------------------------------------

    def _on_agent_started(self, event: Event) -> None:
        step_id = event.meta("stepId")
        if step_id is not None and event.fields.get("replayed") is not True:
            started = _Started(event.scope, self._at(event), event.fields, event.meta("provider"))
            self._started[step_id] = started

    def _on_agent_ended(self, event: Event) -> None:
        started = self._started.pop(event.meta("stepId") or "", None)
        scope = self._scopes.get(event.scope)
        if started is None or scope is None:
            return
        phase_name = _text(started.data, "phase")
        phase = scope.parent_for(phase_name)
        if phase is None and phase_name is not None:
            phase = self._phase(scope, phase_name, started.at_ns)
        parent = phase.span if phase is not None else scope.span
        for attempt, (begin, end, attributes, error) in enumerate(
            self._attempts(event, started), start=1
        ):
            attributes["smolwf.attempt"] = attempt
            span = self._span(_agent_name(started.data), parent, begin, attributes)
            if error is not None:
                span.set_status(Status(StatusCode.ERROR, error))
            span.end(end)
            if phase is not None:
                phase.last_child_ns = max(phase.last_child_ns, end)

    def _attempts(
        self, event: Event, started: _Started
    ) -> list[tuple[int, int, Attributes, str | None]]:
        """(start, end, attributes, error) of each provider call the event tells."""
        data = event.fields
        base = {**self._run, **_agent_attributes(event, started)}
        calls = data.get("calls")
        if isinstance(calls, list) and calls:
            return [self._call(base, call) for call in calls if isinstance(call, dict)]
        failed = event.type == EventType.AGENT_FAILED
        attributes = {**base, **_usage_attributes(data.get("usage"))}
        provider = event.meta("provider") or started.provider
        if provider is not None:
            attributes["smolwf.provider"] = provider
        model = _text(data, "model")
        if model is not None:
            attributes["gen_ai.response.model"] = model
        kind = _text(data, "failureKind")
        if kind is not None:
            attributes["error.type"] = kind
        if failed:
            attributes["smolwf.outcome"] = "failed"
        error = (_text(data, "message") or "failed") if failed else None
        return [(started.at_ns, self._at(event), attributes, error)]

    def _call(self, base: Attributes, call: JSONObject) -> tuple[int, int, Attributes, str | None]:
        attributes = {**base, **_usage_attributes(call.get("usage"))}
        provider = _text(call, "provider") or "?"
        attributes["smolwf.provider"] = provider
        model = _text(call, "model")
        if model is not None:
            attributes["gen_ai.request.model"] = model
        outcome = _text(call, "outcome") or "ok"
        attributes["smolwf.outcome"] = outcome
        kind = _text(call, "failureKind") or (outcome if outcome != "ok" else None)
        if kind is not None:
            attributes["error.type"] = kind
        begin, end = _int(call.get("startedNanos")), _int(call.get("endedNanos"))
        error = None if outcome == "ok" else f"{provider}: {kind}"
        return self._base_ns + begin, self._base_ns + max(begin, end), attributes, error

    # ---- waits -----------------------------------------------------------

    def _wait_started(self, event: Event) -> None:
        step_id = event.meta("stepId")
        if step_id is not None:
            self._started[step_id] = _Started(event.scope, self._at(event), event.fields, None)

    def _wait_ended(self, event: Event) -> None:
        started = self._started.pop(event.meta("stepId") or "", None)
        scope = self._scopes.get(event.scope)
        if started is None or scope is None:
            return
        name = _WAIT_ENDS[event.type]
        phase = scope.current
        attributes: Attributes = {**self._run, "workflow.step_id": event.meta("stepId") or ""}
        for key, value in started.data.items():
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                attributes[f"smolwf.{name}.{key}"] = value
        end = self._at(event)
        span = self._span(name, phase.span if phase else scope.span, started.at_ns, attributes)
        span.end(end)
        if phase is not None:
            phase.last_child_ns = max(phase.last_child_ns, end)

    # ---- helpers ---------------------------------------------------------

    def _at(self, event: Event) -> int:
        return self._base_ns + (event.elapsed_ns or 0)

    def _span(self, name: str, parent: Span, at_ns: int, attributes: Attributes) -> Span:
        context = trace.set_span_in_context(parent)
        return self._tracer.start_span(
            name, context=context, attributes=attributes, start_time=at_ns
        )


_WAIT_ENDS: dict[str, str] = {end: name for end, name in WAITS.values()}


def _agent_name(data: JSONObject) -> str:
    label = _text(data, "label")
    return f"agent {label}" if label else "agent"


def _agent_attributes(event: Event, started: _Started) -> Attributes:
    data = started.data
    attributes: Attributes = {
        "workflow.step_id": event.meta("stepId") or "",
        "gen_ai.operation.name": "invoke_agent",
    }
    for key, name in (("phase", "workflow.phase"), ("label", "workflow.label")):
        value = _text(data, key)
        if value is not None:
            attributes[name] = value
    model = _text(data, "model")
    if model is not None:
        attributes["gen_ai.request.model"] = model
    return attributes


def _usage_attributes(value: JSON) -> Attributes:
    """The GenAI semantic conventions' token counts (input counts cached input) and cost."""
    if not isinstance(value, dict):
        return {}
    usage = Usage.from_json(value)
    cached, written = usage.cache_read_tokens, usage.cache_write_tokens
    attributes: Attributes = {
        "gen_ai.usage.input_tokens": usage.input_tokens + cached + written,
        "gen_ai.usage.output_tokens": usage.output_tokens,
    }
    if cached:
        attributes["gen_ai.usage.cache_read.input_tokens"] = cached
    if written:
        attributes["gen_ai.usage.cache_creation.input_tokens"] = written
    if usage.cost_usd is not None:
        attributes["smolwf.cost_usd"] = usage.cost_usd
        attributes["smolwf.cost_source"] = "estimated" if usage.estimated else "provider"
    return attributes


def _epoch_ns(text: str | None) -> int:
    if text is None:
        return 0
    moment = datetime.fromisoformat(text)
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1_000


def _text(data: JSONObject, key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _int(value: JSON) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


_HANDLERS: dict[str, Callable[[TraceSink, Event], None]] = {
    EventType.STARTED: TraceSink._on_started,
    EventType.PHASE: TraceSink._on_phase,
    EventType.AGENT_STARTED: TraceSink._on_agent_started,
    EventType.AGENT_COMPLETED: TraceSink._on_agent_ended,
    EventType.AGENT_FAILED: TraceSink._on_agent_ended,
    EventType.RESULT: TraceSink._on_result,
    EventType.ERROR: TraceSink._on_error,
}
