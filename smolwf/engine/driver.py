"""The loop that drives every scope of a run and settles their calls.

Each turn: poll the scopes with news (run their JS, act on what they asked), start
queued calls, collect finished work, commit the turn's writes in one transaction,
and only then hand results to JS, so a crash never loses a finished call. Child
workflows are scopes polled by the same loop, so they run concurrently with their
parent and with each other.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from smolwf import defaults
from smolwf.engine.agent_call import Answer, CallContext, execute_agent
from smolwf.engine.budget import Budget
from smolwf.engine.call_record import call_record
from smolwf.engine.caps import BudgetCaps, js_budget_total
from smolwf.engine.keys import agent_key, sleep_key, workflow_key
from smolwf.engine.options import CallDefaults, PreparedCall, prepare_agent_call
from smolwf.engine.scope import Scope
from smolwf.engine.supervise import supervise
from smolwf.errors import (
    AgentCallError,
    AgentOptionError,
    ProviderError,
    ScriptError,
    StoreError,
    WorkflowCancelled,
    WorkflowFailed,
)
from smolwf.events.emitter import Emitter
from smolwf.events.raw_sessions import RawSessions
from smolwf.events.sinks import EventSink, JsonlSink, PlainProgressSink
from smolwf.events.types import EventType
from smolwf.ids import new_id
from smolwf.js.host import JsHost, JsPoll
from smolwf.js.requests import (
    AgentCall,
    ExecCall,
    JsRequest,
    LogEvent,
    PhaseEvent,
    SleepCall,
    WarningEvent,
    WorkflowCall,
)
from smolwf.jsontypes import JSON, JSONObject, clean_text, without_lone_surrogates
from smolwf.permissions import Refusal, refusal_summary, refusals_json
from smolwf.providers.base import AgentResult, Provider
from smolwf.providers.registry import check_provider_name, create_provider
from smolwf.script.discovery import LookupFailed, find_by_name, workflow_root
from smolwf.script.source import PreparedScript, load_script
from smolwf.store.batch import StepEnd, StepStart, WriteBatch
from smolwf.store.ownership import HEARTBEAT_INTERVAL_S
from smolwf.store.runs import Attempt, RunStore, StepRecord, dumps, now_ms
from smolwf.usage import ZERO_USAGE, Usage

if TYPE_CHECKING:
    from smolwf.engine.run import RunReport, WorkflowRun
    from smolwf.engine.worktree import WorktreeLease

TURN_MAX_RESULTS = 1024
TURN_MAX_S = 0.01
"""A turn hands results to JS after this many, or this long, even if more keep coming."""
MODULE_PREFIXES = ("workflow module evaluation rejected: ", "workflow module rejected: ")


@dataclass(slots=True)
class _Step:
    """An agent call queued or in flight: its checkpoint and what this execution spent."""

    scope: Scope
    call: PreparedCall
    step_id: str
    prior: Usage
    checkpoint: str
    spent: Usage = ZERO_USAGE
    calls: int = 0
    isolation: JSONObject | None = None
    answered_by: str | None = None
    """The provider of a fallback chain that answered."""
    refusals: tuple[Refusal, ...] = ()
    """Tool uses the CLI refused, when the call failed (a success carries its own)."""

    @property
    def who(self) -> str:
        """How messages name the call: its label, else its step id."""
        label = self.call.label
        return repr(label) if label is not None else self.step_id


@dataclass(frozen=True, slots=True)
class _Done:
    scope: Scope
    request_id: int
    step: _Step | None
    sleep_step_id: str | None = None
    result: AgentResult | None = None
    error: str | None = None
    value: JSON = None
    """What a sleep or sandbox exec resolves to."""


class Driver:
    """The per-run loop state; lives for one ``WorkflowRun.execute``."""

    def __init__(
        self,
        owner: WorkflowRun,
        script: PreparedScript,
        store: RunStore,
        host: JsHost,
        attempt: Attempt,
        caps: BudgetCaps,
    ) -> None:
        config = owner.config
        self.owner = owner
        self.config = config
        self.store = store
        self.attempt = attempt
        self.cwd = config.cwd or Path.cwd()
        self.batch = WriteBatch()
        self.emitter = Emitter(
            run_id=attempt.run_id,
            attempt_id=attempt.attempt_id,
            first_seq=store.next_event_seq(attempt.run_id),
            sinks=self._sinks(),
            batch=self.batch,
        )
        self.root = Scope("root", 0, script, host)
        self.scopes: list[Scope] = [self.root]
        self.checkpoints: dict[str, StepRecord] = store.load_steps(attempt.run_id)
        self.prior_total = store.ledger_total(attempt.run_id)
        self.spent_now = ZERO_USAGE
        self.budget = Budget(config.budget_allowance)
        self.caps = caps
        self.queue: deque[_Step] = deque()
        self.in_flight = 0
        self.timers = 0
        self.agents_started = 0
        self.warned_no_cost: set[str] = set()
        send, receive = anyio.create_memory_object_stream[_Done](math.inf)
        self.send: MemoryObjectSendStream[_Done] = send
        self.receive: MemoryObjectReceiveStream[_Done] = receive
        work_send, work_receive = anyio.create_memory_object_stream[_Step](math.inf)
        self.work_send: MemoryObjectSendStream[_Step] = work_send
        self.work_receive: MemoryObjectReceiveStream[_Step] = work_receive
        self.workers = 0
        self.task_group: TaskGroup | None = None
        self.resume_note: str | None = None
        self.providers: dict[str, Provider] = {}
        self.raw_sessions = (
            RawSessions(config.raw_sessions_dir, self._raw_session_warning)
            if config.raw_sessions_dir is not None
            else None
        )

    @property
    def js_budget_total(self) -> int | None:
        return js_budget_total(self.config.budget_allowance, self.caps)

    def _sinks(self) -> list[EventSink]:
        c = self.config
        if c.events_stream is not None:
            return [JsonlSink(c.events_stream), *c.sinks]
        if c.sinks and c.progress_stream is None:
            return list(c.sinks)
        return [PlainProgressSink(c.progress_stream or sys.stderr), *c.sinks]

    # ---- the loop ----------------------------------------------------------

    async def run(self) -> RunReport:
        self.emitter.emit(EventType.STARTED, {"startTime": rfc3339_now()})
        if self.resume_note is not None:
            self.emitter.emit(EventType.WARNING, {"message": self.resume_note, "source": "resume"})
        try:
            with anyio.CancelScope() as cancel:
                self.owner.cancel_scope = cancel
                if self.owner.cancel_exit_code is not None:
                    cancel.cancel()
                poll = await supervise(self._turns, self._heartbeat)
            if self.owner.cancel_exit_code is not None or poll is None:
                raise WorkflowCancelled(exit_code=self.owner.cancel_exit_code or 130)
            return self._finish(poll)
        except WorkflowCancelled as error:
            self._fail("cancelled", error.message)
            raise
        except WorkflowFailed as error:
            self._fail("failed", error.message)
            raise
        except BaseException:
            self._fail("failed", "smol-wf stopped unexpectedly")
            raise
        finally:
            for scope in self.scopes[1:]:
                scope.host.close()

    async def _turns(self, group: TaskGroup) -> JsPoll:
        self.task_group = group
        while True:
            finished = self._poll_scopes()
            if finished is not None:
                return finished
            self._start_queued()
            await self._collect()
            self._commit()

    def _poll_scopes(self) -> JsPoll | None:
        """Poll every scope with news until none has any; the root's final poll ends the run."""
        while True:
            dirty = [scope for scope in self.scopes if scope.dirty]
            if not dirty:
                return None
            for scope in dirty:
                scope.dirty = False
                settlements, scope.settle_now = scope.settle_now, []
                scope.host.settle(settlements)
                poll = scope.host.poll()
                scope.pending = poll.pending
                for request in poll.requests:
                    self._handle(scope, request)
                if poll.finished:
                    if scope is self.root:
                        return poll
                    self._finish_child(scope, poll)

    async def _heartbeat(self) -> None:
        while True:
            await anyio.sleep(HEARTBEAT_INTERVAL_S)
            with contextlib.suppress(StoreError):  # a busy database: the next beat will do
                self.store.heartbeat(self.attempt.run_id)

    async def _collect(self) -> None:
        """Gather finished work; block only when nothing is ready to hand back to JS.

        While work keeps finishing without blocking (fast providers), queued calls keep
        starting and results keep accumulating, up to ``TURN_MAX_RESULTS`` or
        ``TURN_MAX_S``, so one commit and one JS settle serve many calls.
        """
        await anyio.lowlevel.checkpoint()
        done = self._drain()
        if not done:
            if self.in_flight == 0 and self.timers == 0:
                pending = sum(scope.pending for scope in self.scopes)
                raise WorkflowFailed(
                    f"workflow can never finish: {pending} promises pending and no agent running"
                )
            self._commit()
            done = [await self.receive.receive(), *self._drain()]
        deadline = time.monotonic() + TURN_MAX_S
        applied = 0
        while done:
            for item in done:
                self._apply(item)
            applied += len(done)
            if applied >= TURN_MAX_RESULTS or time.monotonic() > deadline:
                return
            self._start_queued()
            await anyio.lowlevel.checkpoint()
            done = self._drain()

    def _drain(self) -> list[_Done]:
        done = []
        while True:
            try:
                done.append(self.receive.receive_nowait())
            except anyio.WouldBlock:
                return done

    def _commit(self) -> None:
        self.store.commit(self.batch)
        self.emitter.release()

    def _emit(
        self, scope: Scope, kind: EventType, data: JSONObject, **metadata: str | None
    ) -> None:
        self.emitter.emit(kind, data, depth=scope.depth, parent=scope.step_id, **metadata)

    # ---- requests from the script ------------------------------------------

    def _handle(self, scope: Scope, request: JsRequest) -> None:
        if isinstance(request, AgentCall):
            self._agent(scope, request)
        elif isinstance(request, PhaseEvent):
            data: JSONObject = {"name": request.name}
            if request.has_options:
                data["options"] = request.options
            self._emit(scope, EventType.PHASE, data)
        elif isinstance(request, LogEvent):
            self._emit(scope, EventType.LOG, {"message": request.message})
        elif isinstance(request, WarningEvent):
            self._warning(scope, request)
        elif isinstance(request, SleepCall):
            self._sleep_step(scope, request)
        elif isinstance(request, WorkflowCall):
            self._workflow(scope, request)
        elif isinstance(request, ExecCall):
            self.timers += 1
            self._group().start_soon(self._exec, scope, request)

    def _warning(self, scope: Scope, request: WarningEvent) -> None:
        detail = scope.host.render(request.message)
        first_line = detail.split("\n", 1)[0]
        noun = "task" if request.source == "parallel" else "item"
        data: JSONObject = {
            "message": f"{request.source} {noun} {request.index} failed: {first_line}",
            "source": request.source,
            "index": request.index,
            "detail": detail,
        }
        self._emit(scope, EventType.WARNING, data)

    def _agent(self, scope: Scope, request: AgentCall) -> None:
        rejection = self._agent_limit()
        if rejection is not None:
            scope.settle((request.id, False, rejection, None))
            return
        try:
            call = prepare_agent_call(
                request,
                meta=scope.script.meta,
                default_provider=self.config.provider,
                model_map=self.config.model_map,
                check_provider=self._check_provider,
                limits=CallDefaults(
                    self.config.agent_timeout_s,
                    self.config.agent_idle_timeout_s,
                    self.config.agent_permissions,
                    self.config.on_refusal,
                ),
            )
        except AgentCallError as error:
            scope.settle((request.id, False, error.message, None))
            return
        self.agents_started += 1
        key = agent_key(
            scope=scope.key,
            provider=call.provider,
            prompt=call.prompt,
            options=call.options,
            phase=call.phase,
        )
        checkpoint = scope.occurrences.checkpoint(key)
        stored = self.checkpoints.get(checkpoint)
        if stored is not None and stored.result is not None:
            self._replay(scope, call, stored)
            return
        step_id = stored.step_id if stored is not None else new_id("step")
        prior = stored.spent if stored is not None else ZERO_USAGE
        self.queue.append(_Step(scope, call, step_id, prior, checkpoint))

    def _agent_limit(self) -> str | None:
        if self.caps.tripped is not None:
            return self.caps.tripped
        if self.agents_started >= self.config.max_agents:
            limit = self.config.max_agents
            return (
                f"this run reached its limit of {limit} agent calls (--max-agents {limit}); "
                "raise --max-agents to allow more"
            )
        return None

    def _replay(self, scope: Scope, call: PreparedCall, stored: StepRecord) -> None:
        result = stored.result or {}
        self._emit_started(scope, call, stored.step_id, replayed=True)
        session = result.get("sessionId")
        data: JSONObject = {
            "sessionId": session,
            "model": result.get("model"),
            "usage": result.get("usage"),
            "replayed": True,
        }
        self._emit(
            scope,
            EventType.AGENT_COMPLETED,
            data,
            stepId=stored.step_id,
            provider=call.provider,
            sessionId=session if isinstance(session, str) else None,
        )
        scope.spent = scope.spent + stored.spent
        spent = self.budget.charge(stored.spent.output_tokens)
        value = (
            call_record(result, step_id=stored.step_id, provider=call.provider, replayed=True)
            if call.detailed
            else result.get("output")
        )
        scope.settle((call.request_id, True, value, spent))

    def _emit_started(
        self, scope: Scope, call: PreparedCall, step_id: str, *, replayed: bool
    ) -> None:
        preview = call.prompt
        if len(preview) > defaults.PROMPT_PREVIEW_CHARS:
            preview = preview[: defaults.PROMPT_PREVIEW_CHARS] + "…"
        data: JSONObject = {"phase": call.phase, "promptPreview": preview}
        if call.label is not None:
            data["label"] = call.label
        if call.model is not None:
            data["model"] = call.model
        if replayed:
            data["replayed"] = True
        self._emit(scope, EventType.AGENT_STARTED, data, stepId=step_id, provider=call.provider)

    def _check_provider(self, name: str) -> None:
        overrides = self.config.providers
        if overrides is None or name not in overrides:
            check_provider_name(name)

    def _provider(self, name: str) -> Provider:
        overrides = self.config.providers
        if overrides is not None and name in overrides:
            return overrides[name]
        provider = self.providers.get(name)
        if provider is None:
            provider = create_provider(name, self.config.provider_settings)
            self.providers[name] = provider
        return provider

    # ---- child workflows ---------------------------------------------------

    def _workflow(self, scope: Scope, request: WorkflowCall) -> None:
        depth = scope.depth + 1
        limit = self.config.max_workflow_depth
        if depth > limit:
            message = (
                "Nested workflow() calls are limited to one level"
                if limit == 1
                else f"Nested workflow() calls are limited to {limit} levels (--max-workflow-depth)"
            )
            scope.settle((request.id, False, message, None))
            return
        try:
            script = load_script(self._child_path(scope, request.ref))
        except (LookupFailed, ScriptError) as error:
            scope.settle((request.id, False, str(error), None))
            return
        checkpoint = scope.occurrences.checkpoint(
            workflow_key(scope=scope.key, ref=request.ref, args=request.args)
        )
        stored = self.checkpoints.get(checkpoint)
        if stored is not None and stored.result is not None:
            self._replay_child(scope, request, script, stored)
            return
        self._start_child(scope, request, script, checkpoint, stored)

    def _child_path(self, scope: Scope, ref: str | JSONObject) -> Path:
        if isinstance(ref, dict):
            path = Path(str(ref.get("scriptPath")))
            return path if path.is_absolute() else scope.script.path.parent / path
        return find_by_name(ref, workflow_root(self.cwd))

    def _replay_child(
        self, scope: Scope, request: WorkflowCall, script: PreparedScript, stored: StepRecord
    ) -> None:
        result = stored.result or {}
        usage_json = result.get("usage")
        usage = Usage.from_json(usage_json) if isinstance(usage_json, dict) else ZERO_USAGE
        self.emitter.emit(
            EventType.STARTED,
            {"startTime": rfc3339_now(), "name": script.meta.name, "replayed": True},
            depth=scope.depth + 1,
            parent=stored.step_id,
        )
        self.emitter.emit(
            EventType.RESULT,
            {"tokenUsage": usage.report_json(), "results": result.get("output"), "replayed": True},
            depth=scope.depth + 1,
            parent=stored.step_id,
        )
        scope.spent = scope.spent + usage
        spent = self.budget.charge(usage.output_tokens)
        scope.settle((request.id, True, result.get("output"), spent))

    def _start_child(
        self,
        scope: Scope,
        request: WorkflowCall,
        script: PreparedScript,
        checkpoint: str,
        stored: StepRecord | None,
    ) -> None:
        step_id = stored.step_id if stored is not None else new_id("step")
        self._record_step_start(
            scope,
            step_id,
            checkpoint,
            "workflow",
            dumps({"ref": request.ref, "args": request.args, "scriptPath": str(script.path)}),
            label=script.meta.name,
        )
        host = JsHost(script, self.owner.limits(), display_path=script.path.name)
        child = Scope(
            f"{scope.key}/{checkpoint}",
            scope.depth + 1,
            script,
            host,
            parent=scope,
            parent_request=request.id,
            step_id=step_id,
        )
        self._emit(child, EventType.STARTED, {"startTime": rfc3339_now(), "name": script.meta.name})
        try:
            host.start(
                args=request.args,
                budget_total=self.js_budget_total,
                sleep_max_ms=defaults.SLEEP_MAX_MS,
            )
        except WorkflowFailed as error:
            self._child_failed(child, error.message)
            return
        self.scopes.append(child)

    def _finish_child(self, child: Scope, poll: JsPoll) -> None:
        if poll.status != "done":
            self._child_failed(child, poll.error or "workflow failed")
            return
        self._emit(
            child,
            EventType.RESULT,
            {"tokenUsage": child.spent.report_json(), "results": poll.result},
        )
        result = {"output": poll.result, "usage": child.spent.to_json()}
        end = StepEnd("completed", dumps(result), None, None, None, 0, ZERO_USAGE, now_ms())
        self._end_child(child, end, ok=True, value=poll.result)

    def _child_failed(self, child: Scope, message: str) -> None:
        self._emit(child, EventType.ERROR, {"message": message})
        error = dumps({"message": message})
        end = StepEnd("failed", None, error, None, None, 0, ZERO_USAGE, now_ms())
        detail = message
        for prefix in MODULE_PREFIXES:
            if detail.startswith(prefix):
                detail = detail[len(prefix) :]
        failure = f"workflow {child.script.meta.name} failed: {detail}"
        self._end_child(child, end, ok=False, value=failure)

    def _end_child(self, child: Scope, end: StepEnd, *, ok: bool, value: JSON) -> None:
        """Close the child's JS, record its step, roll its spend up, settle the parent."""
        child.open = False
        if child in self.scopes:
            self.scopes.remove(child)
        child.host.close()
        parent = child.parent
        assert parent is not None and child.parent_request is not None and child.step_id is not None
        self.batch.step_finished(child.step_id, end)
        parent.spent = parent.spent + child.spent
        parent.settle((child.parent_request, ok, value, self.budget.spent))

    # ---- running work ------------------------------------------------------

    def _record_step_start(
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
    ) -> None:
        """Queue the step's ``running`` row; it is written with the turn's other writes."""
        self.batch.step_started(
            StepStart(
                step_id,
                self.attempt.run_id,
                scope.key,
                checkpoint,
                kind,
                phase,
                provider,
                model,
                label,
                input_json,
                self.attempt.attempt_id,
                now_ms(),
            )
        )

    def _group(self) -> TaskGroup:
        assert self.task_group is not None
        return self.task_group

    def _start_queued(self) -> None:
        while self.queue and self.in_flight < self.config.max_parallel_agents:
            step = self.queue.popleft()
            if self.caps.tripped is not None:
                step.scope.settle(
                    (step.call.request_id, False, self.caps.tripped, self.budget.spent)
                )
                continue
            self.in_flight += 1
            self._record_start(step)
            if self.workers < self.in_flight:
                self.workers += 1
                self._group().start_soon(self._worker)
            self.work_send.send_nowait(step)

    def _record_start(self, step: _Step) -> None:
        call = step.call
        self._record_step_start(
            step.scope,
            step.step_id,
            step.checkpoint,
            "agent",
            dumps({"prompt": call.prompt, "options": call.options}),
            phase=call.phase,
            provider=call.provider,
            model=call.model,
            label=call.label,
        )
        self._emit_started(step.scope, call, step.step_id, replayed=False)
        if self.config.debug_log is not None:
            self.owner.debug(
                f"starting agent request id={call.request_id} "
                f"in_flight_after_start={self.in_flight} "
                f"max_parallel={self.config.max_parallel_agents}"
            )

    async def _worker(self) -> None:
        """Runs calls one after another; the pool grows to the concurrency cap, never past it."""
        while True:
            await self._run_agent(await self.work_receive.receive())

    async def _run_agent(self, step: _Step) -> None:
        call = step.call

        def record(provider: str, usage: Usage | None, outcome: str, model: str | None) -> None:
            spent = usage or ZERO_USAGE
            step.spent = step.spent + spent
            step.calls += 1
            self.batch.ledger_entry(
                (
                    self.attempt.run_id,
                    step.step_id,
                    self.attempt.attempt_id,
                    provider,
                    model or call.model,
                    call.phase,
                    outcome,
                    spent.input_tokens,
                    spent.output_tokens,
                    spent.cache_read_tokens,
                    spent.cache_write_tokens,
                    spent.total,
                    spent.cost_usd,
                    now_ms(),
                )
            )

        def forward(provider: str, event: JSON, session_id: str | None) -> None:
            self._agent_event(step, provider, event, session_id)

        async def attempt(cwd: Path) -> Answer:
            context = CallContext(
                step_id=step.step_id,
                cwd=cwd,
                record=record,
                who=step.who,
                events=forward,
                provider_for=self._provider,
                raw_sessions=self.raw_sessions,
            )
            return await execute_agent(call, context)

        try:
            isolation = call.options.get("isolation")
            if isinstance(isolation, dict) and isolation.get("type") == "sandbox":
                answer = await self._in_sandbox(step, isolation, attempt)
            elif isolation == "worktree":
                answer = await self._in_worktree(step, attempt)
            else:
                answer = await attempt(self.cwd)
            done = _Done(step.scope, call.request_id, step, result=answer.result)
            step.answered_by = answer.provider
        except AgentCallError as error:
            if isinstance(error, ProviderError):
                step.refusals = error.refusals
            done = _Done(step.scope, call.request_id, step, error=error.message)
        self.send.send_nowait(done)

    def _agent_event(self, step: _Step, provider: str, event: JSON, session_id: str | None) -> None:
        """A provider line, live: ``workflow.agent_event`` with the reference's data shape."""
        data: JSONObject = {"provider": provider, "stepId": step.step_id, "providerEvent": event}
        if session_id is not None:
            data["sessionId"] = session_id
        self._emit(
            step.scope,
            EventType.AGENT_EVENT,
            data,
            stepId=step.step_id,
            provider=provider,
            sessionId=session_id,
        )

    def _raw_session_warning(self, message: str) -> None:
        self.emitter.emit(EventType.WARNING, {"message": message, "source": "raw-sessions"})

    async def _in_worktree(
        self, step: _Step, attempt: Callable[[Path], Awaitable[Answer]]
    ) -> Answer:
        """``isolation: 'worktree'``: every attempt of the call works in one fresh worktree;
        what the agent changed stays on a branch, named in the result and the error."""
        from smolwf.engine.worktree import agent_worktree

        lease_box: list[WorktreeLease] = []
        try:
            async with agent_worktree(self.cwd) as lease:
                lease_box.append(lease)
                answer = await attempt(lease.cwd)
        except AgentCallError as error:
            kept = lease_box[0].kept_branch if lease_box else None
            if kept is None:
                raise
            raise AgentCallError(
                f"{error.message} (the agent's changes are kept on branch {kept})"
            ) from error
        finally:
            if lease_box:
                step.isolation = lease_box[0].record
        return answer

    def _sleep_step(self, scope: Scope, request: SleepCall) -> None:
        """A durable sleep: its wake time is stored, so a resume only waits what is left."""
        checkpoint = scope.occurrences.checkpoint(sleep_key(scope=scope.key, ms=request.ms))
        stored = self.checkpoints.get(checkpoint)
        if stored is not None and stored.status == "completed":
            scope.settle((request.id, True, None, None))
            return
        if stored is not None and stored.wake_at is not None:
            step_id, wake_at = stored.step_id, stored.wake_at
        else:
            step_id, wake_at = new_id("step"), now_ms() + request.ms
        self._record_step_start(
            scope,
            step_id,
            checkpoint,
            "sleep",
            dumps({"durationMs": request.ms, "wakeAt": wake_at}),
        )
        self.timers += 1
        self._group().start_soon(self._sleep, scope, request.id, step_id, wake_at)

    async def _sleep(self, scope: Scope, request_id: int, step_id: str, wake_at: int) -> None:
        await anyio.sleep(max(0, wake_at - now_ms()) / 1000)
        self.send.send_nowait(_Done(scope, request_id, None, sleep_step_id=step_id))

    async def _in_sandbox(
        self, step: _Step, isolation: JSONObject, attempt: Callable[[Path], Awaitable[Answer]]
    ) -> Answer:
        """``isolation: {type: 'sandbox', profile}``: one sandbox session serves every attempt
        of the call (retries, schema correction); the provider works in its directory."""
        from smolwf.sandbox import open_sandbox

        profile, cwd = isolation.get("profile"), isolation.get("cwd")
        if not isinstance(profile, str):
            raise AgentOptionError(
                "agent isolation {type: 'sandbox'} needs a profile such as 'local-worktree/default'"
            )
        async with open_sandbox(
            profile, self.cwd, cwd=cwd if isinstance(cwd, str) else None
        ) as session:
            step.isolation = session.isolation_record()
            work_dir = Path(session.cwd) if session.cwd else self.cwd
            return await attempt(work_dir)

    async def _exec(self, scope: Scope, request: ExecCall) -> None:
        """``workflow:sandbox`` exec: not a checkpoint (it re-runs on resume), never blocking."""
        from smolwf.sandbox import sandbox_exec  # only scripts that use exec pay for it

        try:
            value = await sandbox_exec(request.profile, request.request, cwd=self.cwd)
            done = _Done(scope, request.id, None, value=value)
        except AgentCallError as error:
            done = _Done(scope, request.id, None, error=error.message)
        self.send.send_nowait(done)

    def _apply(self, done: _Done) -> None:
        """Record a finished piece of work and queue its settlement for its scope."""
        step = done.step
        if step is None:
            self.timers -= 1
            if done.sleep_step_id is not None:
                end = StepEnd(
                    "completed", dumps({"ok": True}), None, None, None, 0, ZERO_USAGE, now_ms()
                )
                self.batch.step_finished(done.sleep_step_id, end)
            if done.error is not None:
                done.scope.settle((done.request_id, False, clean_text(done.error), None))
            else:
                done.scope.settle(
                    (done.request_id, True, without_lone_surrogates(done.value), None)
                )
            return
        self.in_flight -= 1
        self.spent_now = self.spent_now + step.spent
        call_cost = step.prior + step.spent  # every attempt ever made for this call
        step.scope.spent = step.scope.spent + call_cost
        spent = self.budget.charge(call_cost.output_tokens)
        self._check_caps()
        if done.result is not None:
            self._completed(step, done.result, spent)
            return
        message = clean_text(done.error or "agent call failed")
        error: JSONObject = {"message": message}
        if step.isolation is not None:
            error["isolation"] = step.isolation
        failed: JSONObject = {"message": message, "usage": step.spent.to_json()}
        if step.refusals:
            error["refusals"] = failed["refusals"] = refusals_json(step.refusals)
            self._warn_refusals(step, step.refusals)
        self._finish_step(step, "failed", None, error, None, None)
        self._emit(
            step.scope,
            EventType.AGENT_FAILED,
            failed,
            stepId=step.step_id,
            provider=step.call.provider,
        )
        step.scope.settle((done.request_id, False, message, spent))

    def _check_caps(self) -> None:
        if not self.caps.any or self.caps.tripped is not None:
            return
        message = self.caps.check(self.prior_total + self.spent_now)
        if message is not None:
            self.emitter.emit(EventType.WARNING, {"message": message, "source": "budget"})

    def _completed(self, step: _Step, raw_result: AgentResult, spent: int) -> None:
        result = _clean_result(raw_result)
        usage = result.usage.to_json() if result.usage is not None else None
        if self.caps.usd is not None and (result.usage is None or result.usage.cost_usd is None):
            self._warn_no_cost(step.call.provider)
        compact: JSONObject = {"output": result.output}
        if result.session_id is not None:
            compact["sessionId"] = result.session_id
        if result.model is not None:
            compact["model"] = result.model
        if usage is not None:
            compact["usage"] = usage
        provider = step.answered_by or step.call.provider
        if len(step.call.providers) > 1:
            compact["provider"] = provider
        if step.isolation is not None:
            compact["isolation"] = step.isolation
        if result.refusals:
            compact["refusals"] = refusals_json(result.refusals)
            self._warn_refusals(step, result.refusals)
        self._finish_step(step, "completed", compact, None, result.model, result.session_id)
        data: JSONObject = {"sessionId": result.session_id, "model": result.model, "usage": usage}
        if step.isolation is not None:
            data["isolation"] = step.isolation
        if result.refusals:
            data["refusals"] = compact["refusals"]
        self._emit(
            step.scope,
            EventType.AGENT_COMPLETED,
            data,
            stepId=step.step_id,
            provider=provider,
            sessionId=result.session_id,
        )
        value = (
            call_record(compact, step_id=step.step_id, provider=provider, replayed=False)
            if step.call.detailed
            else result.output
        )
        step.scope.settle((step.call.request_id, True, value, spent))

    def _warn_refusals(self, step: _Step, refusals: tuple[Refusal, ...]) -> None:
        """One ``[warn]`` line per call; the refusals ride along as data."""
        data: JSONObject = {
            "message": refusal_summary(step.who, step.call.permissions, refusals),
            "source": "permissions",
            "stepId": step.step_id,
            "refusals": refusals_json(refusals),
        }
        self._emit(step.scope, EventType.WARNING, data, stepId=step.step_id)

    def _warn_no_cost(self, provider: str) -> None:
        if provider in self.warned_no_cost:
            return
        self.warned_no_cost.add(provider)
        message = f"the {provider} provider reports no cost: --max-cost-usd cannot see its spend"
        self.emitter.emit(EventType.WARNING, {"message": message, "source": "budget"})

    def _finish_step(
        self,
        step: _Step,
        status: str,
        result: JSONObject | None,
        error: JSONObject | None,
        model: str | None,
        session_id: str | None,
    ) -> None:
        end = StepEnd(
            status,
            dumps(result) if result is not None else None,
            dumps(error) if error is not None else None,
            model,
            session_id,
            step.calls,
            step.spent,
            now_ms(),
        )
        self.batch.step_finished(step.step_id, end)

    # ---- the end -----------------------------------------------------------

    def _finish(self, poll: JsPoll) -> RunReport:
        from smolwf.engine.run import RunReport

        if poll.status == "failed":
            raise WorkflowFailed(poll.error or "workflow failed")
        if self.caps.tripped is not None:
            raise WorkflowFailed(self.caps.tripped)
        abandoned = self.in_flight + len(self.queue) + len(self.scopes) - 1
        if abandoned:
            message = (
                f"{abandoned} agent calls or child workflows were still running when the "
                "workflow finished; they were cancelled (await every agent() and workflow() call)"
            )
            self.emitter.emit(EventType.WARNING, {"message": message, "source": "run"})
        usage = self.prior_total + self.spent_now
        data: JSONObject = {"tokenUsage": usage.report_json(), "results": poll.result}
        self.emitter.emit(EventType.RESULT, data)
        self.store.finish_run(self.attempt, "completed", result=poll.result, batch=self.batch)
        self.emitter.release()
        return RunReport(self.attempt.run_id, usage, poll.result)

    def _fail(self, status: str, message: str) -> None:
        self.emitter.emit(EventType.ERROR, {"message": message, "status": status})
        self.store.finish_run(self.attempt, status, error=message, batch=self.batch)
        self.emitter.release()


def _clean_result(result: AgentResult) -> AgentResult:
    """Providers may return text no UTF-8 store can hold; the script gets U+FFFD instead."""
    return replace(
        result,
        output=without_lone_surrogates(result.output),
        session_id=clean_text(result.session_id) if result.session_id is not None else None,
        model=clean_text(result.model) if result.model is not None else None,
    )


def rfc3339_now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
