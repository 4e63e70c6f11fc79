"""What a viewer of one run needs to know, folded from its event stream.

The live progress view, the TUI and replays all read the same events; this module turns
them into phases, agents, totals and messages once, so no UI re-derives them. It is
pure: no clocks, no I/O. Every update is O(1), so a run of many thousand agents stays
cheap to follow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from smolwf.events.run_parts import (
    AgentState,
    AgentStatus,
    Message,
    PhaseState,
    RequestState,
    RunStatus,
    ScopeState,
    SleepState,
    StatusCounts,
)
from smolwf.events.types import Event, EventType, ScopeKey
from smolwf.jsontypes import JSON, JSONObject
from smolwf.usage import Usage, UsageTally

CANCELLED_MESSAGE = "workflow cancelled"
"""The ``workflow.error`` message of a run stopped by a signal (``WorkflowCancelled``)."""
ACTIVITY_BIN_NS = 10 * 1_000_000_000
"""``RunState.activity`` counts events per this much elapsed time."""
TASK_SOURCES = frozenset({"parallel", "pipeline"})
"""Warning sources that report a task or item that threw (its slot became null)."""


@dataclass(slots=True)
class RunState:
    """The fold of one run's events. Feed every event to ``apply`` in stream order."""

    run_id: str | None = None
    status: RunStatus = "running"
    start_time: str | None = None
    phases: list[PhaseState] = field(default_factory=list)
    agents: dict[str, AgentState] = field(default_factory=dict)
    scopes: dict[ScopeKey, ScopeState] = field(default_factory=dict)
    counts: StatusCounts = field(default_factory=StatusCounts)
    spend: UsageTally = field(default_factory=UsageTally)
    """What every provider call of the run's finished agents cost (a replayed agent counts
    once: when its first end is in the stream, else at its replay)."""
    providers: dict[str, UsageTally] = field(default_factory=dict)
    """``spend`` by the provider each call went to."""
    sleeping: dict[str, SleepState] = field(default_factory=dict)
    """Sleeps not yet woken, by step id."""
    logs: list[Message] = field(default_factory=list)
    warnings: list[Message] = field(default_factory=list)
    task_errors: int = 0
    """``parallel``/``pipeline`` tasks that threw (each is also one of ``warnings``)."""
    requests: dict[str, RequestState] = field(default_factory=dict)
    """Every request to a person, in the order they were asked."""
    result: JSON = None
    token_usage: Usage | None = None
    """The root ``workflow.result`` tokenUsage: the run's authoritative total, once known."""
    error: str | None = None
    error_details: JSON = None
    elapsed_ns: int = 0
    """Elapsed time of the latest event (events without one count as 0)."""
    event_count: int = 0
    activity: dict[int, int] = field(default_factory=dict)
    """Events per ``ACTIVITY_BIN_NS`` of elapsed time, by bin number (events without an
    elapsed time count in bin 0)."""
    _phase_index: dict[tuple[ScopeKey, str | None], PhaseState] = field(
        default_factory=dict, repr=False
    )

    @property
    def finished(self) -> bool:
        return self.status != "running"

    @property
    def usage(self) -> Usage:
        return self.spend.usage()

    @property
    def waiting_for(self) -> list[RequestState]:
        """Requests to a person still unanswered, oldest first."""
        return [request for request in self.requests.values() if request.status == "pending"]

    @property
    def cost_usd(self) -> float | None:
        """Total cost, or None when no call's cost is known."""
        return self.spend.cost_usd

    @property
    def shown_usage(self) -> Usage:
        """The root result's total once known, else what finished agents reported."""
        return self.token_usage or self.usage

    @property
    def max_depth(self) -> int:
        return max((scope.depth for scope in self.scopes.values()), default=0)

    def apply(self, event: Event) -> None:
        """Fold one event in. Unknown types are counted and otherwise ignored."""
        self.event_count += 1
        elapsed = event.elapsed_ns
        if elapsed is not None:
            self.elapsed_ns = max(self.elapsed_ns, elapsed)
        bin_number = (elapsed or 0) // ACTIVITY_BIN_NS
        self.activity[bin_number] = self.activity.get(bin_number, 0) + 1
        if self.run_id is None:
            run_id = event.metadata.get("runId")
            self.run_id = run_id if isinstance(run_id, str) else None
        handler = _HANDLERS.get(event.type)
        if handler is not None:
            handler(self, event)

    def phase(self, name: str | None, parent_step_id: str | None = None) -> PhaseState | None:
        """The phase called ``name`` in a scope, if one was seen."""
        return self._phase_index.get((parent_step_id, name))

    def agents_in(self, phase: PhaseState) -> list[AgentState]:
        return [self.agents[step_id] for step_id in phase.agent_ids]

    def sleeps_in(self, phase: PhaseState) -> list[SleepState]:
        return [
            sleep
            for sleep in self.sleeping.values()
            if sleep.phase == phase.name and sleep.parent_step_id == phase.parent_step_id
        ]

    def phase_open(self, phase: PhaseState) -> bool:
        """Whether more agents may still join ``phase``: its workflow is running and has
        not moved on to another ``phase()`` (a phase only agents name stays open)."""
        scope = self.scopes.get(phase.parent_step_id)
        if scope is None or scope.status != "running":
            return False
        return not phase.announced or scope.current_phase == phase.name

    def scope_label(self, key: ScopeKey) -> str:
        scope = self.scopes.get(key)
        return scope.label if scope is not None else ScopeState(1, key).label

    def task_warnings(self) -> list[Message]:
        """The warnings of tasks that threw, in stream order."""
        return [m for m in self.warnings if m.source in TASK_SOURCES]

    # ---- handlers ---------------------------------------------------------

    def _on_started(self, event: Event) -> None:
        scope = self._scope(event)
        start = event.fields.get("startTime")
        scope.start_time = start if isinstance(start, str) else None
        scope.name = _text(event.fields, "name") or scope.name
        scope.caller = _text(event.fields, "callerStepId")
        if scope.parent_step_id is None:
            self.start_time = scope.start_time

    def _on_phase(self, event: Event) -> None:
        depth, parent = _scope_of(event)
        name = _text(event.fields, "name")
        phase = self._phase_for(name, depth, parent)
        phase.announced = True
        self._scope(event).current_phase = name
        if "options" in event.fields:
            phase.options = event.fields["options"]
            phase.has_options = True

    def _on_message(self, event: Event) -> None:
        depth, parent = _scope_of(event)
        kind: Literal["log", "warning"] = "log" if event.type == EventType.LOG else "warning"
        message = Message(
            kind,
            _text(event.fields, "message") or "",
            event.elapsed_ns,
            depth,
            parent,
            _text(event.fields, "source"),
        )
        (self.logs if kind == "log" else self.warnings).append(message)
        if kind == "warning" and message.source in TASK_SOURCES:
            self.task_errors += 1

    def _on_agent_queued(self, event: Event) -> None:
        self._add_agent(event, "queued")

    def _on_agent_started(self, event: Event) -> None:
        self._add_agent(event, "running")

    def _add_agent(self, event: Event, status: AgentStatus) -> None:
        """A call queued or started; a queued call that starts keeps its place in its phase."""
        step_id = _text(event.metadata, "stepId") or f"seq-{event.seq}"
        old = self.agents.get(step_id)
        depth, parent = _scope_of(event)
        data = event.fields
        agent = AgentState(
            step_id=step_id,
            phase=_text(data, "phase"),
            prompt_preview=_text(data, "promptPreview") or "",
            label=_text(data, "label"),
            provider=_text(event.metadata, "provider"),
            model=_text(data, "model"),
            depth=depth,
            parent_step_id=parent,
            replayed=data.get("replayed") is True,
            status=status,
            started_ns=event.elapsed_ns or 0,
            spent=old.spent if old is not None else None,
        )
        if status == "queued":
            agent.queued_ns = agent.started_ns
        phase = self._phase_for(agent.phase, depth, parent)
        if old is None:
            phase.agent_ids.append(step_id)
        else:
            agent.queued_ns = old.queued_ns
            self._move(old, phase)
        self.agents[step_id] = agent
        (phase.queued_ids if status == "queued" else phase.running_ids)[step_id] = None
        phase.counts.add(status)
        self.counts.add(status)

    def _move(self, old: AgentState, phase: PhaseState) -> None:
        """Take out a call seen before (queued, or restarted under the same step id: a resume
        runs it again, and what it cost before stays counted in ``spent``)."""
        was_queued = old.status == "queued"
        self._forget_status(old)
        old_phase = self._phase_for(old.phase, old.depth, old.parent_step_id)
        if not (was_queued and old_phase is phase):
            old_phase.agent_ids.remove(old.step_id)
            phase.agent_ids.append(old.step_id)

    def _on_agent_completed(self, event: Event) -> None:
        agent = self._agent_for(event)
        data = event.fields
        agent.model = _text(data, "model") or agent.model
        agent.session_id = _text(data, "sessionId") or _text(event.metadata, "sessionId")
        agent.replayed = agent.replayed or data.get("replayed") is True
        agent.cached = isinstance(data.get("cached"), dict)
        usage = data.get("usage")
        agent.usage = Usage.from_json(usage) if isinstance(usage, dict) else None
        self._finish(agent, "completed", event)

    def _on_agent_failed(self, event: Event) -> None:
        agent = self._agent_for(event)
        agent.error = _text(event.fields, "message") or "agent call failed"
        agent.failure_kind = _text(event.fields, "failureKind")
        usage = event.fields.get("usage")
        if isinstance(usage, dict):
            agent.usage = Usage.from_json(usage)
        self._finish(agent, "failed", event)

    def _on_agent_event(self, event: Event) -> None:
        step_id = _text(event.metadata, "stepId") or _text(event.fields, "stepId")
        agent = self.agents.get(step_id) if step_id is not None else None
        if agent is not None:
            agent.event_count += 1
            agent.session_id = agent.session_id or _text(event.metadata, "sessionId")

    def _on_sleep_started(self, event: Event) -> None:
        depth, parent = _scope_of(event)
        scope = self._scope(event)
        started = event.elapsed_ns or 0
        step_id = _text(event.metadata, "stepId") or f"seq-{event.seq}"
        duration = _count(event.fields, "durationMs")
        left = _count(event.fields, "remainingMs", duration)
        sleep = SleepState(
            step_id,
            scope.current_phase,
            depth,
            parent,
            started,
            started + left * 1_000_000,
            duration,
        )
        self._phase_for(sleep.phase, depth, parent)
        self.sleeping[step_id] = sleep

    def _on_sleep_completed(self, event: Event) -> None:
        self.sleeping.pop(_text(event.metadata, "stepId") or "", None)

    def _on_asked(self, event: Event) -> None:
        data = event.fields
        request_id = _text(data, "requestId") or f"seq-{event.seq}"
        approval = event.type == EventType.APPROVAL_REQUESTED
        commands = data.get("commands")
        self.requests[request_id] = RequestState(
            request_id,
            "approval" if approval else "signal",
            _text(data, "label" if approval else "name") or request_id,
            _text(data, "message"),
            _text(event.metadata, "stepId"),
            _text(data, "deadline"),
            [str(c) for c in commands] if isinstance(commands, list) else [],
        )

    def _on_answered(self, event: Event) -> None:
        data = event.fields
        request_id = _text(data, "requestId")
        request = self.requests.get(request_id) if request_id is not None else None
        if request is None:  # replayed, or a stream joined midway: nothing was pending
            return
        request.by = _text(data, "by")
        request.note = _text(data, "note")
        if data.get("timedOut") is True:
            request.status = "timed out"
        elif event.type == EventType.SIGNAL_RECEIVED:
            request.status = "received"
        else:
            request.status = "approved" if data.get("approved") is True else "denied"

    def _on_result(self, event: Event) -> None:
        scope = self._scope(event)
        self._wake_all(scope.parent_step_id)
        scope.status = "completed"
        scope.result = event.fields.get("results")
        usage = event.fields.get("tokenUsage")
        scope.token_usage = Usage.from_json(usage) if isinstance(usage, dict) else None
        if scope.parent_step_id is None:
            self.status = "completed"
            self.result = scope.result
            self.token_usage = scope.token_usage

    def _on_error(self, event: Event) -> None:
        scope = self._scope(event)
        self._wake_all(scope.parent_step_id)
        message = _text(event.fields, "message") or "workflow failed"
        cancelled = event.fields.get("status") == "cancelled" or message == CANCELLED_MESSAGE
        scope.status = "cancelled" if cancelled else "failed"
        scope.error = message
        if scope.parent_step_id is None:
            self.status = scope.status
            self.error = message
            self.error_details = event.fields.get("details")

    # ---- bookkeeping ------------------------------------------------------

    def _wake_all(self, key: ScopeKey) -> None:
        """A scope that ended sleeps no more (a cancelled run ends mid-sleep)."""
        ended = [s.step_id for s in self.sleeping.values() if s.parent_step_id == key]
        for step_id in ended:
            del self.sleeping[step_id]

    def _scope(self, event: Event) -> ScopeState:
        depth, parent = _scope_of(event)
        scope = self.scopes.get(parent)
        if scope is None:
            scope = self.scopes[parent] = ScopeState(depth, parent)
        return scope

    def _phase_for(self, name: str | None, depth: int, parent: str | None) -> PhaseState:
        """The phase entry for ``name`` in a scope, created in first-seen order."""
        key = (parent, name)
        phase = self._phase_index.get(key)
        if phase is None:
            phase = self._phase_index[key] = PhaseState(name, depth, parent)
            self.phases.append(phase)
            self._scope_for(depth, parent)
        return phase

    def _scope_for(self, depth: int, parent: str | None) -> None:
        if parent not in self.scopes:
            self.scopes[parent] = ScopeState(depth, parent)

    def _agent_for(self, event: Event) -> AgentState:
        """The agent an end event is about; a stream joined midway gets a placeholder."""
        step_id = _text(event.metadata, "stepId") or f"seq-{event.seq}"
        agent = self.agents.get(step_id)
        if agent is None:
            synthetic = Event(
                EventType.AGENT_STARTED, {"phase": None}, event.metadata, event.elapsed_ns, -1
            )
            self._add_agent(synthetic, "running")
            agent = self.agents[step_id]
        return agent

    def _finish(self, agent: AgentState, status: AgentStatus, event: Event) -> None:
        phase = self._phase_for(agent.phase, agent.depth, agent.parent_step_id)
        self._forget_status(agent)
        agent.status = status
        agent.ended_ns = event.elapsed_ns if event.elapsed_ns is not None else agent.started_ns
        for counts in (self.counts, phase.counts):
            counts.add(status)
            counts.replayed += 1 if agent.replayed else 0
        if status == "failed":
            phase.failed_ids.append(agent.step_id)
        refusals = event.fields.get("refusals")
        agent.refusals = len(refusals) if isinstance(refusals, list) else 0
        calls = event.fields.get("calls")
        agent.calls = [c for c in calls if isinstance(c, dict)] if isinstance(calls, list) else []
        for provider, usage in self._spent_by(agent, event):
            agent.spent = usage if agent.spent is None else agent.spent + usage
            phase.spend.add(usage)
            self.spend.add(usage)
            self.providers.setdefault(provider, UsageTally()).add(usage)

    def _spent_by(self, agent: AgentState, event: Event) -> list[tuple[str, Usage]]:
        """What an end event adds to the spend, by provider: each of its ``calls``, else its
        ``usage``; a replay adds nothing when the agent's first end was counted."""
        if agent.replayed and agent.spent is not None:
            return []
        if agent.calls:
            return [
                (_text(call, "provider") or "?", Usage.from_json(usage))
                for call in agent.calls
                if isinstance(usage := call.get("usage"), dict)
            ]
        if agent.usage is None:
            return []
        return [(_text(event.metadata, "provider") or agent.provider or "?", agent.usage)]

    def _forget_status(self, agent: AgentState) -> None:
        """Undo an agent's contribution to the status counts before it changes status."""
        phase = self._phase_for(agent.phase, agent.depth, agent.parent_step_id)
        for counts in (self.counts, phase.counts):
            counts.add(agent.status, -1)
            counts.replayed -= 1 if agent.replayed and agent.status != "running" else 0
        phase.running_ids.pop(agent.step_id, None)
        phase.queued_ids.pop(agent.step_id, None)
        if agent.status == "failed":
            phase.failed_ids.remove(agent.step_id)


def fold(events: list[Event]) -> RunState:
    """A RunState of a whole recorded stream (replays, tests, ``history``)."""
    state = RunState()
    for event in events:
        state.apply(event)
    return state


def _scope_of(event: Event) -> tuple[int, str | None]:
    depth = event.metadata.get("workflowDepth")
    return (depth if isinstance(depth, int) else 0), _text(event.metadata, "parentStepId")


def _text(data: JSONObject, key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _count(data: JSONObject, key: str, default: int = 0) -> int:
    """A non-negative whole number field (milliseconds), else ``default``."""
    value = data.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return int(value)
    return default


_HANDLERS: dict[str, Callable[[RunState, Event], None]] = {
    EventType.STARTED: RunState._on_started,
    EventType.PHASE: RunState._on_phase,
    EventType.LOG: RunState._on_message,
    EventType.WARNING: RunState._on_message,
    EventType.AGENT_QUEUED: RunState._on_agent_queued,
    EventType.AGENT_STARTED: RunState._on_agent_started,
    EventType.AGENT_EVENT: RunState._on_agent_event,
    EventType.AGENT_COMPLETED: RunState._on_agent_completed,
    EventType.AGENT_FAILED: RunState._on_agent_failed,
    EventType.SLEEP_STARTED: RunState._on_sleep_started,
    EventType.SLEEP_COMPLETED: RunState._on_sleep_completed,
    EventType.APPROVAL_REQUESTED: RunState._on_asked,
    EventType.SIGNAL_WAITING: RunState._on_asked,
    EventType.APPROVAL_RESOLVED: RunState._on_answered,
    EventType.SIGNAL_RECEIVED: RunState._on_answered,
    EventType.RESULT: RunState._on_result,
    EventType.ERROR: RunState._on_error,
}
