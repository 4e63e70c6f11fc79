"""The in-process ``debug`` provider: instant, deterministic answers for tests and dry runs."""

from __future__ import annotations

import json

from smolwf.jsontypes import JSON
from smolwf.providers.base import AgentRequest, AgentResult, ProviderEventSink
from smolwf.providers.debug_schema import instance_for_schema
from smolwf.usage import Usage


def estimate_tokens(text: str) -> int:
    """The reference estimate: a quarter of the UTF-8 byte length, rounded up, at least 1."""
    return max(1, -(-len(text.encode("utf-8")) // 4))


class DebugProvider:
    """Echoes the prompt, or generates a value from ``schema``; spends no time and no money."""

    name = "debug"

    async def run(self, request: AgentRequest, events: ProviderEventSink) -> AgentResult:
        output: JSON
        if request.has_schema:
            output = instance_for_schema(request.schema)
        else:
            output = "echo: " + request.prompt
        input_tokens = estimate_tokens(request.prompt)
        serialized = json.dumps(output, ensure_ascii=False, separators=(",", ":"))
        output_tokens = estimate_tokens(serialized)
        usage = Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            total_tokens=input_tokens + output_tokens,
            cost_usd=0.0,
        )
        return AgentResult(output=output, model=request.model, usage=usage)
