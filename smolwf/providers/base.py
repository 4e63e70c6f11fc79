"""The provider seam: one class, one async method. The engine knows nothing else."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from smolwf.jsontypes import JSON, JSONObject
from smolwf.usage import Usage

ProviderEventSink = Callable[[JSON], None]
"""Receives each raw provider event as it arrives (live ``workflow.agent_event``)."""


@dataclass(frozen=True, slots=True)
class AgentRequest:
    """One provider attempt. ``options`` are the effective options after the option pipeline."""

    prompt: str
    options: JSONObject
    cwd: Path
    step_id: str
    phase: str | None = None
    model: str | None = None
    has_schema: bool = False
    schema: JSON = None


@dataclass(frozen=True, slots=True)
class AgentResult:
    """What a provider returns. ``raw`` is the transcript; it is never stored in a checkpoint."""

    output: JSON
    session_id: str | None = None
    model: str | None = None
    usage: Usage | None = None
    raw: list[JSON] = field(default_factory=list)


class Provider(Protocol):
    """Drives one kind of agent. Raise ``ProviderError`` on failure, with any usage spent."""

    name: str

    async def run(self, request: AgentRequest, events: ProviderEventSink) -> AgentResult: ...
