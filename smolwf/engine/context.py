"""What every part of one run's loop shares: its inputs, the turn's writes, its events,
its spend and the work it waits for.

Request kinds (agents, children, timers, messages) are handed this object, never the
loop or the ``WorkflowRun``: they record steps, emit events and start work through it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anyio.abc import TaskGroup

from smolwf.clock import now_ms
from smolwf.engine.budget import Budget
from smolwf.engine.caps import BudgetCaps
from smolwf.engine.config import RunConfig
from smolwf.engine.emitter import Emitter
from smolwf.engine.memory import MemoryBudget
from smolwf.engine.pending import Pending
from smolwf.engine.rate_limits import RateLimit
from smolwf.engine.scope import Scope
from smolwf.events.types import EventType
from smolwf.js.host import JsLimits
from smolwf.jsontypes import JSON
from smolwf.store.batch import StepEnd, StepStart, WriteBatch
from smolwf.store.runs import Attempt, StepRecord
from smolwf.usage import Usage, UsageTally


@dataclass(eq=False, slots=True)
class RunContext:
    """One execution (attempt) of a run, as the request kinds see it."""

    config: RunConfig
    attempt: Attempt
    batch: WriteBatch
    emitter: Emitter
    cwd: Path
    js_limits: JsLimits
    checkpoints: dict[str, StepRecord]
    """The run's steps as stored before this attempt, by checkpoint key."""
    budget: Budget
    caps: BudgetCaps
    spent_before: Usage
    """What earlier attempts of the run spent (the ledger's total when this one started)."""
    memory: MemoryBudget
    """The run's JS memory, shared by its scopes."""
    rate_limits: Mapping[str, RateLimit] = field(default_factory=dict)
    """Each limited provider's limits (the root's ``meta.rateLimits`` under the flags)."""
    spent_now: UsageTally = field(default_factory=UsageTally)
    pending: Pending = field(default_factory=Pending)
    scopes: list[Scope] = field(default_factory=list)
    """Every open scope, the root first."""
    group: TaskGroup | None = None

    # ---- events ------------------------------------------------------------

    def emit(
        self,
        scope: Scope,
        kind: EventType,
        data: JSON,
        *,
        step_id: str | None = None,
        provider: str | None = None,
        session_id: str | None = None,
        data_text: str | None = None,
    ) -> None:
        """An event of ``scope``: its depth and, in a child, the parent's step id."""
        self.emitter.emit(
            kind,
            data,
            depth=scope.depth,
            parent=scope.step_id,
            step_id=step_id,
            provider=provider,
            session_id=session_id,
            data_text=data_text,
        )

    def warn(self, message: str, source: str) -> None:
        """A run-level ``[warn]`` line."""
        self.emitter.emit(EventType.WARNING, {"message": message, "source": source})

    def debug(self, line: str) -> None:
        if self.config.debug_log is not None:
            self.config.debug_log(line)

    # ---- steps -------------------------------------------------------------

    def start_step(
        self,
        scope: Scope,
        step_id: str,
        checkpoint: str,
        kind: str,
        input_json: str,
        *,
        phase: str | None = None,
        provider: str | None = None,
        model: str | None = None,
        label: str | None = None,
        cache_key: str | None = None,
        origin_json: str | None = None,
    ) -> None:
        """Queue the step's ``running`` row; it is written with a later turn's writes."""
        self.batch.step_started(
            StepStart(
                step_id, scope.key, checkpoint, kind, input_json, now_ms(),
                phase, provider, model, label, cache_key, origin_json,
            )
        )  # fmt: skip

    def end_step(self, step_id: str, end: StepEnd) -> None:
        self.batch.step_finished(step_id, end)

    # ---- spend -------------------------------------------------------------

    def run_total(self) -> Usage:
        """What the whole run spent so far, every attempt included."""
        return self.spent_before + self.spent_now.usage()

    def check_caps(self) -> None:
        """Trip the budget latch (and say so once) when the run's spend reached a cap."""
        if not self.caps.any or self.caps.tripped is not None:
            return
        message = self.caps.check(self.run_total())
        if message is not None:
            self.warn(message, "budget")

    # ---- work --------------------------------------------------------------

    def spawn(self, work: Callable[..., Coroutine[Any, Any, None]], *args: Any) -> None:
        """Start a task in the loop's task group; it must post a completion when done."""
        assert self.group is not None, "the loop has not started"
        self.pending.started()
        self.group.start_soon(work, *args)
