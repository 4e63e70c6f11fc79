"""The ``agent()`` option pipeline: phase defaults, provider, model, retry, schema.

Runs before anything is started or checkpointed; a failure here rejects the call
with no ``agent_started`` event and no provider call (reference §1.4).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import field

from smolwf.cluster.settings import ResourceSpecError, parse_resources
from smolwf.engine.keys import AgentKeyParts, CacheAsk, agent_key_parts, cache_key_parts
from smolwf.engine.retry import RetryPolicy, parse_retry
from smolwf.engine.selectors import resolve_model
from smolwf.engine.structured import mismatch_message, schema_problem
from smolwf.errors import AgentOptionError
from smolwf.js.requests import AgentCall
from smolwf.jsontext import compact
from smolwf.jsontypes import JSON, JSONObject
from smolwf.permissions import (
    DEFAULT_PERMISSIONS,
    DEFAULT_REFUSAL_POLICY,
    PERMISSION_LEVELS,
    REFUSAL_POLICIES,
    PermissionLevel,
    RefusalPolicy,
    permission_level,
)
from smolwf.providers.capabilities import EFFORT_LEVELS
from smolwf.providers.registry import check_permissions
from smolwf.records import record
from smolwf.script.meta import WorkflowMeta

AGENT_OPTIONS = (
    *("phase", "provider", "model", "retry", "isolation", "permissions", "onRefusal"),
    *("schema", "label", "effort", "agentType", "timeout", "idleTimeout", "key", "resources"),
    "cache",
)
"""Every ``agent()`` option a script may set. The pipeline below reads all but ``key``,
which is only hashed into the checkpoint key; other keys pass through to it unread."""


@record
class CallPlan:
    """What an ``agent()`` call's options resolve to: everything but the prompt.

    Calls of one scope with equal options share one plan (see ``PlanCache``), so a fan-out
    of thousands of calls runs the option pipeline once.
    """

    options: JSONObject
    """The effective options (phase defaults applied, model resolved); never mutated."""
    provider: str
    phase: str | None
    model: str | None
    label: str | None
    has_schema: bool
    schema: JSON
    retry: RetryPolicy
    providers: tuple[str, ...] = ()
    """The fallback chain, ``provider`` first; a single provider is a chain of one."""
    effort: str | None = None
    agent_type: str | None = None
    timeout_s: float | None = None
    idle_timeout_s: float | None = None
    permissions: PermissionLevel = DEFAULT_PERMISSIONS
    on_refusal: RefusalPolicy = DEFAULT_REFUSAL_POLICY
    options_text: str = "{}"
    """``options`` as compact JSON, for the step's input row."""
    key_parts: AgentKeyParts | None = None
    """The prompt-independent part of the checkpoint key, in the plan's scope."""
    resources: Mapping[str, float] | None = None
    """What the call reserves where an executor places it (a Ray cluster); None: the
    run's default (``--ray-agent-resources``)."""
    cache: bool | None = None
    """The call's ``cache`` option, else its phase's; None: the run's ``--cache`` decides."""
    cache_parts: AgentKeyParts | None = None
    """The prompt-independent part of the cache key; None for a call with side effects
    (isolated, or allowed to write), whose answer is never reused across runs."""


@record
class PreparedCall:
    """An ``agent()`` call with its effective options, ready to key and run."""

    request_id: int
    prompt: str
    plan: CallPlan
    detailed: bool = False
    """``agentRun()``: the script gets the whole record, not only the output."""


@record
class CallDefaults:
    """Run-wide defaults the call's options and its phase may override: watchdogs in
    seconds (``--agent-timeout``, ``--agent-idle-timeout``), ``--agent-permissions`` and
    ``--on-refusal``."""

    timeout_s: float | None = None
    idle_timeout_s: float | None = None
    permissions: PermissionLevel = DEFAULT_PERMISSIONS
    on_refusal: RefusalPolicy = DEFAULT_REFUSAL_POLICY


NO_CALL_DEFAULTS = CallDefaults()
"""No run-wide watchdogs; the default permission level and refusal policy."""


@record
class PlanInputs:
    """What besides a call's options decides its plan: the same for a whole scope."""

    meta: WorkflowMeta
    scope_key: str
    default_provider: str
    model_map: Mapping[str, str]
    check_provider: Callable[[str], None]
    defaults: CallDefaults = NO_CALL_DEFAULTS
    settings: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Each provider's settings that may change its answers (``RunConfig.answer_settings``),
    for cache keys."""


class PlanCache:
    """One scope's plans by options text; bounded, since labels make most options unique."""

    LIMIT = 1024

    def __init__(self, inputs: PlanInputs) -> None:
        self.inputs = inputs
        self._plans: dict[str, CallPlan] = {}

    def prepare(self, call: AgentCall) -> PreparedCall:
        """The call with its plan; raises ``AgentOptionError`` for invalid options."""
        text = compact(call.options) if call.options else "{}"
        plan = self._plans.get(text)
        if plan is None:
            plan = plan_call(call.options, self.inputs, options_text=None)
            if len(self._plans) >= self.LIMIT:
                self._plans.clear()
            self._plans[text] = plan
        return PreparedCall(call.id, call.prompt, plan, call.detailed)


def prepare_agent_call(
    call: AgentCall,
    *,
    meta: WorkflowMeta,
    default_provider: str,
    model_map: Mapping[str, str],
    check_provider: Callable[[str], None],
    defaults: CallDefaults = NO_CALL_DEFAULTS,
    scope_key: str = "root",
) -> PreparedCall:
    """Apply §1.4 steps 2–5 (step 1, phase inheritance, happened in JS) to one call."""
    inputs = PlanInputs(meta, scope_key, default_provider, model_map, check_provider, defaults)
    return PreparedCall(call.id, call.prompt, plan_call(call.options, inputs), call.detailed)


def plan_call(raw: JSONObject, inputs: PlanInputs, options_text: str | None = None) -> CallPlan:
    """The option pipeline for one set of options, in one scope."""
    options = dict(raw)
    phase = options.get("phase")
    if phase is not None and not isinstance(phase, str):
        raise AgentOptionError("agent() option phase must be a string or null")
    _apply_phase_defaults(options, inputs.meta, phase)
    _check_command_line_values(options)
    chain = _provider_chain(options.get("provider", inputs.default_provider))
    for name in chain:
        inputs.check_provider(name)
    for name in chain[1:]:
        resolve_model(options, name, inputs.model_map)  # each provider must accept the model
    options = resolve_model(options, chain[0], inputs.model_map)
    _check_command_line_values(options)
    retry = parse_retry(options.get("retry"))
    _check_isolation(options.get("isolation"))
    defaults = inputs.defaults
    permissions = _permissions(options, defaults.permissions)
    for name in chain:
        check_permissions(name, permissions)
    has_schema = "schema" in options
    schema = options.get("schema")
    if has_schema:
        problem = schema_problem(schema)
        if problem is not None:
            raise AgentOptionError(mismatch_message([problem]))
    model, label = options.get("model"), options.get("label")
    effort, agent_type = _effort(options), _optional_text(options, "agentType")
    isolated = options.get("isolation") is not None
    return CallPlan(
        options=options,
        provider=chain[0],
        phase=phase,
        model=model if isinstance(model, str) else None,
        label=label if isinstance(label, str) else None,
        has_schema=has_schema,
        schema=schema,
        retry=retry,
        providers=chain,
        effort=effort,
        agent_type=agent_type,
        timeout_s=_limit(options, "timeout", defaults.timeout_s),
        idle_timeout_s=_limit(options, "idleTimeout", defaults.idle_timeout_s),
        permissions=permissions,
        on_refusal=_on_refusal(options, defaults.on_refusal),
        options_text=compact(options),
        key_parts=agent_key_parts(
            scope=inputs.scope_key, provider=chain[0], options=options, phase=phase
        ),
        resources=_resources(options),
        cache=_cache_option(options),
        cache_parts=None
        if isolated or permissions != DEFAULT_PERMISSIONS
        else cache_key_parts(
            CacheAsk(
                chain,
                model if isinstance(model, str) else None,
                effort,
                agent_type,
                permissions,
                schema,
                has_schema,
                options.get("key"),
                _settings_of(chain, inputs.settings),
            )
        ),
    )


def _settings_of(chain: tuple[str, ...], settings: Mapping[str, Mapping[str, str]]) -> JSON:
    """The settings of the chain's providers that have any, or None."""
    found: JSONObject = {name: dict(settings[name]) for name in chain if settings.get(name)}
    return found or None


_COMMAND_LINE_OPTIONS = ("model", "agentType", "effort", "thinking", "modelProvider")
"""Options whose values reach an agent CLI's argv."""


def _check_command_line_values(options: JSONObject) -> None:
    """A value a CLI could read as a flag (``--dangerously-skip-permissions``) is refused."""
    for key in _COMMAND_LINE_OPTIONS:
        value = options.get(key)
        if isinstance(value, str) and value.startswith("-"):
            raise AgentOptionError(
                f"agent() option {key} must not start with '-' (an agent CLI would read it "
                f"as a flag), got {value!r}"
            )


def _provider_chain(value: JSON) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if (
        isinstance(value, list)
        and value
        and all(isinstance(name, str) for name in value)
        and len(set(map(str, value))) == len(value)
    ):
        return tuple(str(name) for name in value)
    raise AgentOptionError(
        "agent() option provider must be a provider name or a non-empty array of "
        "distinct provider names (a fallback chain)"
    )


def _effort(options: JSONObject) -> str | None:
    """The ``effort`` option, else the model selector's ``thinking``."""
    effort = _optional_text(options, "effort")
    if effort is not None and effort not in EFFORT_LEVELS:
        levels = ", ".join(EFFORT_LEVELS)
        raise AgentOptionError(f"agent() option effort must be one of {levels}, got {effort!r}")
    thinking = options.get("thinking")
    return effort or (thinking if isinstance(thinking, str) else None)


def _optional_text(options: JSONObject, key: str) -> str | None:
    value = options.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise AgentOptionError(f"agent() option {key} must be a non-empty string")
    return value


def _limit(options: JSONObject, key: str, default: float | None) -> float | None:
    """``timeout``/``idleTimeout`` in milliseconds; 0 turns the run-wide default off."""
    if key not in options or options[key] is None:
        return default
    value = options[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise AgentOptionError(
            f"agent() option {key} must be a number of milliseconds (0 for no limit)"
        )
    return value / 1000 if value else None


def _permissions(options: JSONObject, default: PermissionLevel) -> PermissionLevel:
    """The call's level, else its phase's, else the run's. A level that can write is part
    of what the call asks (its checkpoint key); ``read-only``, the default, is left out so
    keys of scripts that never ask stay as they were."""
    value = options.get("permissions")
    level = default if value is None else permission_level(value)
    if level is None:
        levels = ", ".join(f"'{name}'" for name in PERMISSION_LEVELS)
        raise AgentOptionError(f"agent() option permissions must be one of {levels}, got {value!r}")
    if level == DEFAULT_PERMISSIONS:
        options.pop("permissions", None)
    else:
        options["permissions"] = level
    return level


def _on_refusal(options: JSONObject, default: RefusalPolicy) -> RefusalPolicy:
    value = options.get("onRefusal")
    if value is None:
        return default
    for policy in REFUSAL_POLICIES:
        if value == policy:
            return policy
    raise AgentOptionError(f"agent() option onRefusal must be 'warn' or 'fail', got {value!r}")


def _resources(options: JSONObject) -> dict[str, float] | None:
    value = options.get("resources")
    if value is None:
        return None
    try:
        return parse_resources(value)
    except ResourceSpecError as error:
        raise AgentOptionError(f"agent() option resources {error}") from None


def _cache_option(options: JSONObject) -> bool | None:
    value = options.get("cache")
    if value is None or isinstance(value, bool):
        return value
    raise AgentOptionError(f"agent() option cache must be true or false, got {value!r}")


def _check_isolation(value: JSON) -> None:
    if value is None or value == "worktree":
        return
    if isinstance(value, dict) and value.get("type") == "sandbox":
        return
    raise AgentOptionError(
        "agent() option isolation must be 'worktree' or {type: 'sandbox', profile: '...'}"
    )


def _apply_phase_defaults(options: JSONObject, meta: WorkflowMeta, phase: str | None) -> None:
    """``meta.phases[].model``/``provider``/``permissions`` fill keys the call did not set."""
    if phase is None:
        return
    entry = meta.phase(phase)
    if entry is None:
        return
    if entry.model is not None and "model" not in options:
        options["model"] = entry.model
    if entry.permissions is not None and "permissions" not in options:
        options["permissions"] = entry.permissions
    if entry.resources is not None and "resources" not in options:
        options["resources"] = dict(entry.resources)
    if entry.cache is not None and "cache" not in options:
        options["cache"] = entry.cache
    if entry.provider is not None and "provider" not in options:
        provider = entry.provider
        options["provider"] = provider if isinstance(provider, str) else list[JSON](provider)
