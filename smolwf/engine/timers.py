"""``sleep()`` and the sandbox ``exec()``: work that ends on its own, started as a task.

A sleep is durable: its wake time is stored in its step, so a resume only waits what is
left and a finished sleep is not slept again. An exec is not a checkpoint: it re-runs on
resume (it is cheap, and its effects live outside the run).
"""

from __future__ import annotations

import anyio

from smolwf.clock import now_ms
from smolwf.engine.context import RunContext
from smolwf.engine.keys import sleep_key
from smolwf.engine.scope import Scope
from smolwf.errors import AgentCallError
from smolwf.events.types import EventType
from smolwf.ids import new_id
from smolwf.js.requests import ExecCall, SleepCall
from smolwf.jsontypes import JSON, JSONObject, clean_text, without_lone_surrogates
from smolwf.records import record
from smolwf.store.batch import StepEnd
from smolwf.store.runs import dumps

SLEPT = dumps({"ok": True})


@record
class Woke:
    """A sleep's wake time came: its step completes and its promise resolves."""

    ctx: RunContext
    scope: Scope
    request_id: int
    step_id: str
    duration_ms: int

    def apply(self) -> None:
        ctx = self.ctx
        ctx.end_step(self.step_id, StepEnd("completed", now_ms(), SLEPT))
        data: JSONObject = {"durationMs": self.duration_ms}
        ctx.emit(self.scope, EventType.SLEEP_COMPLETED, data, step_id=self.step_id)
        self.scope.settle(self.request_id, True, None, None)


@record
class Executed:
    """A sandbox exec ended: its ``{exitCode, stdout, stderr}``, or why it could not run."""

    scope: Scope
    request_id: int
    value: JSON
    error: str | None

    def apply(self) -> None:
        if self.error is not None:
            self.scope.settle(self.request_id, False, clean_text(self.error), None)
        else:
            self.scope.settle(self.request_id, True, without_lone_surrogates(self.value), None)


class Timers:
    """The ``sleep`` and ``exec`` request kinds of one run."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx

    def sleep(self, scope: Scope, request: SleepCall) -> None:
        ctx = self.ctx
        checkpoint = scope.occurrences.checkpoint(sleep_key(scope=scope.key, ms=request.ms))
        stored = ctx.checkpoints.get(checkpoint)
        if stored is not None and stored.status == "completed":
            scope.settle(request.id, True, None, None)
            return
        if stored is not None and stored.wake_at is not None:
            step_id, wake_at = stored.step_id, stored.wake_at
        else:
            step_id, wake_at = new_id("step"), now_ms() + request.ms
        ctx.start_step(
            scope,
            step_id,
            checkpoint,
            "sleep",
            dumps({"durationMs": request.ms, "wakeAt": wake_at}),
        )
        remaining = max(0, wake_at - now_ms())
        data: JSONObject = {"durationMs": request.ms, "wakeAt": wake_at, "remainingMs": remaining}
        ctx.emit(scope, EventType.SLEEP_STARTED, data, step_id=step_id)
        ctx.spawn(self._sleep, Woke(ctx, scope, request.id, step_id, request.ms), wake_at)

    async def _sleep(self, woke: Woke, wake_at: int) -> None:
        await anyio.sleep(max(0, wake_at - now_ms()) / 1000)
        self.ctx.pending.post(woke)

    def exec(self, scope: Scope, request: ExecCall) -> None:
        self.ctx.spawn(self._exec, scope, request)

    async def _exec(self, scope: Scope, request: ExecCall) -> None:
        from smolwf.sandbox import sandbox_exec  # only scripts that use exec pay for it

        try:
            value = await sandbox_exec(request.profile, request.request, cwd=self.ctx.cwd)
            done = Executed(scope, request.id, value, None)
        except AgentCallError as error:
            done = Executed(scope, request.id, None, error.message)
        self.ctx.pending.post(done)
