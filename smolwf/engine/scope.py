"""One scope: a workflow of the run, the root script or a child started by ``workflow()``.

Each scope has its own JS context, checkpoint namespace and phase; scopes share the
run's scheduler, agent count, budget, caps, cancellation and event sink.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smolwf.engine.keys import Occurrences
from smolwf.engine.options import PlanCache
from smolwf.js.host import JsHost, Settlement
from smolwf.jsontypes import JSON
from smolwf.script.source import PreparedScript
from smolwf.usage import UsageTally


@dataclass(slots=True)
class Answering:
    """When the run's answers reach JS; one object shared by the scopes of a run.

    An answer that work paid for (a provider call, a sleep, a person) waits for the
    commit that makes it durable. While the loop handles what a script just asked
    (``now``), answers cost nothing new (a replayed call, a refusal) and JS may see them
    at the scope's next poll, before any commit."""

    now: bool = False


@dataclass(eq=False, slots=True)
class Scope:
    """One workflow of the run: its JS host, checkpoint namespace and place in the tree."""

    key: str
    """Checkpoint namespace: ``root``, or the parent's key plus the child's checkpoint."""
    depth: int
    script: PreparedScript
    host: JsHost
    parent: Scope | None = None
    parent_request: int | None = None
    """The ``workflow()`` request in the parent that this child settles."""
    step_id: str | None = None
    """The child's ``workflow`` step; its events carry it as ``parentStepId``."""
    occurrences: Occurrences = field(default_factory=Occurrences)
    answering: Answering = field(default_factory=Answering)
    settle_now: list[Settlement] = field(default_factory=list)
    """Answers JS may see at the next poll."""
    held: list[Settlement] = field(default_factory=list)
    """Answers waiting for the turn's commit (see ``Answering``)."""
    dirty: bool = True
    """Needs a poll: it just started, or has answers JS may see."""
    pending: int = 0
    """Promises the script still waits on, as its last poll said."""
    spent: UsageTally = field(default_factory=UsageTally)
    """What the calls resolved in this scope (and its finished children) cost."""
    open: bool = True
    plans: PlanCache | None = None
    """Its ``agent()`` option plans, made on its first call (see ``Agents``)."""

    def settle(self, request_id: int, ok: bool, value: JSON, budget_spent: int | None) -> None:
        """Queue the answer to one request; JS sees it at the scope's first poll after the
        turn's commit, or at its next poll when it costs nothing new (``Answering``)."""
        if not self.open:
            return
        settlement = Settlement(request_id, ok, value, budget_spent)
        if self.answering.now:
            self.settle_now.append(settlement)
            self.dirty = True
        else:
            self.held.append(settlement)

    def release_held(self) -> None:
        """The turn committed: its answers may reach JS."""
        self.release(self.detach_held())

    def detach_held(self) -> list[Settlement]:
        """The answers held so far, for ``release`` once a commit on another thread made
        them durable; answers held later wait for a later commit."""
        held, self.held = self.held, []
        return held

    def release(self, settlements: list[Settlement]) -> None:
        """Detached answers whose commit is done: they may reach JS."""
        if settlements:
            self.settle_now.extend(settlements)
            self.dirty = True
