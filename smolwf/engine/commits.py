"""Making a turn's writes durable, then letting out what they made durable.

The turn rule: an answer that was paid for reaches JS, and an event reaches the sinks,
only after the commit that holds it. A small turn commits on the loop's thread and
releases at once. A large one (a fan-out's stream of results) commits on the writer's
thread (``store/writer.py``) while the loop applies the next turn's results; its
answers and events are detached when it starts and released once it is done, before
anything later is committed or released, so the order of both is kept.
"""

from __future__ import annotations

from smolwf.engine.context import RunContext
from smolwf.engine.emitter import UnsentEvent
from smolwf.engine.scope import Scope
from smolwf.js.host import Settlement
from smolwf.records import record
from smolwf.store.runs import RunStore

BACKGROUND_ROWS = 256
"""Finished steps and ledger entries from which a turn commits on the writer's thread.
Below it, handing the commit over costs more than the overlap gains (a thread wake-up
is tens of µs; a row, about twenty)."""


@record
class _Detached:
    """What a commit running on the writer's thread will make durable."""

    events: list[UnsentEvent]
    answers: list[tuple[Scope, list[Settlement]]]


class Commits:
    """The commits of one execution of a run; at most one runs in the background."""

    def __init__(self, ctx: RunContext, store: RunStore) -> None:
        self.ctx = ctx
        self.store = store
        self._behind: _Detached | None = None

    @property
    def behind(self) -> bool:
        """A commit runs, or ran, on the writer's thread and is not released yet."""
        return self._behind is not None

    def commit(self, *, flush_running: bool = False) -> None:
        """Commit the turn's writes; large ones go to the writer's thread unless
        ``flush_running`` (the loop is about to wait, and shows what runs meanwhile)."""
        self.settle()
        ctx = self.ctx
        batch = ctx.batch
        large = not flush_running and batch.rows >= BACKGROUND_ROWS
        if large and self.store.commit_in_background(batch):
            answers = [(scope, scope.detach_held()) for scope in ctx.scopes if scope.held]
            self._behind = _Detached(ctx.emitter.detach(), answers)
            return
        self.store.commit(batch, flush_running=flush_running)
        ctx.emitter.release()
        for scope in ctx.scopes:
            scope.release_held()

    def settle_if_done(self) -> None:
        """Release the background commit's answers and events if it ended; never waits."""
        if self._behind is not None and self.store.writer.finished:
            self.settle()

    def settle(self) -> None:
        """Wait for the background commit, if any, and release what it made durable;
        raise what it failed with (nothing it held is released then)."""
        behind = self._behind
        if behind is None:
            return
        self._behind = None
        self.store.writer.wait()
        self.ctx.emitter.deliver(behind.events)
        for scope, settlements in behind.answers:
            scope.release(settlements)
