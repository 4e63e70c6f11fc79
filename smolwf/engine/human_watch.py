"""Noticing answers to a run's open requests, whichever process wrote them.

While a request is open, one task looks at the database every ``POLL_S``: a
``PRAGMA data_version`` read (it changes only when another connection committed) and,
only then, one indexed query for the open requests no longer pending. At a deadline it
lets the deadline decide, in a transaction that loses to an answer already written.
Waiting therefore costs a few hundred cheap reads a minute, no tokens and no agent slot.
"""

from __future__ import annotations

import contextlib
from typing import Protocol

import anyio

from smolwf.clock import now_ms
from smolwf.engine.context import RunContext
from smolwf.errors import StoreError
from smolwf.store.human import HumanRequest, HumanRequests

POLL_S = 0.25
"""How often an open request's answer is looked for: a run goes on within about this."""
MIN_PAUSE_S = 0.01
"""The shortest pause, for a deadline already passed whose row is not committed yet."""


class Watched(Protocol):
    """The open requests of a run, and where their answers go."""

    def waiting(self) -> list[HumanRequest]:
        """Open requests whose answer has not been found yet."""

    def arrived(self, row: HumanRequest) -> None:
        """``row`` is answered or timed out: post its completion."""


class AnswerWatch:
    """Polls the store for one run's answers while it has open requests."""

    def __init__(self, ctx: RunContext, requests: HumanRequests, watched: Watched) -> None:
        self.ctx = ctx
        self.requests = requests
        self.watched = watched
        self.running = False

    def start(self) -> None:
        """Start looking, unless already looking (a new request joins the current task)."""
        if not self.running:
            assert self.ctx.group is not None, "the loop has not started"
            self.running = True
            self.ctx.group.start_soon(self._run)

    async def _run(self) -> None:
        try:
            while waiting := self.watched.waiting():
                await anyio.sleep(_pause(waiting, now_ms()))
                with contextlib.suppress(StoreError):  # a busy database: look again soon
                    self._look()
        finally:
            self.running = False

    def _look(self) -> None:
        waiting = self.watched.waiting()
        if waiting and self.requests.changed():
            for row in self.requests.settled([request.request_id for request in waiting]):
                self.watched.arrived(row)
        now = now_ms()
        for request in self.watched.waiting():
            if request.expired(now):
                decided = self.requests.expire(request, now)
                if decided is not None:
                    self.watched.arrived(decided)


def _pause(waiting: list[HumanRequest], now: int) -> float:
    """Until the next look: ``POLL_S``, or less when a deadline comes sooner."""
    deadlines = [request.deadline_at for request in waiting if request.deadline_at is not None]
    if not deadlines:
        return POLL_S
    return max(MIN_PAUSE_S, min(POLL_S, (min(deadlines) - now) / 1000))
