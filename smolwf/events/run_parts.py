"""The parts of a ``RunState``: agents, phases, scopes, sleeps, requests and messages of
one run.

Plain data a viewer reads; ``run_state`` keeps them up to date as events arrive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from smolwf.jsontypes import JSON, JSONObject
from smolwf.usage import Usage, UsageTally

AgentStatus = Literal["queued", "running", "completed", "failed"]
RunStatus = Literal["running", "completed", "failed", "cancelled"]
RequestStatus = Literal["pending", "approved", "denied", "received", "timed out"]


@dataclass(slots=True)
class StatusCounts:
    """Agents by status, kept up to date as events arrive (never recounted)."""

    queued: int = 0
    """Calls waiting for a free slot (``--max-parallel-agents``)."""
    running: int = 0
    completed: int = 0
    failed: int = 0
    replayed: int = 0
    """Agents answered from checkpoints on resume; they are also counted as completed."""

    @property
    def total(self) -> int:
        return self.queued + self.running + self.completed + self.failed

    @property
    def done(self) -> int:
        return self.completed + self.failed

    @property
    def unfinished(self) -> int:
        return self.queued + self.running

    def add(self, status: AgentStatus, delta: int = 1) -> None:
        setattr(self, status, getattr(self, status) + delta)


@dataclass(slots=True)
class AgentState:
    """One ``agent()`` call, keyed by its ``stepId``."""

    step_id: str
    phase: str | None
    prompt_preview: str
    label: str | None = None
    provider: str | None = None
    model: str | None = None
    depth: int = 0
    parent_step_id: str | None = None
    replayed: bool = False
    cached: bool = False
    """Its answer came from an earlier run's equal call (``--cache``); also ``replayed``."""
    status: AgentStatus = "running"
    started_ns: int = 0
    """When it started (or, while queued, when it was queued)."""
    queued_ns: int | None = None
    """When it was queued, for a call that had to wait for a slot."""
    ended_ns: int | None = None
    usage: Usage | None = None
    """What its answer reported (``agent_completed``'s ``usage``)."""
    spent: Usage | None = None
    """What it cost: every provider call of every attempt seen (retries, fallbacks,
    schema corrections, failed attempts before a resume)."""
    session_id: str | None = None
    error: str | None = None
    failure_kind: str | None = None
    refusals: int = 0
    """Tool uses its CLI refused (``refusals`` of its end event)."""
    calls: list[JSONObject] = field(default_factory=list)
    """Its provider calls when there were several (``calls`` of its end event)."""
    event_count: int = 0
    """``workflow.agent_event`` envelopes seen for this agent (provider transcript lines)."""

    @property
    def title(self) -> str:
        """What a user recognises the agent by: its label, else the start of its prompt."""
        return self.label or self.prompt_preview

    def elapsed_ns(self, now_ns: int | None = None) -> int | None:
        """Run time: start to end when done, start to ``now_ns`` while running."""
        end = self.ended_ns if self.ended_ns is not None else now_ns
        return None if end is None else max(0, end - self.started_ns)


@dataclass(slots=True)
class PhaseState:
    """A ``phase()`` of one scope, or an agent's phase never announced by ``phase()``.

    ``name`` None collects the agents started outside any phase.
    """

    name: str | None
    depth: int = 0
    parent_step_id: str | None = None
    options: JSON = None
    has_options: bool = False
    announced: bool = False
    """True when a ``workflow.phase`` event named it (not only an agent's ``phase``)."""
    agent_ids: list[str] = field(default_factory=list)
    running_ids: dict[str, None] = field(default_factory=dict)
    """Step ids still running, in start order (a dict as an ordered set: O(1) removal)."""
    queued_ids: dict[str, None] = field(default_factory=dict)
    """Step ids waiting for a slot, in queue order."""
    failed_ids: list[str] = field(default_factory=list)
    counts: StatusCounts = field(default_factory=StatusCounts)
    spend: UsageTally = field(default_factory=UsageTally)
    """What its agents' provider calls cost, counted when each agent ended."""

    @property
    def usage(self) -> Usage:
        return self.spend.usage()


@dataclass(slots=True)
class Message:
    """A ``log()`` line or a warning, in stream order."""

    kind: Literal["log", "warning"]
    message: str
    elapsed_ns: int | None
    depth: int = 0
    parent_step_id: str | None = None
    source: str | None = None


@dataclass(slots=True)
class SleepState:
    """A ``sleep()`` in progress, shown under the phase its scope was in when it began."""

    step_id: str
    phase: str | None
    depth: int
    parent_step_id: str | None
    started_ns: int
    wake_ns: int
    """The elapsed time it wakes at: its start plus what was left to sleep."""
    duration_ms: int

    def left_ns(self, now_ns: int) -> int:
        return max(0, self.wake_ns - now_ns)


@dataclass(slots=True)
class RequestState:
    """A ``requestApproval()`` or ``waitForSignal()``, keyed by its ``requestId``."""

    request_id: str
    kind: Literal["approval", "signal"]
    title: str
    """The approval's label or the signal's name, else the request id."""
    message: str | None = None
    step_id: str | None = None
    deadline: str | None = None
    commands: list[str] = field(default_factory=list)
    """What answers it (``smol-wf approve …``, ``deny …``, ``signal …``)."""
    status: RequestStatus = "pending"
    by: str | None = None
    note: str | None = None


@dataclass(slots=True)
class ScopeState:
    """The root workflow or one child workflow: its own start, result or error."""

    depth: int
    parent_step_id: str | None
    status: RunStatus = "running"
    name: str | None = None
    """A child's workflow name (its ``meta.name``)."""
    caller: str | None = None
    """The calling child's ``parentStepId`` (None: the root called it)."""
    current_phase: str | None = None
    """The scope's latest ``phase()``: where its sleeps are shown."""
    start_time: str | None = None
    result: JSON = None
    token_usage: Usage | None = None
    error: str | None = None

    @property
    def label(self) -> str:
        """``root``, or a child's name and the end of its step id: children started at
        the same moment share the start of their (time-ordered) ids, not the end."""
        if self.parent_step_id is None:
            return "root"
        return f"{self.name or 'child'}·{self.parent_step_id[-4:]}"
