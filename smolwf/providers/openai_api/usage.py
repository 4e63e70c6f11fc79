"""OpenAI's usage counts as smol-wf reports them.

OpenAI counts cached input inside ``input_tokens`` (Responses) or ``prompt_tokens``
(Chat Completions); smol-wf's ``inputTokens`` is input not served from cache, so the
cached count is taken out and reported as cache reads. The API's total is kept as is.
"""

from __future__ import annotations

from smolwf.jsontypes import JSON
from smolwf.providers.json_fields import as_object, count
from smolwf.records import record
from smolwf.usage import Usage


@record
class UsageKeys:
    """Where one API puts its counts."""

    input: str
    output: str
    details: str


RESPONSES_USAGE = UsageKeys("input_tokens", "output_tokens", "input_tokens_details")
CHAT_USAGE = UsageKeys("prompt_tokens", "completion_tokens", "prompt_tokens_details")


def openai_usage(usage: JSON, keys: UsageKeys) -> Usage | None:
    """``Usage`` of a usage object; ``None`` when the stream carried none."""
    counts = as_object(usage)
    if not counts:
        return None
    cached = count(as_object(counts.get(keys.details)).get("cached_tokens"))
    total = counts.get("total_tokens")
    return Usage(
        input_tokens=max(0, count(counts.get(keys.input)) - cached),
        output_tokens=count(counts.get(keys.output)),
        cache_read_tokens=cached,
        total_tokens=total if isinstance(total, int) and not isinstance(total, bool) else None,
    )
