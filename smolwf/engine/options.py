"""The ``agent()`` option pipeline: phase defaults, provider, model, retry, schema.

Runs before anything is started or checkpointed; a failure here rejects the call
with no ``agent_started`` event and no provider call (reference §1.4).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from smolwf.engine.retry import RetryPolicy, parse_retry
from smolwf.engine.selectors import resolve_model
from smolwf.engine.structured import mismatch_message, schema_problem
from smolwf.errors import AgentOptionError
from smolwf.js.requests import AgentCall
from smolwf.jsontypes import JSON, JSONObject
from smolwf.script.meta import WorkflowMeta


@dataclass(frozen=True, slots=True)
class PreparedCall:
    """An ``agent()`` call with its effective options, ready to key and run."""

    request_id: int
    prompt: str
    options: JSONObject
    provider: str
    phase: str | None
    model: str | None
    label: str | None
    has_schema: bool
    schema: JSON
    retry: RetryPolicy


def prepare_agent_call(
    call: AgentCall,
    *,
    meta: WorkflowMeta,
    default_provider: str,
    model_map: Mapping[str, str],
    check_provider: Callable[[str], None],
) -> PreparedCall:
    """Apply §1.4 steps 2–5 (step 1, phase inheritance, happened in JS)."""
    options = dict(call.options)
    phase = options.get("phase")
    if phase is not None and not isinstance(phase, str):
        raise AgentOptionError("agent() option phase must be a string or null")
    _apply_phase_defaults(options, meta, phase)
    provider = options.get("provider", default_provider)
    if not isinstance(provider, str):
        raise AgentOptionError("agent() option provider must be a provider name string")
    check_provider(provider)
    options = resolve_model(options, provider, model_map)
    retry = parse_retry(options.get("retry"))
    has_schema = "schema" in options
    schema = options.get("schema")
    if has_schema:
        problem = schema_problem(schema)
        if problem is not None:
            raise AgentOptionError(mismatch_message([problem]))
    model, label = options.get("model"), options.get("label")
    return PreparedCall(
        request_id=call.id,
        prompt=call.prompt,
        options=options,
        provider=provider,
        phase=phase,
        model=model if isinstance(model, str) else None,
        label=label if isinstance(label, str) else None,
        has_schema=has_schema,
        schema=schema,
        retry=retry,
    )


def _apply_phase_defaults(options: JSONObject, meta: WorkflowMeta, phase: str | None) -> None:
    """``meta.phases[].model``/``provider`` fill keys the call did not set."""
    if phase is None:
        return
    entry = meta.phase(phase)
    if entry is None:
        return
    if entry.model is not None and "model" not in options:
        options["model"] = entry.model
    if entry.provider is not None and "provider" not in options:
        options["provider"] = entry.provider
