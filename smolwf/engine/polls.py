"""Handing answers to a scope's JS and taking what it asked: now, or on its thread while
the loop goes on.

At the start of a turn the loop hands the first scope with news the answers its last
commit made durable, and lets that JS run on the scope's thread (QuickJS lets go of the
GIL) while the loop applies the calls finishing meanwhile and starts queued ones. The
poll's reply is a completion like theirs, applied in the loop's turn. Answers that cost
nothing new (``scope.Answering``) are handed over at once, by polls that wait. One scope
polls at a time, so the run's JS memory budget holds (``engine/memory.py``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import anyio
import anyio.lowlevel

from smolwf.engine.context import RunContext
from smolwf.engine.pending import Completion
from smolwf.engine.scope import Scope
from smolwf.errors import WorkflowFailed
from smolwf.js.host import JsPoll
from smolwf.records import record

WATCH_INTERVAL_S = 0.05
"""How often a poll running on its thread is checked for running far past its limit."""


@record
class JsPolled:
    """A scope's poll ended on its thread."""

    polls: Polls
    scope: Scope

    def apply(self) -> None:
        self.polls.finished(self.scope)


@record
class JsOverran:
    """A scope's JS ran far past ``--js-slice-timeout`` without QuickJS stopping it."""

    message: str

    def apply(self) -> None:
        raise WorkflowFailed(self.message)


class Polls:
    """The polls of one run; ``on_polled`` routes what a poll brought back."""

    def __init__(self, ctx: RunContext, on_polled: Callable[[Scope, JsPoll], None]) -> None:
        self.ctx = ctx
        self.on_polled = on_polled
        self.running: Scope | None = None
        """The scope whose JS runs on its thread now (one at a time)."""
        self._post_from_thread: Callable[[Completion], None] | None = None
        self._begun: anyio.Event | None = None
        """Set when a poll starts on its thread: wakes the watch."""

    def listen(self) -> None:
        """On the loop's thread, in the run: let the JS threads post their completions."""
        token = anyio.lowlevel.current_token()
        backend, native, post = token.backend_class, token.native_token, self.ctx.pending.post_first

        def post_from_thread(completion: Completion) -> None:
            with contextlib.suppress(Exception):  # the run ended: nobody waits for it
                backend.run_sync_soon(post, (completion,), native)

        self._post_from_thread = post_from_thread

    def begin(self) -> None:
        """Start the first scope with news on its thread, unless a scope polls already."""
        if self.running is not None:
            return
        for scope in self.ctx.scopes:
            if scope.dirty:
                self._begin(scope)
                return

    def _begin(self, scope: Scope) -> None:
        post = self._post_from_thread
        assert post is not None, "Polls.listen() first"
        completion = JsPolled(self, scope)
        limit, measure = self._hand_over(scope)
        self.running = scope
        self.ctx.pending.started()
        if self._begun is not None:
            self._begun.set()
        scope.host.begin_poll(lambda: post(completion), memory_limit=limit, measure=measure)

    def now(self, scope: Scope) -> JsPoll:
        """Poll ``scope`` and wait for it (no other scope polls now)."""
        limit, measure = self._hand_over(scope)
        return scope.host.poll(memory_limit=limit, measure=measure)

    def finished(self, scope: Scope) -> None:
        self.running = None
        self.on_polled(scope, scope.host.end_poll())

    async def watch(self) -> None:
        """Fail the run when a poll on its thread runs far past its limit; asleep while
        no poll runs (a run waiting hours for a person wakes for nothing)."""
        while True:
            if self.running is None:
                self._begun = anyio.Event()
                await self._begun.wait()
            await anyio.sleep(WATCH_INTERVAL_S)
            scope = self.running
            message = scope.host.overrun() if scope is not None else None
            if message is not None:
                self.ctx.pending.started()
                self.ctx.pending.post(JsOverran(message))
                return

    def _hand_over(self, scope: Scope) -> tuple[int, bool]:
        """Give ``scope`` its answers; its heap limit and whether to measure it after."""
        scope.dirty = False
        settlements, scope.settle_now = scope.settle_now, []
        scope.host.settle(settlements)
        scopes = self.ctx.scopes
        return self.ctx.memory.limit_for(scope, scopes), len(scopes) > 1
