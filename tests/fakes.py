"""Providers for tests: they record what they were asked and answer as scripted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import anyio

from smolwf.errors import FailureKind, ProviderError, ProviderUnavailable
from smolwf.jsontypes import JSON
from smolwf.providers.base import AgentRequest, AgentResult, ProviderEventSink
from smolwf.usage import Usage


@dataclass
class RecordingProvider:
    """Answers ``answer(request)`` (default: echo) and records every request.

    Like the debug provider it reports a cost of $0 unless given a ``usage``."""

    name: str = "fake"
    answer: Callable[[AgentRequest], JSON] = lambda request: f"fake: {request.prompt}"
    usage: Usage = field(
        default_factory=lambda: Usage(input_tokens=2, output_tokens=7, cost_usd=0.0)
    )
    requests: list[AgentRequest] = field(default_factory=list)

    async def run(self, request: AgentRequest, events: ProviderEventSink) -> AgentResult:
        self.requests.append(request)
        return AgentResult(output=self.answer(request), usage=self.usage, model=request.model)

    @property
    def prompts(self) -> list[str]:
        return [request.prompt for request in self.requests]


@dataclass
class FlakyProvider(RecordingProvider):
    """Fails the first ``failures`` calls with a transient error that still cost tokens."""

    failures: int = 1

    async def run(self, request: AgentRequest, events: ProviderEventSink) -> AgentResult:
        self.requests.append(request)
        if len(self.requests) <= self.failures:
            raise ProviderError(
                "flaky failure", kind=FailureKind.TRANSIENT, usage=Usage(1, 3, cost_usd=0.0)
            )
        return AgentResult(output=self.answer(request), usage=self.usage)


@dataclass
class ConcurrencyProvider(RecordingProvider):
    """Yields to the scheduler a few times per call and records the peak number in flight."""

    active: int = 0
    peak: int = 0

    async def run(self, request: AgentRequest, events: ProviderEventSink) -> AgentResult:
        self.active += 1
        self.peak = max(self.peak, self.active)
        for _ in range(5):
            await anyio.lowlevel.checkpoint()
        self.active -= 1
        return await super().run(request, events)


@dataclass
class GatedProvider(RecordingProvider):
    """Calls whose prompt starts with ``wait`` block until a call with prompt ``release`` runs."""

    gate: anyio.Event = field(default_factory=anyio.Event)

    async def run(self, request: AgentRequest, events: ProviderEventSink) -> AgentResult:
        if request.prompt == "release":
            self.gate.set()
        elif request.prompt.startswith("wait"):
            with anyio.fail_after(10):
                await self.gate.wait()
        return await super().run(request, events)


@dataclass
class FailingProvider(RecordingProvider):
    """Fails every call with ``kind``; emits one event first, like a CLI that started."""

    kind: FailureKind = FailureKind.QUOTA
    retry_after_s: float | None = None
    session: str = "ses-1"
    seen: list[str] = field(default_factory=list)

    async def run(self, request: AgentRequest, events: ProviderEventSink) -> AgentResult:
        self.requests.append(request)
        events({"type": "init", "session": self.session}, self.session)
        if self.kind is FailureKind.CONFIG:
            raise ProviderUnavailable(f"{self.name} is not installed")
        raise ProviderError(
            f"{self.name} said no",
            kind=self.kind,
            usage=Usage(5, 1),
            session_id=self.session,
            retry_after_s=self.retry_after_s,
        )
