"""Everything one run is configured with, as the CLI and the Python API both build it.

Every field says whether a run records it for its resumes (``recorded``: the key in the
run's ``params_json`` and the flag that sets it) or why not (``not_recorded``);
``engine/resume.py`` reads that, so a new field cannot be left out of resumes unnoticed:
a field that says neither fails at import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import field, fields, replace
from pathlib import Path
from typing import Any, Literal, TextIO, TypeAlias

from smolwf import defaults
from smolwf.cluster.settings import (
    DEFAULT_AGENT_RESOURCES,
    EXECUTORS,
    ExecutorKind,
    RaySettings,
    WorkdirMode,
)
from smolwf.events.sinks import EventSink
from smolwf.jsontypes import JSON
from smolwf.permissions import (
    DEFAULT_PERMISSIONS,
    DEFAULT_REFUSAL_POLICY,
    PermissionLevel,
    RefusalPolicy,
)
from smolwf.providers.base import Provider, ProviderSettings
from smolwf.providers.registry import setting_changes_answers, setting_is_recorded
from smolwf.records import record

ReplayMissing: TypeAlias = Literal["fail", "live"]
REPLAY_MISSING: tuple[ReplayMissing, ...] = ("fail", "live")
"""What a call a ``--replay`` cassette has no answer for does (``--replay-missing``)."""
OnWait = Literal["wait", "exit"]
ON_WAIT_MODES: tuple[OnWait, ...] = ("wait", "exit")

RECORDING = "smolwf.recording"
"""The ``dataclasses.field`` metadata key of a field's recording."""


@record
class Recorded:
    """A run input stored in ``params_json[key]`` and reused by a resume unless the caller
    sets it again (``flag`` names it in the resume note; None: no flag sets it)."""

    key: str
    flag: str | None
    to_json: Callable[[Any], JSON]
    from_json: Callable[[JSON, Any], Any]
    """(stored value, the caller's value) → the value to resume with."""


@record
class NotRecorded:
    """A field a resume takes from its caller, never from the run; ``why`` says why."""

    why: str


def _plain(value: Any) -> JSON:
    if isinstance(value, Mapping):
        return dict(value)
    return value  # type: ignore[no-any-return]


def _stored(stored: JSON, current: Any) -> Any:
    return stored


def recorded(
    key: str,
    flag: str | None,
    *,
    to_json: Callable[[Any], JSON] = _plain,
    from_json: Callable[[JSON, Any], Any] = _stored,
) -> dict[str, Recorded]:
    return {RECORDING: Recorded(key, flag, to_json, from_json)}


def not_recorded(why: str) -> dict[str, NotRecorded]:
    return {RECORDING: NotRecorded(why)}


def _binaries_json(settings: ProviderSettings) -> JSON:
    return dict(settings.binaries)


def _with_binaries(stored: JSON, current: ProviderSettings) -> ProviderSettings:
    """The recorded ``--provider-bin`` values; the environment stays the caller's."""
    binaries = (
        {k: v for k, v in stored.items() if isinstance(v, str)} if isinstance(stored, dict) else {}
    )
    return replace(current, binaries=binaries)


def _options_json(options: Mapping[str, Mapping[str, str]]) -> JSON:
    """The ``--provider-setting`` values a resume may reuse: not those that may carry a
    credential (headers)."""
    return {
        name: {key: value for key, value in values.items() if setting_is_recorded(name, key)}
        for name, values in options.items()
    }


def _with_unrecorded(
    stored: JSON, current: Mapping[str, Mapping[str, str]]
) -> dict[str, dict[str, str]]:
    """The recorded settings, plus the caller's settings that are never recorded."""
    merged: dict[str, dict[str, str]] = {}
    entries = stored if isinstance(stored, dict) else {}
    for name, values in entries.items():
        if isinstance(values, dict):
            merged[name] = {k: v for k, v in values.items() if isinstance(v, str)}
    for name, own in current.items():
        for key, text in own.items():
            if not setting_is_recorded(name, key):
                merged.setdefault(name, {})[key] = text
    return merged


def _path_json(path: Path | None) -> JSON:
    return str(path.resolve()) if path is not None else None


def _stored_path(stored: JSON, current: Path | None) -> Path | None:
    return Path(stored) if isinstance(stored, str) else None


def _cwd_json(cwd: Path | None) -> JSON:
    return str(cwd or Path.cwd())


def _cwd_if_there(stored: JSON, current: Path | None) -> Path | None:
    """The recorded directory while it exists (a moved checkout resumes where it is now)."""
    if isinstance(stored, str) and Path(stored).is_dir():
        return Path(stored)
    return current


@record
class RunConfig:
    """Inputs of one run. ``providers`` replaces registry lookups (tests, embedding).

    On resume, recorded inputs replace every field not named in ``explicit``; the CLI
    names the flags the user actually gave, the Python API the keywords passed.
    """

    script_path: Path | None = field(
        metadata=not_recorded("the run's own script_path column; resume_config compares it")
    )
    args: JSON = field(
        default_factory=dict,
        metadata=not_recorded("the run's own args_json column; resume_config compares it"),
    )
    """The script's ``args``: an object, unless the caller passed another JSON value."""
    args_given: bool | None = field(
        default=None, metadata=not_recorded("stored beside args (see engine/resume.py)")
    )
    """Whether args were passed at all; None: when ``args`` is in ``explicit``."""
    db_path: Path | None = field(
        default=None, metadata=not_recorded("where the run is: a resume must name it")
    )
    resume_run_id: str | None = field(default=None, metadata=not_recorded("which run to resume"))
    fork_run_id: str | None = field(
        default=None,
        metadata=not_recorded("stored as the run's fork (engine/fork.py), which a resume keeps"),
    )
    """``--fork-run``: a new run that takes this run's finished calls for free."""
    rerun: tuple[str, ...] = field(
        default=(),
        metadata=not_recorded("selects calls of the run resumed or forked by this invocation"),
    )
    """``--rerun``: labels and phase titles (``*`` globs) of finished calls to run again."""
    cache: bool = field(default=False, metadata=recorded("cache", "--cache"))
    """``--cache``: calls take equal calls' answers from earlier runs (``engine/cache.py``)."""
    cache_ttl_s: float | None = field(default=None, metadata=recorded("cacheTtlS", "--cache-ttl"))
    """How old a cached answer may be; None: any age."""
    record_path: Path | None = field(
        default=None, metadata=not_recorded("an output of this invocation")
    )
    """``--record``: every answer of the run is written to this cassette when it ends."""
    replay_path: Path | None = field(
        default=None,
        metadata=recorded("replay", "--replay", to_json=_path_json, from_json=_stored_path),
    )
    """``--replay``: calls are answered from this cassette, never by a provider."""
    replay_missing: ReplayMissing = field(
        default="fail", metadata=recorded("replayMissing", "--replay-missing")
    )
    """What a call the cassette lacks does: fail, or run live and join the cassette."""
    provider: str = field(
        default=defaults.DEFAULT_PROVIDER, metadata=recorded("provider", "--agent-provider")
    )
    model_map: Mapping[str, str] = field(
        default_factory=dict, metadata=recorded("modelMap", "--model-map")
    )
    budget_allowance: int | None = field(
        default=None, metadata=recorded("budgetAllowance", "--budget-allowance")
    )
    max_parallel_agents: int = field(
        default_factory=defaults.default_max_parallel_agents,
        metadata=recorded("maxParallelAgents", "--max-parallel-agents"),
    )
    max_agents: int = field(
        default=defaults.MAX_AGENTS_PER_RUN, metadata=recorded("maxAgents", "--max-agents")
    )
    max_workflow_depth: int = field(
        default=defaults.MAX_WORKFLOW_DEPTH,
        metadata=recorded("maxWorkflowDepth", "--max-workflow-depth"),
    )
    max_output_tokens: int | None = field(
        default=None, metadata=recorded("maxOutputTokens", "--max-output-tokens")
    )
    max_total_tokens: int | None = field(
        default=None, metadata=recorded("maxTotalTokens", "--max-total-tokens")
    )
    max_cost_usd: float | None = field(
        default=None, metadata=recorded("maxCostUsd", "--max-cost-usd")
    )
    js_memory_mib: int = field(
        default=defaults.JS_MEMORY_MIB, metadata=recorded("jsMemoryMib", "--js-memory")
    )
    js_slice_timeout_s: float = field(
        default=defaults.JS_SLICE_TIMEOUT_S,
        metadata=recorded("jsSliceTimeoutS", "--js-slice-timeout"),
    )
    js_stack_kib: int = field(
        default=defaults.JS_STACK_KIB, metadata=recorded("jsStackKib", "--js-stack")
    )
    cwd: Path | None = field(
        default=None,
        metadata=recorded("cwd", None, to_json=_cwd_json, from_json=_cwd_if_there),
    )
    display_path: str | None = field(
        default=None, metadata=not_recorded("how this invocation names the script")
    )
    providers: Mapping[str, Provider] | None = field(
        default=None, metadata=not_recorded("objects of the calling program")
    )
    provider_settings: ProviderSettings = field(
        default_factory=ProviderSettings,
        metadata=recorded(
            "providerBinaries",
            "--provider-bin",
            to_json=_binaries_json,
            from_json=_with_binaries,
        ),
    )
    """Executable overrides (``--provider-bin``) for the registry's providers; its ``env``
    is never recorded (it may hold secrets) and stays the caller's."""
    provider_options: Mapping[str, Mapping[str, str]] = field(
        default_factory=dict,
        metadata=recorded(
            "providerSettings",
            "--provider-setting",
            to_json=_options_json,
            from_json=_with_unrecorded,
        ),
    )
    """Each provider's own settings by provider name (``--provider-setting NAME.KEY=VALUE``);
    those that may carry a credential (headers) are not recorded and stay the caller's."""
    provider_concurrency: Mapping[str, int] = field(
        default_factory=dict,
        metadata=recorded("providerConcurrency", "--provider-concurrency"),
    )
    """At most this many calls of a provider at once (over ``meta.rateLimits``)."""
    provider_rpm: Mapping[str, int] = field(
        default_factory=dict, metadata=recorded("providerRpm", "--provider-rpm")
    )
    """At most this many calls of a provider started per minute (over ``meta.rateLimits``)."""
    agent_timeout_s: float | None = field(
        default=defaults.AGENT_TIMEOUT_S, metadata=recorded("agentTimeoutS", "--agent-timeout")
    )
    agent_idle_timeout_s: float | None = field(
        default=defaults.AGENT_IDLE_TIMEOUT_S,
        metadata=recorded("agentIdleTimeoutS", "--agent-idle-timeout"),
    )
    agent_permissions: PermissionLevel = field(
        default=DEFAULT_PERMISSIONS, metadata=recorded("agentPermissions", "--agent-permissions")
    )
    """What agents may change unless a call or its phase says otherwise
    (``--agent-permissions``)."""
    on_refusal: RefusalPolicy = field(
        default=DEFAULT_REFUSAL_POLICY, metadata=recorded("onRefusal", "--on-refusal")
    )
    """Whether a refused tool use only warns or fails the call (``--on-refusal``)."""
    executor: ExecutorKind = field(default="local", metadata=recorded("executor", "--executor"))
    """Where provider calls run: in this process (``local``) or on a Ray cluster (``ray``)."""
    ray_address: str | None = field(default=None, metadata=recorded("rayAddress", "--ray-address"))
    """The Ray cluster (``--ray-address``, else ``RAY_ADDRESS``); None: Ray's own rule."""
    ray_agent_resources: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_AGENT_RESOURCES),
        metadata=recorded("rayAgentResources", "--ray-agent-resources"),
    )
    """What each provider call reserves on the cluster unless its phase or it says."""
    ray_workdir: WorkdirMode | None = field(
        default=None, metadata=recorded("rayWorkdir", "--ray-workdir")
    )
    """How the agent's directory reaches a worker; None: git in a repository, else shared."""
    raw_sessions_dir: Path | None = field(
        default=None, metadata=not_recorded("where this invocation writes transcripts")
    )
    """``--save-raw-sessions``: where every provider call's transcript is written."""
    on_wait: OnWait = field(
        default="wait", metadata=not_recorded("how this invocation waits for a person")
    )
    """``--on-wait``: keep waiting for answers (``wait``), or end the process with exit code
    3 once only answers can move the run on (``exit``; resume it after the answers)."""
    events_stream: TextIO | None = field(
        default=None, metadata=not_recorded("an output of this invocation")
    )
    progress_stream: TextIO | None = field(
        default=None, metadata=not_recorded("an output of this invocation")
    )
    debug_log: Callable[[str], None] | None = field(
        default=None, metadata=not_recorded("an output of this invocation")
    )
    """Receives internal diagnostic lines (``--log-level debug``)."""
    explicit: frozenset[str] = field(
        default=frozenset(), metadata=not_recorded("says which fields the caller set")
    )
    sinks: Sequence[EventSink] = field(
        default=(), metadata=not_recorded("outputs of this invocation")
    )
    """Further consumers of the event stream (a live view, the TUI), after the built-in one.

    With ``progress_stream=None`` and ``events_stream=None`` and sinks given, no plain
    progress lines are written: the sinks own the terminal."""

    def answer_settings(self) -> dict[str, dict[str, str]]:
        """Each provider's settings that may change its answers (a model API's model, base
        URL…), for cache keys: never a credential-bearing header, nor a key's variable or a
        retry count."""
        chosen = {
            name: {
                key: value for key, value in values.items() if setting_changes_answers(name, key)
            }
            for name, values in self.provider_options.items()
        }
        return {name: values for name, values in chosen.items() if values}

    def settings_for_providers(self) -> ProviderSettings:
        """What the registry's providers are created with: ``provider_settings`` and each
        provider's own settings."""
        return replace(self.provider_settings, options=self.provider_options)


def with_meta_executor(config: RunConfig, value: JSON) -> RunConfig:
    """``meta.executor`` (``'local'`` or ``'ray'``) when the caller gave no ``executor``
    (a resume's recorded one counts as given); anything else in it is ignored."""
    if "executor" in config.explicit or config.resume_run_id is not None:
        return config
    for kind in EXECUTORS:
        if value == kind:
            return replace(config, executor=kind)
    return config


def ray_settings(config: RunConfig) -> RaySettings:
    """The ``ray_*`` fields as the Ray executor takes them."""
    return RaySettings(config.ray_address, config.ray_agent_resources, config.ray_workdir)


def recorded_inputs() -> dict[str, Recorded]:
    """``RunConfig`` fields a run records, by field name; every field must say which it is."""
    found: dict[str, Recorded] = {}
    for item in fields(RunConfig):
        recording = item.metadata.get(RECORDING)
        if isinstance(recording, Recorded):
            found[item.name] = recording
        elif not isinstance(recording, NotRecorded):
            raise TypeError(f"RunConfig.{item.name} must say whether runs record it")
    return found


RECORDED: dict[str, Recorded] = recorded_inputs()
