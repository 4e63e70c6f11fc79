"""Everything one run is configured with, as the CLI and the Python API both build it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from smolwf import defaults
from smolwf.events.sinks import EventSink
from smolwf.jsontypes import JSONObject
from smolwf.permissions import (
    DEFAULT_PERMISSIONS,
    DEFAULT_REFUSAL_POLICY,
    PermissionLevel,
    RefusalPolicy,
)
from smolwf.providers.base import Provider, ProviderSettings


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Inputs of one run. ``providers`` replaces registry lookups (tests, embedding).

    On resume, stored inputs replace every field not named in ``explicit``; the CLI
    names the flags the user actually gave, the Python API the keywords passed.
    """

    script_path: Path | None
    args: JSONObject = field(default_factory=dict)
    db_path: Path | None = None
    resume_run_id: str | None = None
    provider: str = defaults.DEFAULT_PROVIDER
    model_map: Mapping[str, str] = field(default_factory=dict)
    budget_allowance: int | None = None
    max_parallel_agents: int = field(default_factory=defaults.default_max_parallel_agents)
    max_agents: int = defaults.MAX_AGENTS_PER_RUN
    max_workflow_depth: int = defaults.MAX_WORKFLOW_DEPTH
    max_output_tokens: int | None = None
    max_total_tokens: int | None = None
    max_cost_usd: float | None = None
    js_memory_mib: int = defaults.JS_MEMORY_MIB
    js_slice_timeout_s: float = defaults.JS_SLICE_TIMEOUT_S
    js_stack_kib: int = defaults.JS_STACK_KIB
    cwd: Path | None = None
    display_path: str | None = None
    providers: Mapping[str, Provider] | None = None
    provider_settings: ProviderSettings = field(default_factory=ProviderSettings)
    """Executable overrides (``--provider-bin``) for the registry's providers."""
    agent_timeout_s: float | None = defaults.AGENT_TIMEOUT_S
    agent_idle_timeout_s: float | None = defaults.AGENT_IDLE_TIMEOUT_S
    agent_permissions: PermissionLevel = DEFAULT_PERMISSIONS
    """What agents may change unless a call or its phase says otherwise
    (``--agent-permissions``)."""
    on_refusal: RefusalPolicy = DEFAULT_REFUSAL_POLICY
    """Whether a refused tool use only warns or fails the call (``--on-refusal``)."""
    raw_sessions_dir: Path | None = None
    """``--save-raw-sessions``: where every provider attempt's transcript is written."""
    events_stream: TextIO | None = None
    progress_stream: TextIO | None = None
    debug_log: Callable[[str], None] | None = None
    """Receives internal diagnostic lines (``--log-level debug``)."""
    explicit: frozenset[str] = frozenset()
    sinks: Sequence[EventSink] = ()
    """Further consumers of the event stream (a live view, the TUI), after the built-in one.

    With ``progress_stream=None`` and ``events_stream=None`` and sinks given, no plain
    progress lines are written: the sinks own the terminal."""
