"""Wall-clock times as smol-wf stores and prints them."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now_ms() -> int:
    """Milliseconds since the epoch: every stored timestamp."""
    return time.time_ns() // 1_000_000


def rfc3339_now() -> str:
    """``2026-01-02T03:04:05.123456Z``: the ``startTime`` of ``workflow.started``."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def iso(ms: int | None) -> str | None:
    """Milliseconds since the epoch as ISO-8601 UTC with milliseconds and a ``Z``."""
    if ms is None:
        return None
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
