"""One run of a workflow: the loop that drives the JS host and settles its calls.

Each turn: run the pending JS, act on what the script asked (events, agent calls,
sleeps), commit the turn's writes in one transaction, then settle the promises
whose work finished. A call's checkpoint is committed before the script sees its
result, so a crash never loses a finished call.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections import deque
from dataclasses import dataclass, replace
from pathlib import Path

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from smolwf import defaults
from smolwf.engine.agent_call import execute_agent
from smolwf.engine.budget import Budget
from smolwf.engine.config import RunConfig
from smolwf.engine.keys import Occurrences, agent_key, sleep_key
from smolwf.engine.options import PreparedCall, prepare_agent_call
from smolwf.engine.resume import recorded_params, resume_config
from smolwf.engine.supervise import supervise
from smolwf.errors import (
    AgentCallError,
    StoreError,
    UsageError,
    WorkflowCancelled,
    WorkflowFailed,
)
from smolwf.events.emitter import Emitter
from smolwf.events.sinks import EventSink, JsonlSink, PlainProgressSink
from smolwf.events.types import EventType
from smolwf.ids import new_id
from smolwf.js.host import JsHost, JsLimits, JsPoll, Settlement
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
from smolwf.providers.base import AgentResult, Provider
from smolwf.providers.registry import create_provider
from smolwf.script.source import PreparedScript, load_script
from smolwf.store.batch import StepEnd, StepStart, WriteBatch
from smolwf.store.db import connect
from smolwf.store.ownership import HEARTBEAT_INTERVAL_S
from smolwf.store.paths import default_db_path
from smolwf.store.runs import (
    Attempt,
    RunRecord,
    RunStore,
    StepRecord,
    dumps,
    now_ms,
)
from smolwf.usage import ZERO_USAGE, Usage

SCOPE = "root"
TURN_MAX_RESULTS = 1024
TURN_MAX_S = 0.01
"""A turn hands results to JS after this many, or this long, even if more keep coming."""
NOT_YET = {
    "workflow": "workflow() child workflows are not supported by this version of smol-wf yet; "
    "inline the child's calls for now",
    "exec": "workflow:sandbox exec() is not supported by this version of smol-wf yet",
}


@dataclass(frozen=True, slots=True)
class RunReport:
    """The outcome of a successful run, as ``smol-wf run`` prints it."""

    run_id: str
    token_usage: Usage
    result: JSON

    def to_json(self) -> JSONObject:
        return {
            "tokenUsage": self.token_usage.report_json(),
            "runID": self.run_id,
            "results": self.result,
        }


@dataclass(slots=True)
class _Step:
    """An agent call in flight: its checkpoint and what this execution spent on it."""

    call: PreparedCall
    step_id: str
    prior: Usage
    checkpoint: str
    spent: Usage = ZERO_USAGE
    calls: int = 0


@dataclass(frozen=True, slots=True)
class _Done:
    request_id: int
    step: _Step | None
    sleep_step_id: str | None = None
    result: AgentResult | None = None
    error: str | None = None


class WorkflowRun:
    """Executes one ``RunConfig``; ``cancel()`` may be called from a signal handler task."""

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self.run_id: str | None = None
        self._cancel_scope = anyio.CancelScope()
        self._cancel_exit_code: int | None = None

    def cancel(self, exit_code: int = 130) -> None:
        """Stop the run: in-flight calls are cancelled, the run is marked cancelled."""
        if self._cancel_exit_code is None:
            self._cancel_exit_code = exit_code
        self._cancel_scope.cancel()

    async def execute(self) -> RunReport:
        store = self._open_store()
        try:
            record, notes = self._resume_inputs(store)
            if self.config.script_path is None:
                raise UsageError(
                    "missing workflow script: pass a script path or --resume-run RUN_ID"
                )
            script = load_script(self.config.script_path)
            if record is not None and record.script_sha256 not in ("", script.sha256):
                notes.append("the script changed since the run was recorded")
            return await self._execute(script, store, record, notes)
        finally:
            store.conn.close()

    def debug(self, line: str) -> None:
        if self.config.debug_log is not None:
            self.config.debug_log(line)

    # ---- set-up ----------------------------------------------------------

    def _open_store(self) -> RunStore:
        path = self.config.db_path
        if path is None:
            path = default_db_path()
            path.parent.mkdir(parents=True, exist_ok=True)
        return RunStore(connect(path, create=True), path)

    def _resume_inputs(self, store: RunStore) -> tuple[RunRecord | None, list[str]]:
        run_id = self.config.resume_run_id
        if run_id is None:
            return None, []
        record = store.find_run(run_id)
        if record is None:
            raise StoreError(f"workflow run {run_id} was not found in {store.path}; check --db")
        self.config, notes = resume_config(self.config, record)
        return record, notes

    async def _execute(
        self, script: PreparedScript, store: RunStore, record: RunRecord | None, notes: list[str]
    ) -> RunReport:
        config = self.config
        host = JsHost(script, self._limits(), display_path=self._display_path(script))
        host.start(
            args=config.args,
            budget_total=config.budget_allowance,
            sleep_max_ms=defaults.SLEEP_MAX_MS,
        )
        if record is not None:
            attempt = store.resume_run(record.run_id)
        else:
            attempt = store.create_run(self._record(script), meta=script.meta.to_json())
        self.run_id = attempt.run_id
        self.debug(
            f"run_workflow start script={script.path} provider={config.provider} nesting_depth=0 "
            f"budget_total={config.budget_allowance} budget_spent=0 run_id={attempt.run_id}"
        )
        driver = _Driver(self, script, store, host, attempt)
        if notes:
            driver.resume_note = f"resuming {attempt.run_id} with different inputs: " + "; ".join(
                notes
            )
        return await driver.run()

    def _limits(self) -> JsLimits:
        c = self.config
        return JsLimits(
            memory_mib=c.js_memory_mib,
            slice_timeout_s=c.js_slice_timeout_s,
            stack_kib=c.js_stack_kib,
        )

    def _display_path(self, script: PreparedScript) -> str:
        return self.config.display_path or script.path.name

    def _record(self, script: PreparedScript) -> RunRecord:
        c = self.config
        params = recorded_params(c, c.cwd or Path.cwd())
        return RunRecord(
            new_id("run"),
            script.meta.name,
            str(script.path),
            "running",
            c.args,
            params,
            script.sha256,
        )


class _Driver:
    """The per-run loop state; lives for one ``WorkflowRun.execute``."""

    def __init__(
        self,
        owner: WorkflowRun,
        script: PreparedScript,
        store: RunStore,
        host: JsHost,
        attempt: Attempt,
    ) -> None:
        config = owner.config
        self.owner = owner
        self.config = config
        self.script = script
        self.store = store
        self.host = host
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
        self.checkpoints: dict[str, StepRecord] = store.load_steps(attempt.run_id)
        self.prior_total = store.ledger_total(attempt.run_id)
        self.spent_now = ZERO_USAGE
        self.budget = Budget(config.budget_allowance)
        self.occurrences = Occurrences()
        self.queue: deque[_Step] = deque()
        self.in_flight = 0
        self.timers = 0
        self.agents_started = 0
        self.settle_now: list[Settlement] = []
        send, receive = anyio.create_memory_object_stream[_Done](math.inf)
        self.send: MemoryObjectSendStream[_Done] = send
        self.receive: MemoryObjectReceiveStream[_Done] = receive
        work_send, work_receive = anyio.create_memory_object_stream[_Step](math.inf)
        self.work_send: MemoryObjectSendStream[_Step] = work_send
        self.work_receive: MemoryObjectReceiveStream[_Step] = work_receive
        self.workers = 0
        self.task_group: TaskGroup | None = None
        self.resume_note: str | None = None

    def _sinks(self) -> list[EventSink]:
        c = self.config
        if c.events_stream is not None:
            return [JsonlSink(c.events_stream), *c.sinks]
        if c.sinks and c.progress_stream is None:
            return list(c.sinks)
        return [PlainProgressSink(c.progress_stream or sys.stderr), *c.sinks]

    # ---- the loop ----------------------------------------------------------

    async def run(self) -> RunReport:
        self.emitter.emit(EventType.STARTED, {"startTime": _rfc3339_now()})
        if self.resume_note is not None:
            self.emitter.emit(EventType.WARNING, {"message": self.resume_note, "source": "resume"})
        try:
            with self.owner._cancel_scope:
                poll = await self._loop()
            if self.owner._cancel_exit_code is not None:
                raise WorkflowCancelled(exit_code=self.owner._cancel_exit_code)
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

    async def _loop(self) -> JsPoll:
        poll = await supervise(self._turns, self._heartbeat)
        if poll is None:  # cancelled before the workflow finished
            raise WorkflowCancelled(exit_code=self.owner._cancel_exit_code or 130)
        return poll

    async def _turns(self, group: TaskGroup) -> JsPoll:
        self.task_group = group
        while True:
            poll = self.host.poll()
            for request in poll.requests:
                self._handle(request)
            if poll.finished:
                return poll
            self._start_queued()
            await self._collect(poll)
            self._commit()
            settlements, self.settle_now = self.settle_now, []
            self.host.settle(settlements)

    async def _heartbeat(self) -> None:
        while True:
            await anyio.sleep(HEARTBEAT_INTERVAL_S)
            with contextlib.suppress(StoreError):  # a busy database: the next beat will do
                self.store.heartbeat(self.attempt.run_id)

    async def _collect(self, poll: JsPoll) -> None:
        """Gather finished work; block only when nothing is ready to hand back to JS.

        While work keeps finishing without blocking (fast providers, replays), queued
        calls keep starting and results keep accumulating, up to ``TURN_MAX_RESULTS``
        or ``TURN_MAX_S``, so one commit and one JS settle serve many calls.
        """
        if not self.settle_now:
            await anyio.lowlevel.checkpoint()
        done = self._drain()
        if not done and not self.settle_now:
            if self.in_flight == 0 and self.timers == 0:
                raise WorkflowFailed(
                    f"workflow can never finish: {poll.pending} promises pending "
                    "and no agent running"
                )
            self._commit()
            done = [await self.receive.receive(), *self._drain()]
        deadline = time.monotonic() + TURN_MAX_S
        while done:
            for item in done:
                self.settle_now.append(self._apply(item))
            if len(self.settle_now) >= TURN_MAX_RESULTS or time.monotonic() > deadline:
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

    # ---- requests from the script ------------------------------------------

    def _handle(self, request: JsRequest) -> None:
        if isinstance(request, AgentCall):
            self._agent(request)
        elif isinstance(request, PhaseEvent):
            data: JSONObject = {"name": request.name}
            if request.has_options:
                data["options"] = request.options
            self.emitter.emit(EventType.PHASE, data)
        elif isinstance(request, LogEvent):
            self.emitter.emit(EventType.LOG, {"message": request.message})
        elif isinstance(request, WarningEvent):
            self._warning(request)
        elif isinstance(request, SleepCall):
            self._sleep_step(request)
        elif isinstance(request, WorkflowCall | ExecCall):
            kind = "workflow" if isinstance(request, WorkflowCall) else "exec"
            self.settle_now.append((request.id, False, NOT_YET[kind], None))

    def _warning(self, request: WarningEvent) -> None:
        detail = self.host.render(request.message)
        first_line = detail.split("\n", 1)[0]
        noun = "task" if request.source == "parallel" else "item"
        message = f"{request.source} {noun} {request.index} failed: {first_line}"
        self.emitter.emit(
            EventType.WARNING,
            {
                "message": message,
                "source": request.source,
                "index": request.index,
                "detail": detail,
            },
        )

    def _agent(self, request: AgentCall) -> None:
        if self.agents_started >= self.config.max_agents:
            limit = self.config.max_agents
            message = (
                f"this run reached its limit of {limit} agent calls (--max-agents {limit}); "
                "raise --max-agents to allow more"
            )
            self.settle_now.append((request.id, False, message, None))
            return
        try:
            call = prepare_agent_call(
                request,
                meta=self.script.meta,
                default_provider=self.config.provider,
                model_map=self.config.model_map,
                check_provider=self._check_provider,
            )
        except AgentCallError as error:
            self.settle_now.append((request.id, False, error.message, None))
            return
        self.agents_started += 1
        key = agent_key(
            scope=SCOPE,
            provider=call.provider,
            prompt=call.prompt,
            options=call.options,
            phase=call.phase,
        )
        checkpoint = self.occurrences.checkpoint(key)
        stored = self.checkpoints.get(checkpoint)
        if stored is not None and stored.result is not None:
            self._replay(call, stored)
            return
        step_id = stored.step_id if stored is not None else new_id("step")
        prior = stored.spent if stored is not None else ZERO_USAGE
        self.queue.append(_Step(call, step_id, prior, checkpoint))

    def _replay(self, call: PreparedCall, stored: StepRecord) -> None:
        result = stored.result or {}
        self._emit_started(call, stored.step_id, replayed=True)
        session = result.get("sessionId")
        model = result.get("model")
        self.emitter.emit(
            EventType.AGENT_COMPLETED,
            {"sessionId": session, "model": model, "usage": result.get("usage"), "replayed": True},
            stepId=stored.step_id,
            provider=call.provider,
            sessionId=session if isinstance(session, str) else None,
        )
        spent = self.budget.charge(stored.spent.output_tokens)
        self.settle_now.append((call.request_id, True, result.get("output"), spent))

    def _emit_started(self, call: PreparedCall, step_id: str, *, replayed: bool) -> None:
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
        self.emitter.emit(EventType.AGENT_STARTED, data, stepId=step_id, provider=call.provider)

    def _check_provider(self, name: str) -> None:
        self._provider(name)

    def _provider(self, name: str) -> Provider:
        overrides = self.config.providers
        if overrides is not None and name in overrides:
            return overrides[name]
        return create_provider(name)

    # ---- running work ------------------------------------------------------

    def _group(self) -> TaskGroup:
        assert self.task_group is not None
        return self.task_group

    def _start_queued(self) -> None:
        while self.queue and self.in_flight < self.config.max_parallel_agents:
            step = self.queue.popleft()
            self.in_flight += 1
            call = step.call
            self.batch.step_started(
                StepStart(
                    step.step_id,
                    self.attempt.run_id,
                    SCOPE,
                    step.checkpoint,
                    "agent",
                    call.phase,
                    call.provider,
                    call.model,
                    call.label,
                    dumps({"prompt": call.prompt, "options": call.options}),
                    self.attempt.attempt_id,
                    now_ms(),
                )
            )
            self._emit_started(call, step.step_id, replayed=False)
            if self.config.debug_log is not None:
                self.owner.debug(
                    f"starting agent request id={step.call.request_id} "
                    f"in_flight_after_start={self.in_flight} "
                    f"max_parallel={self.config.max_parallel_agents}"
                )
            if self.workers < self.in_flight:
                self.workers += 1
                self._group().start_soon(self._worker)
            self.work_send.send_nowait(step)

    async def _worker(self) -> None:
        """Runs calls one after another; the pool grows to the concurrency cap, never past it."""
        while True:
            await self._run_agent(await self.work_receive.receive())

    async def _run_agent(self, step: _Step) -> None:
        call = step.call

        def record(usage: Usage | None, outcome: str, model: str | None) -> None:
            spent = usage or ZERO_USAGE
            step.spent = step.spent + spent
            step.calls += 1
            self.batch.ledger_entry(
                (
                    self.attempt.run_id,
                    step.step_id,
                    self.attempt.attempt_id,
                    call.provider,
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

        try:
            result = await execute_agent(
                call,
                self._provider(call.provider),
                step_id=step.step_id,
                cwd=self.cwd,
                record=record,
                events=lambda event: None,
            )
            done = _Done(call.request_id, step, result=result)
        except AgentCallError as error:
            done = _Done(call.request_id, step, error=error.message)
        self.send.send_nowait(done)

    def _sleep_step(self, request: SleepCall) -> None:
        """A durable sleep: its wake time is stored, so a resume only waits what is left."""
        checkpoint = self.occurrences.checkpoint(sleep_key(scope=SCOPE, ms=request.ms))
        stored = self.checkpoints.get(checkpoint)
        if stored is not None and stored.status == "completed":
            self.settle_now.append((request.id, True, None, None))
            return
        if stored is not None and stored.wake_at is not None:
            step_id, wake_at = stored.step_id, stored.wake_at
        else:
            step_id, wake_at = new_id("step"), now_ms() + request.ms
        self.batch.step_started(
            StepStart(
                step_id,
                self.attempt.run_id,
                SCOPE,
                checkpoint,
                "sleep",
                None,
                None,
                None,
                None,
                dumps({"durationMs": request.ms, "wakeAt": wake_at}),
                self.attempt.attempt_id,
                now_ms(),
            )
        )
        self.timers += 1
        self._group().start_soon(self._sleep, request.id, step_id, wake_at)

    async def _sleep(self, request_id: int, step_id: str, wake_at: int) -> None:
        await anyio.sleep(max(0, wake_at - now_ms()) / 1000)
        self.send.send_nowait(_Done(request_id, None, sleep_step_id=step_id))

    def _apply(self, done: _Done) -> Settlement:
        """Record a finished piece of work and build the settlement for JS."""
        step = done.step
        if step is None:
            self.timers -= 1
            if done.sleep_step_id is not None:
                self.batch.step_finished(
                    done.sleep_step_id,
                    StepEnd(
                        "completed", dumps({"ok": True}), None, None, None, 0, ZERO_USAGE, now_ms()
                    ),
                )
            return (done.request_id, True, None, None)
        self.in_flight -= 1
        self.spent_now = self.spent_now + step.spent
        spent = self.budget.charge(step.prior.output_tokens + step.spent.output_tokens)
        if done.result is not None:
            return self._completed(step, done.result, spent)
        message = clean_text(done.error or "agent call failed")
        self._finish_step(step, "failed", None, {"message": message}, None, None)
        self.emitter.emit(
            EventType.AGENT_FAILED,
            {"message": message},
            stepId=step.step_id,
            provider=step.call.provider,
        )
        return (done.request_id, False, message, spent)

    def _completed(self, step: _Step, raw_result: AgentResult, spent: int) -> Settlement:
        result = _clean_result(raw_result)
        usage = result.usage.to_json() if result.usage is not None else None
        compact: JSONObject = {"output": result.output}
        if result.session_id is not None:
            compact["sessionId"] = result.session_id
        if result.model is not None:
            compact["model"] = result.model
        if usage is not None:
            compact["usage"] = usage
        self._finish_step(step, "completed", compact, None, result.model, result.session_id)
        self.emitter.emit(
            EventType.AGENT_COMPLETED,
            {"sessionId": result.session_id, "model": result.model, "usage": usage},
            stepId=step.step_id,
            provider=step.call.provider,
            sessionId=result.session_id,
        )
        return (step.call.request_id, True, result.output, spent)

    def _finish_step(
        self,
        step: _Step,
        status: str,
        result: JSONObject | None,
        error: JSONObject | None,
        model: str | None,
        session_id: str | None,
    ) -> None:
        self.batch.step_finished(
            step.step_id,
            StepEnd(
                status,
                dumps(result) if result is not None else None,
                dumps(error) if error is not None else None,
                model,
                session_id,
                step.calls,
                step.spent,
                now_ms(),
            ),
        )

    # ---- the end -----------------------------------------------------------

    def _finish(self, poll: JsPoll) -> RunReport:
        if poll.status == "failed":
            raise WorkflowFailed(poll.error or "workflow failed")
        abandoned = self.in_flight + len(self.queue)
        if abandoned:
            self.emitter.emit(
                EventType.WARNING,
                {
                    "message": f"{abandoned} agent calls were still running when the workflow "
                    "finished; "
                    "they were cancelled (await every agent() call)",
                    "source": "run",
                },
            )
        usage = self.prior_total + self.spent_now
        self.emitter.emit(
            EventType.RESULT, {"tokenUsage": usage.report_json(), "results": poll.result}
        )
        self.store.finish_run(self.attempt, "completed", result=poll.result, batch=self.batch)
        self.emitter.release()
        return RunReport(self.attempt.run_id, usage, poll.result)

    def _fail(self, status: str, message: str) -> None:
        self.emitter.emit(EventType.ERROR, {"message": message})
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


def _rfc3339_now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
