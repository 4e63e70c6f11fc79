"""The loop that drives every scope of a run and settles their requests.

Each turn: start the JS of the first scope with news on its thread (``engine/polls.py``),
start queued calls, collect finished work (that poll's reply among it, whose requests
are then routed to their kinds), commit the turn's writes in one transaction, and only
then hand results to JS and events to the sinks, so a crash never loses a finished
call. Child workflows are scopes polled by the same loop, so they run concurrently with
their parent and with each other.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Iterator

import anyio
from anyio.abc import TaskGroup

from smolwf.clock import rfc3339_now
from smolwf.engine.cancel import Cancellation
from smolwf.engine.commits import Commits
from smolwf.engine.context import RunContext
from smolwf.engine.kinds import Kinds
from smolwf.engine.polls import Polls
from smolwf.engine.report import RunReport
from smolwf.engine.scope import Scope
from smolwf.engine.supervise import supervise
from smolwf.errors import (
    RunStoppedByStore,
    StoreError,
    WorkflowCancelled,
    WorkflowFailed,
    WorkflowWaiting,
)
from smolwf.events.types import EventType
from smolwf.js.host import JsPoll
from smolwf.jsontypes import JSONObject
from smolwf.store.ownership import HEARTBEAT_INTERVAL_S
from smolwf.store.paths import resume_command
from smolwf.store.problems import WriteFailed
from smolwf.store.runs import RunStore

EARLY_COMMIT_EVENTS = 4096
"""Events a turn may hold before the loop commits them, between two polls of its
scopes: a resumed run replays its calls and their events without a provider call, so
its turn would otherwise hold every event until the end and write them all at once,
leaving their copy into the database (``store/checkpointer.py``) to the very end."""
TURN_MAX_RESULTS = 1024
TURN_MAX_S = 0.05
"""A turn hands results to JS after this many, or this long, even if more keep coming.

Only a stream of results that keeps arriving reaches these (a turn ends as soon as
nothing more is ready). A commit costs about the pages it dirties, and the checkpoint
index dirties most of its pages in any commit, so fewer, fuller commits are cheaper."""


YOUNG_GC_THRESHOLD = 10_000
"""Allocations between two collections of the youngest generation while turns run
(Python's default is 700). A turn makes and drops thousands of short-lived objects per
call batch; collecting every 700 allocations walked them ten times as often and pushed
survivors on into full collections: a 10,000-call run spent 65-134 ms collecting, now
7-14 ms (``bench/gc_pauses.py``). Cyclic garbage is still collected, in larger batches."""
_runs_turning = 0
_threshold_before: tuple[int, int, int] | None = None


@contextlib.contextmanager
def _fewer_young_collections() -> Iterator[None]:
    """Raise the youngest generation's threshold while any run of the process turns;
    the last one to end puts back what the process had."""
    global _runs_turning, _threshold_before
    if _runs_turning == 0:
        _threshold_before = gc.get_threshold()
        gc.set_threshold(YOUNG_GC_THRESHOLD, *_threshold_before[1:])
    _runs_turning += 1
    try:
        yield
    finally:
        _runs_turning -= 1
        if _runs_turning == 0 and _threshold_before is not None:
            gc.set_threshold(*_threshold_before)


class Loop:
    """The turns of one execution of a run, from the root's start to its end."""

    def __init__(
        self,
        ctx: RunContext,
        store: RunStore,
        root: Scope,
        kinds: Kinds,
        cancellation: Cancellation,
        *,
        resume_note: str | None = None,
    ) -> None:
        self.ctx = ctx
        self.store = store
        self.root = root
        self.kinds = kinds
        self.cancellation = cancellation
        self.resume_note = resume_note
        self.polls = Polls(ctx, self._polled)
        self.commits = Commits(ctx, store)
        self.root_poll: JsPoll | None = None
        """The root's final poll, once the workflow ended."""
        ctx.scopes.append(root)

    async def run(self) -> RunReport:
        ctx = self.ctx
        started: JSONObject = {
            "startTime": rfc3339_now(),
            "name": self.root.script.meta.name,
            "attempt": ctx.attempt.number,
        }
        ctx.emitter.emit(EventType.STARTED, started)
        if self.resume_note is not None:
            ctx.warn(self.resume_note, "resume")
        try:
            with anyio.CancelScope() as cancel_scope, _fewer_young_collections():
                self.cancellation.bind(cancel_scope)
                poll = await supervise(self._turns, self._heartbeat, self.polls.watch)
            if self.cancellation.requested or poll is None:
                raise WorkflowCancelled(exit_code=self.cancellation.exit_code or 130)
            return self._finish(poll)
        except WorkflowWaiting:
            self._park()
            raise
        except WorkflowCancelled as error:
            self._fail("cancelled", error.message)
            raise
        except WorkflowFailed as error:
            self._fail("failed", error.message)
            raise
        except WriteFailed as error:  # writing that the run failed would fail too
            raise RunStoppedByStore(self._write_failed(error)) from None
        except BaseException:
            self._fail("failed", "smol-wf stopped unexpectedly")
            raise
        finally:
            for scope in ctx.scopes[1:]:
                scope.host.close()

    async def _turns(self, group: TaskGroup) -> JsPoll:
        self.ctx.group = group
        self.kinds.agents.workers.bind(group)
        self.polls.listen()
        while True:
            self.commits.settle_if_done()
            self.polls.begin()
            self.kinds.agents.start_queued()
            await self._collect()
            if self.root_poll is not None:
                return self.root_poll
            self._commit()

    def _polled(self, scope: Scope, poll: JsPoll) -> None:
        """A poll that ran on the scope's thread: route what it asked, then hand out the
        answers that needed no new work, polling until no scope has any."""
        self._route(scope, poll)
        while self.root_poll is None:
            dirty = [scope for scope in self.ctx.scopes if scope.dirty]
            if not dirty:
                return
            for scope in dirty:
                self._route(scope, self.polls.now(scope))
                if self.root_poll is not None:
                    return

    def _route(self, scope: Scope, poll: JsPoll) -> None:
        """Hand what a poll asked to the request kinds; the root's final poll ends the run."""
        self.ctx.memory.note(scope, poll.memory_used)
        scope.pending = poll.pending
        kinds, answering = self.kinds, self.root.answering
        answering.now = True
        try:
            for request in poll.requests:
                kinds.handle(scope, request)
            if poll.finished:
                if scope is self.root:
                    self.root_poll = poll
                    return
                kinds.children.finished(scope, poll)
        finally:
            answering.now = False
        if self.ctx.batch.event_count >= EARLY_COMMIT_EVENTS:
            self._commit()

    async def _heartbeat(self) -> None:
        while True:
            await anyio.sleep(HEARTBEAT_INTERVAL_S)
            with contextlib.suppress(StoreError):  # a busy database: the next beat will do
                self.store.heartbeat(self.ctx.attempt.run_id)

    async def _collect(self) -> None:
        """Gather finished work; block only when nothing is ready to hand back to JS.

        While work keeps finishing without blocking (fast providers), queued calls keep
        starting and results keep accumulating, up to ``TURN_MAX_RESULTS`` or
        ``TURN_MAX_S``, so one commit and one JS settle serve many calls. A turn whose poll
        still runs on its thread ends with that poll's reply: each turn then hands JS one
        batch while the loop applies the next.
        """
        pending, workers = self.ctx.pending, self.kinds.agents.workers
        await anyio.lowlevel.checkpoint()
        workers.rebalance()
        done = pending.take(TURN_MAX_RESULTS)
        if not done:
            if self.commits.behind:  # its answers may be what JS waits for: release them
                self.commits.settle()
                return
            if self.kinds.agents.startable:  # start the next batch in the next turn
                return
            if pending.nothing:
                for scope in self.ctx.scopes:  # a job that ran out of memory loses its promise
                    full = scope.host.out_of_memory()
                    if full is not None:
                        raise WorkflowFailed(full)
                waiting = sum(scope.pending for scope in self.ctx.scopes)
                raise WorkflowFailed(
                    f"workflow can never finish: {waiting} promises pending and no agent running"
                )
            if pending.only_humans and self.ctx.config.on_wait == "exit":
                raise WorkflowWaiting(self.ctx.attempt.run_id)
            self._commit(flush_running=True)  # what runs now may run long: show it
            await pending.wait()
            done = pending.take(TURN_MAX_RESULTS)
        deadline = time.monotonic() + TURN_MAX_S
        applied = 0
        while True:
            for item in done:
                item.apply()
                if self.root_poll is not None:
                    return
            applied += len(done)
            enough = applied >= TURN_MAX_RESULTS or time.monotonic() > deadline
            if enough and self.polls.running is None:
                return
            self.kinds.agents.start_queued()
            await anyio.lowlevel.checkpoint()
            workers.rebalance()
            done = pending.take(TURN_MAX_RESULTS if enough else TURN_MAX_RESULTS - applied)
            if not done:
                if self.polls.running is None:
                    return
                await pending.wait()  # the poll on its thread: the turn ends with its reply
                done = pending.take(TURN_MAX_RESULTS)

    def _commit(self, *, flush_running: bool = False) -> None:
        self.kinds.agents.announce_queued()
        self.kinds.agents.record_spend()
        self.commits.commit(flush_running=flush_running)

    # ---- the end -----------------------------------------------------------

    def _finish(self, poll: JsPoll) -> RunReport:
        ctx = self.ctx
        self.commits.settle()
        if poll.status == "failed":
            raise WorkflowFailed(poll.error or "workflow failed")
        if ctx.caps.tripped is not None:
            raise WorkflowFailed(ctx.caps.tripped)
        abandoned = self.kinds.agents.unfinished + self.kinds.children.unfinished
        if abandoned:
            message = (
                f"{abandoned} agent calls or child workflows were still running when the "
                "workflow finished; they were cancelled (await every agent() and workflow() call)"
            )
            ctx.warn(message, "run")
        unanswered = self.kinds.human.unfinished
        if unanswered:
            message = (
                f"{unanswered} requests to a person were still open when the workflow "
                "finished; they were closed (await every requestApproval() and waitForSignal())"
            )
            ctx.warn(message, "run")
        usage = ctx.run_total()
        data: JSONObject = {"tokenUsage": usage.report_json(), "results": poll.result}
        ctx.emitter.emit(EventType.RESULT, data)
        self.kinds.agents.record_spend(everything=True)
        self.store.finish_run(ctx.attempt, "completed", result=poll.result, batch=ctx.batch)
        ctx.emitter.release()
        return RunReport(ctx.attempt.run_id, usage, poll.result)

    def _write_failed(self, error: WriteFailed) -> str:
        """The store refused a turn: the run stops, resumable from what was recorded."""
        resume = resume_command(self.ctx.attempt.run_id, self.store.path)
        if error.refused:
            return (
                f"{error.message}; the run stopped and nothing it recorded is lost: free some "
                f"space, then resume with `{resume}`"
            )
        return f"{error.message}; the run stopped: fix the database, then resume with `{resume}`"

    def _settle_before_end(self) -> None:
        """Release the background commit before the run's last writes; its failure
        stops the run as any refused write does."""
        try:
            self.commits.settle()
        except WriteFailed as error:
            raise RunStoppedByStore(self._write_failed(error)) from None

    def _park(self) -> None:
        """``--on-wait exit``: the run stays ``waiting`` without an owner, for a resume."""
        ctx = self.ctx
        self._settle_before_end()
        self.kinds.agents.record_spend(everything=True)
        self.store.park_run(ctx.attempt, ctx.batch)
        ctx.emitter.release()

    def _fail(self, status: str, message: str) -> None:
        ctx = self.ctx
        self._settle_before_end()
        ctx.emitter.emit(EventType.ERROR, {"message": message, "status": status})
        self.kinds.agents.record_spend(everything=True)
        self.store.finish_run(ctx.attempt, status, error=message, batch=ctx.batch)
        ctx.emitter.release()
