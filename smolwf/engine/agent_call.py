"""Running one prepared ``agent()`` call: retries around a structured-output loop.

Every provider attempt, failed or not, is reported to ``record`` so the ledger
sees all spend, including schema corrections and retries.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anyio

from smolwf.engine.options import PreparedCall
from smolwf.engine.structured import correction_prompt, mismatch_message, validation_errors
from smolwf.errors import AgentCallError, ProviderError
from smolwf.providers.base import AgentRequest, AgentResult, Provider, ProviderEventSink
from smolwf.usage import Usage

AttemptRecorder = Callable[[Usage | None, str, str | None], None]
"""Called once per provider attempt with (usage, outcome, model); outcome is
``ok``, ``failed`` or ``invalid-output``."""


async def execute_agent(
    call: PreparedCall,
    provider: Provider,
    *,
    step_id: str,
    cwd: Path,
    record: AttemptRecorder,
    events: ProviderEventSink,
) -> AgentResult:
    """Up to ``retry.maxAttempts`` tries with ``backoffMs`` between; the last error wins."""
    last_error: AgentCallError | None = None
    for attempt in range(call.retry.max_attempts):
        if attempt and call.retry.backoff_ms:
            await anyio.sleep(call.retry.backoff_ms / 1000)
        try:
            return await _structured_attempt(call, provider, step_id, cwd, record, events)
        except AgentCallError as error:
            last_error = error
    assert last_error is not None
    raise last_error


async def _structured_attempt(
    call: PreparedCall,
    provider: Provider,
    step_id: str,
    cwd: Path,
    record: AttemptRecorder,
    events: ProviderEventSink,
) -> AgentResult:
    """One provider call, and one correction call if a schema was given and not met."""
    prompt = call.prompt
    for round_number in (1, 2):
        request = AgentRequest(
            prompt=prompt,
            options=call.options,
            cwd=cwd,
            step_id=step_id,
            phase=call.phase,
            model=call.model,
            has_schema=call.has_schema,
            schema=call.schema,
        )
        result = await _provider_attempt(provider, request, record, events)
        errors = validation_errors(result.output, call.schema) if call.has_schema else []
        if not errors:
            record(result.usage, "ok", result.model)
            return result
        record(result.usage, "invalid-output", result.model)
        if round_number == 2:
            raise AgentCallError(mismatch_message(errors))
        prompt = correction_prompt(call.prompt, errors)
    raise AssertionError("unreachable")


async def _provider_attempt(
    provider: Provider, request: AgentRequest, record: AttemptRecorder, events: ProviderEventSink
) -> AgentResult:
    try:
        return await provider.run(request, events)
    except ProviderError as error:
        record(error.usage, "failed", request.model)
        raise
    except AgentCallError:
        record(None, "failed", request.model)
        raise
    except Exception as error:  # a provider bug must fail the call, never the run
        record(None, "failed", request.model)
        name = getattr(provider, "name", type(provider).__name__)
        raise AgentCallError(
            f"{name} provider failed unexpectedly: {type(error).__name__}: {error}"
        ) from error
