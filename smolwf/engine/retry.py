"""The per-call ``retry`` option: parsed and checked before any provider runs."""

from __future__ import annotations

from smolwf.errors import AgentOptionError
from smolwf.jsontypes import JSON
from smolwf.records import record

MAX_ATTEMPTS_LIMIT = 100
"""The most tries one call may make (the reference allows a u32's worth: a model that never
satisfies a schema then costs millions of provider calls). Each try beyond the first also
counts against ``--max-agents``."""


@record
class RetryPolicy:
    """How many tries one ``agent()`` call may make, and the pause between them.

    ``max_attempts`` mirrors the option's public name, ``retry.maxAttempts``; each try
    walks the provider chain (see ``agent_call``)."""

    max_attempts: int = 1
    backoff_ms: int = 0


def parse_retry(value: JSON) -> RetryPolicy:
    """Validate ``options.retry``; absent or null means one try and no backoff."""
    if value is None:
        return RetryPolicy()
    if not isinstance(value, dict):
        raise AgentOptionError("agent retry option must be an object")
    policy = RetryPolicy()
    max_attempts = value.get("maxAttempts")
    if max_attempts is not None:
        attempts = _whole_number(max_attempts)
        if attempts is None or attempts < 1:
            raise AgentOptionError("agent retry.maxAttempts must be a positive integer")
        if attempts > MAX_ATTEMPTS_LIMIT:
            raise AgentOptionError(
                f"agent retry.maxAttempts must be between 1 and {MAX_ATTEMPTS_LIMIT}"
            )
        policy = RetryPolicy(max_attempts=attempts)
    backoff_value = value.get("backoffMs")
    if backoff_value is not None:
        backoff = _whole_number(backoff_value)
        if backoff is None or backoff < 0:
            raise AgentOptionError("agent retry.backoffMs must be a non-negative integer")
        policy = RetryPolicy(max_attempts=policy.max_attempts, backoff_ms=backoff)
    return policy


def _whole_number(value: JSON) -> int | None:
    """``value`` as an int when it is a JSON integer; bools, strings and fractions are not."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        # JS has one number type: 2 and 2.0 are the same value and may arrive as a float.
        return int(value)
    return None
