"""The in-process ``debug`` provider: instant, deterministic answers for tests and dry runs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import anyio

from smolwf.errors import AgentOptionError
from smolwf.jsontext import compact
from smolwf.jsontypes import JSON
from smolwf.providers.base import AgentRequest, AgentResult, ProviderEventSink, ProviderSettings
from smolwf.providers.capabilities import Capabilities, SchemaMode
from smolwf.providers.debug_schema import instance_for_schema
from smolwf.usage import Usage


def estimate_tokens(text: str) -> int:
    """The reference estimate: a quarter of the UTF-8 byte length, rounded up, at least 1."""
    return max(1, -(-len(text.encode("utf-8")) // 4))


DELAY_ENV = "SMOLWF_DEBUG_DELAY_MS"
"""Simulated latency per call, to rehearse slow agents (Ctrl-C, crashes, progress views)."""
CALL_LOG_ENV = "SMOLWF_DEBUG_CALL_LOG"
"""A file that gets one line per call (pid and prompt), to count real invocations."""


class DebugProvider:
    """Echoes the prompt, or generates a value from ``schema``; spends no money.

    It is instant unless ``SMOLWF_DEBUG_DELAY_MS`` is set.
    """

    name = "debug"
    capabilities = Capabilities(display_name="Debug", schema_mode=SchemaMode.GENERATED)

    def __init__(
        self, settings: ProviderSettings | None = None, env: dict[str, str] | None = None
    ) -> None:
        env = dict(os.environ) if env is None else env
        delay = env.get(DELAY_ENV) or "0"
        if not delay.isdigit():
            raise AgentOptionError(
                f"{DELAY_ENV} must be a whole number of milliseconds, got {delay!r}"
            )
        self._delay_s = int(delay) / 1000
        log = env.get(CALL_LOG_ENV)
        self._call_log = Path(log) if log else None

    async def run(self, request: AgentRequest, events: ProviderEventSink) -> AgentResult:
        if self._call_log is not None:
            with self._call_log.open("a", encoding="utf-8") as log:
                log.write(json.dumps({"pid": os.getpid(), "prompt": request.prompt}) + "\n")
        if self._delay_s:
            await anyio.sleep(self._delay_s)
        output: JSON
        if request.has_schema:
            output = instance_for_schema(request.schema)
        else:
            output = "echo: " + request.prompt
        input_tokens = estimate_tokens(request.prompt)
        serialized = compact(output)
        output_tokens = estimate_tokens(serialized)
        usage = Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            total_tokens=input_tokens + output_tokens,
            cost_usd=0.0,
        )
        return AgentResult(output=output, model=request.model, usage=usage)
