"""Real event streams for tests of event consumers: run a workflow, read its JSONL back."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from smolwf import RunReport, SmolWfError
from smolwf.errors import FailureKind, ProviderError
from smolwf.events.types import Event, EventType
from smolwf.providers.base import AgentRequest, AgentResult, ProviderEventSink
from smolwf.usage import Usage
from tests.fakes import RecordingProvider


def parse_events(text: str) -> list[Event]:
    """The ``--events`` JSONL as the Event objects a sink receives."""
    events = []
    for seq, line in enumerate(text.splitlines()):
        raw = json.loads(line)
        events.append(
            Event(
                EventType(raw["type"]),
                raw["data"],
                raw.get("metadata", {}),
                raw.get("elapsedNanos"),
                seq,
            )
        )
    return events


def record_events(run: Callable[..., RunReport], script: Path, **options: Any) -> list[Event]:
    """Run ``script`` and return its events, whether the run succeeds or fails."""
    stream = io.StringIO()
    with contextlib.suppress(SmolWfError):
        run(script, events_stream=stream, **options)
    return parse_events(stream.getvalue())


class FailingProvider(RecordingProvider):
    """Fails (permanently, after spending tokens) every prompt containing ``boom``."""

    async def run(self, request: AgentRequest, events: ProviderEventSink) -> AgentResult:
        if "boom" in request.prompt:
            self.requests.append(request)
            raise ProviderError(
                f"provider exploded on {request.prompt!r}",
                kind=FailureKind.CONFIG,
                usage=Usage(1, 1),
            )
        return await super().run(request, events)


def costly_provider() -> RecordingProvider:
    """Reports cache tokens and a cost, as paid providers do."""
    usage = Usage(
        input_tokens=10, output_tokens=20, cache_read_tokens=5, cache_write_tokens=3, cost_usd=0.25
    )
    return RecordingProvider(usage=usage)
