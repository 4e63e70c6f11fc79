"""The provider seam: one class, one async method. The engine knows nothing else.

The contract every provider keeps (``debug``, ``claude_code``, ``codex``, ``pi`` and the
``opencode`` package are the examples):

- It is one class with a ``name``, a ``capabilities`` attribute (what it can express:
  ``capabilities``) and one method, ``run(request, events) -> AgentResult``. The
  registry (``registry``) is the only place that names it; the engine checks a call
  against its capabilities before the first attempt, so ``run`` never sees a selector
  part or a permission level it declared it cannot honour.
- ``run`` is one attempt. Retries, fallbacks, schema validation and its correction
  round, checkpoints and budgets are the engine's.
- Raw events go to ``events`` as they arrive, each with the session id known so far;
  the result's ``raw`` is the transcript (never checkpointed).
- A failure raises ``ProviderError`` with its ``FailureKind`` (which decides retries and
  fallbacks), the usage the attempt still cost, its session id and its refusals; a CLI
  that is not installed raises ``ProviderUnavailable`` (not an attempt).
- A provider that runs processes runs them without a shell, in a process group of their
  own, under the request's watchdogs, and stops the whole group however the attempt ends
  (``process`` does all of that for a CLI).
- ``request.permissions`` is put over the CLI's own configuration for this call; it never
  silently runs with more or less, and every tool use the CLI refused is a ``Refusal``.
  A provider with no tools (a model API) declares ``tools=False`` and runs at
  ``read-only`` only.
- A provider that calls a model's HTTP API (``model_api``) streams, so ``idleTimeout``
  means "no event", and may repeat a request the server refused before answering (429,
  5xx: not billed) within one ``run``, after the wait the server asked for.
- A provider that holds something across calls (a connection pool) has
  ``async aclose()`` (``Closeable``); the engine calls it when the run ends, and a later
  run that uses the same object opens it again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import field
from pathlib import Path
from typing import Protocol, runtime_checkable

from smolwf.jsontypes import JSON
from smolwf.permissions import DEFAULT_PERMISSIONS, PermissionLevel, Refusal
from smolwf.records import record
from smolwf.usage import Usage

ProviderEventSink = Callable[[JSON, "str | None"], None]
"""Receives each raw provider event as it arrives, with the session id known so far
(live ``workflow.agent_event`` and ``--save-raw-sessions``)."""


@record
class AgentRequest:
    """One provider attempt: the prompt and what the option pipeline resolved for it.

    ``effort`` is the reasoning level (``effort`` option, else a selector's ``thinking``);
    the limits are seconds, ``None`` when off; a provider that runs a process must stop
    it when one trips (see ``smolwf.providers.process``). ``permissions`` is what the
    agent may change; a provider maps it onto its CLI's flags for this call, overriding
    the user's CLI config, and never silently runs with less or more.
    """

    prompt: str
    cwd: Path
    step_id: str
    phase: str | None = None
    model: str | None = None
    has_schema: bool = False
    schema: JSON = None
    effort: str | None = None
    agent_type: str | None = None
    timeout_s: float | None = None
    idle_timeout_s: float | None = None
    permissions: PermissionLevel = DEFAULT_PERMISSIONS


@record
class AgentResult:
    """What a provider returns. ``raw`` is the transcript; it is never stored in a checkpoint.

    ``refusals`` are the tool uses the CLI refused during the attempt (never silent).
    """

    output: JSON
    session_id: str | None = None
    model: str | None = None
    usage: Usage | None = None
    raw: list[JSON] = field(default_factory=list)
    refusals: tuple[Refusal, ...] = ()


class Provider(Protocol):
    """Drives one kind of agent (see the module docstring for the whole contract)."""

    name: str

    async def run(self, request: AgentRequest, events: ProviderEventSink) -> AgentResult: ...


@runtime_checkable
class Closeable(Protocol):
    """A provider that holds resources across its calls within a run."""

    async def aclose(self) -> None: ...


@record
class ProviderSettings:
    """Run-wide provider configuration: executable overrides by provider name
    (``--provider-bin NAME=PATH``), extra environment for every provider (its processes,
    or the API keys a model API provider reads) and each provider's own settings by name
    (``--provider-setting NAME.KEY=VALUE``, checked against what it declares)."""

    binaries: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def of(self, provider: str) -> Mapping[str, str]:
        """The settings given for ``provider`` (empty when none were)."""
        return self.options.get(provider, {})
