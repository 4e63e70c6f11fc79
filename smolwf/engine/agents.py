"""``agent()`` and ``agentRun()``: from a request to a settled promise.

A call is prepared (the option pipeline), keyed, looked up (``engine/lookup.py``: its
own checkpoint on resume, a fork source, the cache, a cassette answer it for free),
queued, started when a slot is free, run by the executor in a worker, and applied in a
later turn: its step row, events, spend and settlement.
"""

from __future__ import annotations

import contextlib
import itertools
from collections import deque
from dataclasses import dataclass
from json.encoder import encode_basestring
from pathlib import Path
from typing import TYPE_CHECKING

from smolwf import defaults
from smolwf.clock import now_ms
from smolwf.engine.cache import cache_wanted
from smolwf.engine.call_record import call_record
from smolwf.engine.context import RunContext
from smolwf.engine.executor import Answer, Executor
from smolwf.engine.isolation import isolated
from smolwf.engine.lookup import Found, Lookup, Unanswered, Wanted
from smolwf.engine.metering import Metered, ProviderCall
from smolwf.engine.options import CallDefaults, PlanCache, PlanInputs, PreparedCall
from smolwf.engine.pricing import Prices
from smolwf.engine.rate_limits import Throttle, ThrottledProvider
from smolwf.engine.scope import Scope
from smolwf.engine.workers import Workers
from smolwf.errors import AgentCallError, FailureKind, ProviderError
from smolwf.events.raw_sessions import RawSessions
from smolwf.events.types import EventType
from smolwf.ids import new_id
from smolwf.js.requests import AgentCall
from smolwf.jsontext import compact as json_text
from smolwf.jsontext import object_text
from smolwf.jsontypes import JSON, JSONObject, clean_text, without_lone_surrogates
from smolwf.permissions import Refusal, refusal_summary, refusals_json
from smolwf.providers.base import AgentResult, Closeable, Provider
from smolwf.providers.registry import check_provider_name, create_provider
from smolwf.records import record
from smolwf.store.batch import LedgerEntry, StepEnd, WriteBatch
from smolwf.store.runs import dumps
from smolwf.usage import ZERO_USAGE, Usage

if TYPE_CHECKING:
    from smolwf.engine.cassettes import CassetteRecorder


@dataclass(eq=False, slots=True)
class AgentStep:
    """An agent call queued or in flight: its checkpoint and what this attempt spent on it.

    It is also the call's ``CallContext``: the executor reports each provider call here.
    """

    agents: Agents
    scope: Scope
    call: PreparedCall
    step_id: str
    checkpoint: str
    prior: Usage | None
    """What earlier attempts of the run spent on this checkpoint (None: never tried)."""
    cwd: Path
    spent: Usage | None = None
    calls: int = 0
    isolation: JSONObject | None = None
    ledger: list[LedgerEntry] | None = None
    """Provider calls not yet in the write batch (see ``Agents.record_spend``)."""
    running: bool = True
    """Still in the executor (its completion not posted yet)."""
    tries: list[ProviderCall] | None = None
    """This attempt's provider calls, as the events tell them when there are several."""
    call_started_ns: int = 0
    order: int = 0
    """Its place among the attempt's ``agent()`` calls (cassettes keep call order)."""
    cache_key: str | None = None
    """Set when a later run may take its answer (``engine/cache.py``)."""
    announced: bool = False
    """Its ``workflow.agent_queued`` event was emitted (it had to wait for a slot)."""
    asked_data: CallAsked | None = None

    def asked(self) -> CallAsked:
        """The data of its ``agent_queued`` and ``agent_started`` events, rendered once."""
        if self.asked_data is None:
            self.asked_data = call_asked(self.call, replayed=False)
        return self.asked_data

    @property
    def who(self) -> str:
        label = self.call.plan.label
        return repr(label) if label is not None else self.step_id

    @property
    def raw_sessions(self) -> RawSessions | None:
        return self.agents.raw_sessions

    def record(
        self,
        provider: str,
        usage: Usage | None,
        outcome: str,
        model: str | None,
        kind: FailureKind | None = None,
    ) -> None:
        if usage is not None:
            self.spent = usage if self.spent is None else self.spent + usage
        self.calls += 1
        plan = self.call.plan
        spent = usage if usage is not None else Usage(total_tokens=0)
        model = model or plan.model
        entry = LedgerEntry(self.step_id, provider, model, plan.phase, outcome, spent, now_ms())
        tried = ProviderCall(
            provider, model, outcome, spent, self.call_started_ns, self.agents.clock(), kind
        )
        if self.tries is None:
            self.tries = [tried]
        else:
            self.tries.append(tried)
        if self.ledger is None:
            self.ledger = [entry]
            self.agents.unrecorded[self] = None
        else:
            self.ledger.append(entry)
        self.agents.ctx.pending.nudge()  # committed now, not when the whole call ends

    def another_try(self) -> str | None:
        return self.agents.count_try()

    def event(self, provider: str, event: JSON, session_id: str | None) -> None:
        """A provider line, live: ``workflow.agent_event`` with the reference's data shape."""
        data: JSONObject = {"provider": provider, "stepId": self.step_id, "providerEvent": event}
        if session_id is not None:
            data["sessionId"] = session_id
        self.agents.ctx.emit(
            self.scope,
            EventType.AGENT_EVENT,
            data,
            step_id=self.step_id,
            provider=provider,
            session_id=session_id,
        )

    def provider(self, name: str) -> Provider:
        return self.metered(name, self.agents.provider(name))

    def metered(self, name: str, provider: Provider) -> Provider:
        """``provider`` as this call sees it: metered (timed and priced), behind its
        rate limit's throttle, so the wait for a slot is neither timed nor priced."""
        agents = self.agents
        metered = Metered(name, provider, agents.prices, self._started)
        throttle = agents.throttles.get(name)
        return metered if throttle is None else ThrottledProvider(metered, throttle)

    def _started(self) -> None:
        self.call_started_ns = self.agents.clock()

    def note_isolation(self, record: JSONObject) -> None:
        self.isolation = record


DEAD_AGENT = frozenset(
    {
        FailureKind.QUOTA,
        FailureKind.AUTH,
        FailureKind.TRANSIENT,
        FailureKind.TIMEOUT,
        FailureKind.CRASH,
    }
)
"""Failures after which a Claude Code-form ``agent()`` resolves to null, as Claude Code's
does when "the subagent dies on a terminal API error after retries". Output that never
matched its schema still throws (so does Claude Code); so do a missing CLI, a refusal
under ``onRefusal: 'fail'`` and bad options, which are mistakes to fix, not deaths."""


@record
class CallFailure:
    """Why a call failed, and the tool uses its CLI refused on the way."""

    message: str
    refusals: tuple[Refusal, ...] = ()
    kind: FailureKind | None = None
    """The provider's failure kind; None when no provider call failed (options, sandbox,
    a cassette that lacks the call)."""


@record
class AgentDone:
    """The completion of one agent call: its answer or its failure."""

    step: AgentStep
    outcome: Answer | CallFailure

    def apply(self) -> None:
        self.step.agents.finished(self)


START_BATCH = 1024
"""Calls started at one time. A fan-out's calls start over several turns, so the first
ones' rows commit (on the writer's thread) while the next ones start; a call held back
waits for no slot and is not announced as queued."""


class Agents:
    """The ``agent`` request kind of one run, and the calls it has queued or in flight."""

    def __init__(
        self,
        ctx: RunContext,
        executor: Executor,
        lookup: Lookup,
        recorder: CassetteRecorder | None = None,
    ) -> None:
        self.ctx = ctx
        self.executor = executor
        self.lookup = lookup
        self.recorder = recorder
        self.queue: deque[AgentStep] = deque()
        self.in_flight = 0
        self.started = 0
        """``agent()`` calls accepted this attempt (``--max-agents`` counts them)."""
        self.workers = Workers()
        self.unrecorded: dict[AgentStep, None] = {}
        """Running steps with provider calls not yet in the write batch, in the order they
        spent: each commit records theirs."""
        self.unrecorded_done: dict[AgentStep, None] = {}
        """Finished steps whose provider calls wait for their completion's turn (or the end),
        kept apart so a commit never walks a fan-out's thousands of finished calls."""
        self.providers: dict[str, Provider] = {}
        self.throttles: dict[str, Throttle] = {
            name: Throttle(limit) for name, limit in ctx.rate_limits.items()
        }
        """One per rate-limited provider: every call of the run waits for the same one."""
        self.warned_no_cost: set[str] = set()
        self.prices = Prices(lambda message: ctx.warn(message, "cost"))
        self.clock = ctx.emitter.elapsed_ns
        """Nanoseconds on the events' clock: provider calls are timed with it."""
        config = ctx.config
        self.defaults = CallDefaults(
            config.agent_timeout_s,
            config.agent_idle_timeout_s,
            config.agent_permissions,
            config.on_refusal,
        )
        self.answer_settings = config.answer_settings()
        """Each provider's settings that may change its answers (cache keys hold them)."""
        self.raw_sessions = (
            RawSessions(config.raw_sessions_dir, lambda message: ctx.warn(message, "raw-sessions"))
            if config.raw_sessions_dir is not None
            else None
        )

    @property
    def unfinished(self) -> int:
        return self.in_flight + len(self.queue)

    # ---- the request -------------------------------------------------------

    def request(self, scope: Scope, request: AgentCall) -> None:
        rejection = self._limit_reached()
        if rejection is not None:
            scope.settle(request.id, False, rejection, None)
            return
        plans = scope.plans or self._plans_of(scope)
        try:
            call = plans.prepare(request)
        except AgentCallError as error:
            scope.settle(request.id, False, error.message, None)
            return
        self.started += 1
        plan = call.plan
        parts = plan.key_parts
        assert parts is not None  # every plan of a PlanCache has them
        content_key = parts.key(call.prompt)
        checkpoint = scope.occurrences.checkpoint(content_key)
        occurrence = checkpoint[len(content_key) :]
        asks_cache = cache_wanted(plan, self.ctx.config.cache)
        cache_key = _cache_key(call, occurrence) if asks_cache else None
        wanted = Wanted("agent", checkpoint, call.prompt, plan.label, plan.phase, cache_key)
        found = self.lookup.find(wanted)
        if isinstance(found, Found):
            self._reuse(scope, call, wanted, found)
            return
        own = self.ctx.checkpoints.get(checkpoint)
        step_id, prior = (own.step_id, own.spent) if own is not None else (new_id("step"), None)
        step = AgentStep(
            self, scope, call, step_id, checkpoint, prior, self.ctx.cwd, order=self.started
        )
        step.cache_key = cache_key or _cache_key(call, occurrence)
        if isinstance(found, Unanswered):
            self._record_start(step)
            self._failed(step, CallFailure(found.message), self.ctx.budget.spent)
            return
        self.queue.append(step)
        self.ctx.pending.queued += 1

    def _plans_of(self, scope: Scope) -> PlanCache:
        config = self.ctx.config
        inputs = PlanInputs(
            scope.script.meta,
            scope.key,
            config.provider,
            config.model_map,
            self._check_provider,
            self.defaults,
            self.answer_settings,
        )
        scope.plans = PlanCache(inputs)
        return scope.plans

    def _limit_reached(self) -> str | None:
        caps = self.ctx.caps
        if caps.tripped is not None:
            return caps.tripped
        limit = self.ctx.config.max_agents
        if self.started >= limit:
            return (
                f"this run reached its limit of {limit} agent calls (--max-agents {limit}); "
                "retries count too: raise --max-agents to allow more"
            )
        return None

    def count_try(self) -> str | None:
        """A retry of a running call counts as one more agent call of the run."""
        refused = self._limit_reached()
        if refused is None:
            self.started += 1
        return refused

    def _reuse(self, scope: Scope, call: PreparedCall, wanted: Wanted, found: Found) -> None:
        """Settle the call with an answer no provider call of this attempt made: its own
        checkpoint's (it costs what it cost), or another source's (it costs nothing, and
        becomes this run's checkpoint, which names where it came from)."""
        result, origin = found.result, found.origin
        if found.step is not None:
            step_id, spent = found.step.step_id, found.step.spent
        else:
            own = self.ctx.checkpoints.get(wanted.checkpoint)
            step_id, spent = (own.step_id if own is not None else new_id("step")), ZERO_USAGE
            self._record_copy(scope, call, wanted.checkpoint, step_id, found)
        asked = call_asked(call, replayed=True)
        self._emit_call(EventType.AGENT_STARTED, scope, call, step_id, asked)
        session = result.get("sessionId")
        data: JSONObject = {
            "sessionId": session,
            "model": result.get("model"),
            "usage": result.get("usage") if origin is None else ZERO_USAGE.to_json(),
            "replayed": True,
        }
        if origin is not None:
            data.update(origin.fields())
        provider = _provider_of(result, call.plan.provider)
        self.ctx.emit(
            scope,
            EventType.AGENT_COMPLETED,
            data,
            step_id=step_id,
            provider=provider,
            session_id=session if isinstance(session, str) else None,
        )
        if self.recorder is not None:
            self.recorder.note(self.started, wanted, provider, result)
        scope.spent.add(spent)
        budget_spent = self.ctx.budget.charge(spent.output_tokens)
        value = (
            call_record(
                result, step_id=step_id, provider=call.plan.provider, replayed=True, origin=origin
            )
            if call.detailed
            else result.get("output")
        )
        scope.settle(call.request_id, True, value, budget_spent)

    def _record_copy(
        self, scope: Scope, call: PreparedCall, checkpoint: str, step_id: str, found: Found
    ) -> None:
        """The answer as this run's finished checkpoint: no provider call, no spend."""
        assert found.origin is not None
        result = found.result
        plan = call.plan
        model, session = _text(result.get("model")), _text(result.get("sessionId"))
        self.ctx.start_step(
            scope,
            step_id,
            checkpoint,
            "agent",
            _input_json(call),
            phase=plan.phase,
            provider=_provider_of(result, plan.provider),
            model=model or plan.model,
            label=plan.label,
            origin_json=dumps(found.origin.to_json()),
        )
        self.ctx.end_step(
            step_id, StepEnd("completed", now_ms(), dumps(result), None, model, session)
        )

    def _emit_call(
        self,
        kind: EventType,
        scope: Scope,
        call: PreparedCall,
        step_id: str,
        asked: CallAsked,
    ) -> None:
        """``agent_queued`` or ``agent_started``: what the call asks, as the data."""
        self.ctx.emit(
            scope,
            kind,
            asked.data,
            step_id=step_id,
            provider=call.plan.provider,
            data_text=asked.text,
        )

    # ---- providers ---------------------------------------------------------

    def _check_provider(self, name: str) -> None:
        overrides = self.ctx.config.providers
        if overrides is None or name not in overrides:
            check_provider_name(name)

    def provider(self, name: str) -> Provider:
        """The run's provider called ``name``: one object per run, created with its settings
        (a call meters it and waits for its throttle: ``AgentStep.provider``)."""
        provider = self.providers.get(name)
        if provider is None:
            config = self.ctx.config
            overrides = config.providers
            if overrides is not None and name in overrides:
                provider = overrides[name]
            else:
                provider = create_provider(name, config.settings_for_providers())
            self.providers[name] = provider
        return provider

    async def close_providers(self) -> None:
        """Let every provider this run used release what it holds (connection pools)."""
        for provider in self.providers.values():
            if isinstance(provider, Closeable):
                with contextlib.suppress(Exception):  # a pool that fails to close loses nothing
                    await provider.aclose()

    # ---- starting and running ----------------------------------------------

    @property
    def startable(self) -> bool:
        """Calls wait in the queue while slots are free (``START_BATCH`` held them back)."""
        return bool(self.queue) and self.in_flight < self.ctx.config.max_parallel_agents

    def start_queued(self) -> None:
        """Start queued calls while slots are free, at most ``START_BATCH``; a tripped
        budget cap rejects them."""
        ctx = self.ctx
        limit = ctx.config.max_parallel_agents
        queue = self.queue
        batch_end = self.in_flight + START_BATCH
        while queue and self.in_flight < limit and self.in_flight < batch_end:
            step = queue.popleft()
            ctx.pending.queued -= 1
            if ctx.caps.tripped is not None:
                self._reject_queued(step, ctx.caps.tripped)
                continue
            self.in_flight += 1
            self._record_start(step)
            ctx.pending.started()
            self.workers.submit(self._run, step)

    def announce_queued(self) -> None:
        """``workflow.agent_queued`` once for each call still waiting for a slot when a
        turn commits; the calls queued since the last commit are the end of the queue,
        and the first calls of the queue, as many as slots are free, wait for no slot."""
        fresh: list[AgentStep] = []
        free = max(0, self.ctx.config.max_parallel_agents - self.in_flight)
        waiting = len(self.queue) - free
        for step in itertools.islice(reversed(self.queue), max(0, waiting)):
            if step.announced:
                break
            fresh.append(step)
        for step in reversed(fresh):
            step.announced = True
            self._emit_call(
                EventType.AGENT_QUEUED, step.scope, step.call, step.step_id, step.asked()
            )

    def _reject_queued(self, step: AgentStep, message: str) -> None:
        """A queued call a tripped budget cap refuses; one shown as queued ends as failed."""
        if step.announced:
            data: JSONObject = {"message": message, "usage": ZERO_USAGE.to_json()}
            provider = step.call.plan.provider
            self.ctx.emit(
                step.scope, EventType.AGENT_FAILED, data, step_id=step.step_id, provider=provider
            )
        step.scope.settle(step.call.request_id, False, message, self.ctx.budget.spent)

    def _record_start(self, step: AgentStep) -> None:
        call = step.call
        plan = call.plan
        ctx = self.ctx
        ctx.start_step(
            step.scope,
            step.step_id,
            step.checkpoint,
            "agent",
            _input_json(call),
            phase=plan.phase,
            provider=plan.provider,
            model=plan.model,
            label=plan.label,
            cache_key=step.cache_key,
        )
        self._emit_call(EventType.AGENT_STARTED, step.scope, call, step.step_id, step.asked())
        step.asked_data = None  # no event of the call needs it again
        if ctx.config.debug_log is not None:
            ctx.debug(
                f"starting agent request id={call.request_id} "
                f"in_flight_after_start={self.in_flight} "
                f"max_parallel={ctx.config.max_parallel_agents}"
            )

    async def _run(self, step: AgentStep) -> None:
        """One call's life in a worker: isolation, the executor, then its completion."""
        outcome: Answer | CallFailure
        try:
            option = step.call.plan.options.get("isolation")
            if option is None:
                outcome = await self.executor.execute(step.call, step)
            else:
                outcome = await isolated(option, step.cwd, self._in(step), step.note_isolation)
        except ProviderError as error:
            outcome = CallFailure(error.message, error.refusals, error.kind)
        except AgentCallError as error:
            outcome = CallFailure(error.message)
        step.running = False
        if step in self.unrecorded:
            del self.unrecorded[step]
            self.unrecorded_done[step] = None
        self.ctx.pending.post(AgentDone(step, outcome))

    def record_spend(self, *, everything: bool = False) -> None:
        """Put provider calls into the write batch before a commit: those of calls still
        running (a long call's failed provider calls are durable while it retries), or every one
        (at the end). A finished call's wait for its completion, to land with its row."""
        batch = self.ctx.batch
        steps = [*self.unrecorded_done, *self.unrecorded] if everything else list(self.unrecorded)
        for step in steps:
            self._record_ledger(step, batch)

    def _record_ledger(self, step: AgentStep, batch: WriteBatch) -> None:
        if step.ledger:
            for entry in step.ledger:
                batch.ledger_entry(entry)
        step.ledger = None
        self.unrecorded.pop(step, None)
        self.unrecorded_done.pop(step, None)

    def _in(self, step: AgentStep) -> _WorkIn:
        return _WorkIn(self.executor, step)

    # ---- the completion ----------------------------------------------------

    def finished(self, done: AgentDone) -> None:
        """Record a finished call and queue its settlement for its scope."""
        self.in_flight -= 1
        step = done.step
        ctx = self.ctx
        if step.ledger is not None:
            self._record_ledger(step, ctx.batch)
        spent = step.spent
        call_cost = spent if step.prior is None else step.prior + (spent or Usage(total_tokens=0))
        if spent is not None:
            ctx.spent_now.add(spent)
        if call_cost is not None:
            step.scope.spent.add(call_cost)  # every provider call ever made for it
        budget_spent = ctx.budget.charge(call_cost.output_tokens if call_cost else 0)
        ctx.check_caps()
        if isinstance(done.outcome, Answer):
            self._completed(step, done.outcome, budget_spent)
        else:
            self._failed(step, done.outcome, budget_spent)

    def _completed(self, step: AgentStep, answer: Answer, budget_spent: int) -> None:
        ctx = self.ctx
        result = _clean(answer.result)
        call = step.call
        plan = call.plan
        usage = result.usage.to_json() if result.usage is not None else None
        if ctx.caps.usd is not None and (result.usage is None or result.usage.cost_usd is None):
            self._warn_no_cost(plan.provider)
        compact: JSONObject = {"output": result.output}
        if result.session_id is not None:
            compact["sessionId"] = result.session_id
        if result.model is not None:
            compact["model"] = result.model
        if usage is not None:
            compact["usage"] = usage
        provider = answer.provider
        if len(plan.providers) > 1:
            compact["provider"] = provider
        if step.isolation is not None:
            compact["isolation"] = step.isolation
        if result.refusals:
            compact["refusals"] = refusals_json(result.refusals)
            self._warn_refusals(step, result.refusals)
        rendered = {"usage": "null" if usage is None else json_text(usage)}
        stored = object_text(compact, rendered)
        self._end(step, "completed", stored, None, result.model, result.session_id)
        data: JSONObject = {"sessionId": result.session_id, "model": result.model, "usage": usage}
        if step.isolation is not None:
            data["isolation"] = step.isolation
        if result.refusals:
            data["refusals"] = compact["refusals"]
        _add_tries(data, step.tries)
        ctx.emit(
            step.scope,
            EventType.AGENT_COMPLETED,
            data,
            step_id=step.step_id,
            provider=provider,
            session_id=result.session_id,
            data_text=object_text(data, rendered),
        )
        if self.recorder is not None:
            wanted = Wanted("agent", step.checkpoint, call.prompt, plan.label, plan.phase)
            self.recorder.note(step.order, wanted, provider, compact)
        value = (
            call_record(compact, step_id=step.step_id, provider=provider, replayed=False)
            if call.detailed
            else result.output
        )
        step.scope.settle(call.request_id, True, value, budget_spent)

    def _failed(self, step: AgentStep, failure: CallFailure, budget_spent: int) -> None:
        message = clean_text(failure.message or "agent call failed")
        error: JSONObject = {"message": message}
        if step.isolation is not None:
            error["isolation"] = step.isolation
        spent = step.spent if step.spent is not None else Usage(total_tokens=0)
        data: JSONObject = {"message": message, "usage": spent.to_json()}
        if failure.kind is not None:
            error["failureKind"] = data["failureKind"] = failure.kind.value
        if failure.refusals:
            error["refusals"] = data["refusals"] = refusals_json(failure.refusals)
            self._warn_refusals(step, failure.refusals)
        _add_tries(data, step.tries)
        self._end(step, "failed", None, dumps(error), None, None)
        self.ctx.emit(
            step.scope,
            EventType.AGENT_FAILED,
            data,
            step_id=step.step_id,
            provider=step.call.plan.provider,
        )
        if step.scope.script.form == "claude-code" and failure.kind in DEAD_AGENT:
            self._resolve_dead(step, message, budget_spent)
            return
        step.scope.settle(step.call.request_id, False, message, budget_spent)

    def _resolve_dead(self, step: AgentStep, message: str, budget_spent: int) -> None:
        """Claude Code's contract: a dead agent is ``null``, said once as a warning."""
        who = step.who if step.call.plan.label is not None else repr(_preview(step.call.prompt))
        data: JSONObject = {
            "message": f"agent {who} failed, so agent() returned null: {message}",
            "source": "agent",
            "stepId": step.step_id,
        }
        self.ctx.emit(step.scope, EventType.WARNING, data, step_id=step.step_id)
        step.scope.settle(step.call.request_id, True, None, budget_spent)

    def _end(
        self,
        step: AgentStep,
        status: str,
        result_json: str | None,
        error_json: str | None,
        model: str | None,
        session_id: str | None,
    ) -> None:
        end = StepEnd(
            status,
            now_ms(),
            result_json,
            error_json,
            model,
            session_id,
            step.calls,
            step.spent,
        )
        self.ctx.end_step(step.step_id, end)

    def _warn_refusals(self, step: AgentStep, refusals: tuple[Refusal, ...]) -> None:
        """One ``[warn]`` line per call; the refusals ride along as data."""
        data: JSONObject = {
            "message": refusal_summary(step.who, step.call.plan.permissions, refusals),
            "source": "permissions",
            "stepId": step.step_id,
            "refusals": refusals_json(refusals),
        }
        self.ctx.emit(step.scope, EventType.WARNING, data, step_id=step.step_id)

    def _warn_no_cost(self, provider: str) -> None:
        if provider in self.warned_no_cost:
            return
        self.warned_no_cost.add(provider)
        self.ctx.warn(
            f"the {provider} provider reports no cost: --max-cost-usd cannot see its spend",
            "budget",
        )


@record
class _WorkIn:
    """The call run in the directory its isolation chose."""

    executor: Executor
    step: AgentStep

    async def __call__(self, cwd: Path) -> Answer:
        self.step.cwd = cwd
        return await self.executor.execute(self.step.call, self.step)


def _preview(prompt: str, width: int = 40) -> str:
    line = " ".join(prompt.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _add_tries(data: JSONObject, tries: list[ProviderCall] | None) -> None:
    """``calls`` when the call made several provider calls (one is told by the event itself)."""
    if tries is not None and len(tries) > 1:
        data["calls"] = [tried.to_json() for tried in tries]


def _cache_key(call: PreparedCall, occurrence: str) -> str | None:
    """The call's cache key with its checkpoint's occurrence (the second of two equal
    calls takes the second answer), or None for a call whose answer is never reused."""
    parts = call.plan.cache_parts
    return None if parts is None else parts.key(call.prompt) + occurrence


@record
class CallAsked:
    """What a call asks, as ``agent_queued`` and ``agent_started`` data, and that data's
    compact text: the engine's most frequent event data, rendered by hand (a test compares
    it with the encoder's text)."""

    data: JSONObject
    text: str


def call_asked(call: PreparedCall, *, replayed: bool) -> CallAsked:
    plan = call.plan
    preview = call.prompt
    if len(preview) > defaults.PROMPT_PREVIEW_CHARS:
        preview = preview[: defaults.PROMPT_PREVIEW_CHARS] + "…"
    phase = plan.phase
    data: JSONObject = {"phase": phase, "promptPreview": preview}
    text = '{"phase":' + ("null" if phase is None else encode_basestring(phase))
    text += ',"promptPreview":' + encode_basestring(preview)
    if plan.label is not None:
        data["label"] = plan.label
        text += ',"label":' + encode_basestring(plan.label)
    if plan.model is not None:
        data["model"] = plan.model
        text += ',"model":' + encode_basestring(plan.model)
    if replayed:
        data["replayed"] = True
        text += ',"replayed":true'
    return CallAsked(data, text + "}")


def _input_json(call: PreparedCall) -> str:
    """What the call asked, as its step's ``input_json``."""
    return f'{{"prompt":{encode_basestring(call.prompt)},"options":{call.plan.options_text}}}'


def _provider_of(result: JSONObject, planned: str) -> str:
    """The provider that made a stored answer: named in it when a chain chose, else planned."""
    named = result.get("provider")
    return named if isinstance(named, str) else planned


def _text(value: JSON) -> str | None:
    return value if isinstance(value, str) else None


def _clean(result: AgentResult) -> AgentResult:
    """Providers may return text no UTF-8 store can hold; the script gets U+FFFD instead."""
    output = without_lone_surrogates(result.output)
    session = clean_text(result.session_id) if result.session_id is not None else None
    model = clean_text(result.model) if result.model is not None else None
    if output == result.output and session == result.session_id and model == result.model:
        return result
    return AgentResult(output, session, model, result.usage, result.raw, result.refusals)
