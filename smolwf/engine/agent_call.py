"""Running one prepared ``agent()`` call: retries around a provider chain around a
structured-output loop.

Every provider call, failed or not, is reported to ``record`` so the ledger
sees all spend, including schema corrections, fallbacks and retries. A retry only
happens when it can help (never after an auth or configuration failure) and waits
for a quota reset the provider announced.
"""

from __future__ import annotations

from dataclasses import replace

import anyio

from smolwf import defaults
from smolwf.engine.executor import Answer, CallContext
from smolwf.engine.options import PreparedCall
from smolwf.engine.structured import correction_prompt, mismatch_message, output_errors
from smolwf.errors import (
    AgentCallError,
    AgentOptionError,
    FailureKind,
    ProviderError,
    ProviderUnavailable,
)
from smolwf.jsontypes import JSON
from smolwf.permissions import Refusal, refusal_summary
from smolwf.providers.base import AgentRequest, AgentResult


class LocalExecutor:
    """Runs every provider call of an ``agent()`` call in this process."""

    async def execute(self, call: PreparedCall, context: CallContext) -> Answer:
        return await execute_agent(call, context)


async def execute_agent(call: PreparedCall, context: CallContext) -> Answer:
    """Up to ``retry.maxAttempts`` tries; each walks the provider chain. The last error wins."""
    plan = call.plan
    if plan.retry.max_attempts == 1 and len(plan.providers) <= 1:  # most calls: one try
        return Answer(plan.provider, await _structured_call(call, plan.provider, context))
    last_error: AgentCallError | None = None
    for try_number in range(call.plan.retry.max_attempts):
        if try_number:
            assert last_error is not None
            pause = _pause_before_retry(call, last_error)
            if pause is None:
                break
            refused = context.another_try()
            if refused is not None:
                raise AgentCallError(f"{last_error.message} (no more tries: {refused})")
            if pause:
                await anyio.sleep(pause)
        try:
            return await _through_chain(call, context)
        except AgentCallError as error:
            last_error = error
    assert last_error is not None
    raise last_error


def _pause_before_retry(call: PreparedCall, error: AgentCallError) -> float | None:
    """Seconds to wait before the next try, or ``None`` when retrying cannot help."""
    backoff = call.plan.retry.backoff_ms / 1000
    if isinstance(error, AgentOptionError):
        return None
    if not isinstance(error, ProviderError):
        return backoff  # a schema mismatch: the model may do better next time
    if not error.kind.retryable:
        return None
    reset = error.retry_after_s
    if error.kind is FailureKind.QUOTA and reset is not None:
        if reset > defaults.MAX_QUOTA_WAIT_S:
            return None
        return max(backoff, reset)
    return backoff


async def _through_chain(call: PreparedCall, context: CallContext) -> Answer:
    """Providers in order; a quota, auth, transient or missing-CLI failure moves on."""
    passed: list[str] = []
    chain = call.plan.providers or (call.plan.provider,)
    for index, name in enumerate(chain):
        try:
            result = await _structured_call(call, name, context)
            return Answer(name, result)
        except ProviderError as error:
            if error.kind.falls_back and index + 1 < len(chain):
                passed.append(f"{name}: {error.message}")
                continue
            if not passed:
                raise
            raise ProviderError(
                f"{error.message} (earlier in the provider chain: {'; '.join(passed)})",
                kind=error.kind,
                usage=error.usage,
                session_id=error.session_id,
                retry_after_s=error.retry_after_s,
                refusals=error.refusals,
            ) from error
    raise AssertionError("unreachable: a chain has at least one provider")


async def _structured_call(call: PreparedCall, name: str, context: CallContext) -> AgentResult:
    """One provider call, and one correction call if a schema was given and not met.

    Refusals of both rounds stay on the result; under ``onRefusal: 'fail'`` the first
    refused round fails the call.
    """
    plan = call.plan
    prompt = call.prompt
    refused: tuple[Refusal, ...] = ()
    for round_number in (1, 2):
        request = AgentRequest(
            prompt=prompt,
            cwd=context.cwd,
            step_id=context.step_id,
            phase=plan.phase,
            model=plan.model,
            has_schema=plan.has_schema,
            schema=plan.schema,
            effort=plan.effort,
            agent_type=plan.agent_type,
            timeout_s=plan.timeout_s,
            idle_timeout_s=plan.idle_timeout_s,
            permissions=plan.permissions,
        )
        result = await _provider_call(name, request, context)
        if result.refusals:
            refused = (*refused, *result.refusals)
        if refused and plan.on_refusal == "fail":
            context.record(name, result.usage, "failed", result.model, FailureKind.REFUSED)
            raise ProviderError(
                f"{refusal_summary(context.who, plan.permissions, refused)} (onRefusal: 'fail')",
                kind=FailureKind.REFUSED,
                session_id=result.session_id,
                refusals=refused,
            )
        try:
            errors = (
                await output_errors(result.output, plan.schema, who=context.who)
                if plan.has_schema
                else []
            )
        except ProviderError as error:  # too costly to validate: no correction round
            context.record(name, result.usage, "invalid-output", result.model)
            error.refusals = refused
            raise
        if not errors:
            context.record(name, result.usage, "ok", result.model)
            return result if result.refusals == refused else replace(result, refusals=refused)
        context.record(name, result.usage, "invalid-output", result.model)
        if round_number == 2:
            raise ProviderError(
                mismatch_message(errors), kind=FailureKind.INVALID_OUTPUT, refusals=refused
            )
        prompt = correction_prompt(call.prompt, errors)
    raise AssertionError("unreachable")


async def _provider_call(name: str, request: AgentRequest, context: CallContext) -> AgentResult:
    provider = context.provider(name)
    transcript: list[JSON] = []
    session: list[str | None] = [None]
    raw_sessions = context.raw_sessions

    def forward(event: JSON, session_id: str | None) -> None:
        session[0] = session_id or session[0]
        if raw_sessions is not None:
            transcript.append(event)
        context.event(name, event, session_id)

    try:
        return await provider.run(request, forward)
    except ProviderError as error:
        # A CLI that is not installed made no call: nothing to record.
        if not isinstance(error, ProviderUnavailable):
            context.record(name, error.usage, "failed", request.model, error.kind)
        session[0] = error.session_id or session[0]
        raise
    except AgentCallError:
        context.record(name, None, "failed", request.model, FailureKind.CONFIG)
        raise
    except Exception as error:  # a provider bug must fail the call, never the run
        context.record(name, None, "failed", request.model, FailureKind.CRASH)
        raise ProviderError(
            f"{name} provider failed unexpectedly: {type(error).__name__}: {error}"
        ) from error
    finally:
        if raw_sessions is not None and transcript:
            raw_sessions.save(name, session[0], context.step_id, transcript)
