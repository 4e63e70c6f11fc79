"""OpenAI's usage counts as smol-wf reports them.

OpenAI counts cached input inside ``input_tokens`` (Responses) or ``prompt_tokens``
(Chat Completions); smol-wf's ``inputTokens`` is input not served from cache, so the
cached count is taken out and reported as cache reads. The API's total is kept as is.
"""

from __future__ import annotations

from smolwf.jsontypes import JSON
from smolwf.providers.json_fields import as_object, count
from smolwf.usage import Usage


def openai_usage(usage: JSON, *, input_key: str, output_key: str, details_key: str) -> Usage | None:
    """``Usage`` of a usage object; ``None`` when the stream carried none."""
    counts = as_object(usage)
    if not counts:
        return None
    cached = count(as_object(counts.get(details_key)).get("cached_tokens"))
    total = counts.get("total_tokens")
    return Usage(
        input_tokens=max(0, count(counts.get(input_key)) - cached),
        output_tokens=count(counts.get(output_key)),
        cache_read_tokens=cached,
        total_tokens=total if isinstance(total, int) and not isinstance(total, bool) else None,
    )
