"""The ``run`` flags that say where answers may come from: fork, rerun, cache, cassettes.

Kept in one place so ``run`` and ``tui run`` read them the same way; the engine checks
what they mean (``engine/reuse.py``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from smolwf.engine.config import REPLAY_MISSING, ReplayMissing
from smolwf.errors import UsageError

DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def parse_duration(text: str, flag: str) -> float:
    """``45s``, ``30m``, ``12h``, ``7d``, ``2w`` in seconds; anything else is a usage error."""
    match = DURATION.fullmatch(text.strip())
    seconds = float(match.group(1)) * UNIT_SECONDS[match.group(2)] if match else 0.0
    if seconds <= 0:
        raise UsageError(f"{flag} must be a duration like 30m, 12h or 7d, got {text!r}")
    return seconds


def reuse_fields(params: dict[str, Any]) -> dict[str, Any]:
    """The ``RunConfig`` fields of the reuse flags in ``ctx.params``."""
    ttl = params["cache_ttl"]
    replay = params["replay"]
    return {
        "fork_run_id": params["fork_run"],
        "rerun": tuple(params["rerun"]),
        "cache": params["cache"],
        "cache_ttl_s": parse_duration(ttl, "--cache-ttl") if ttl is not None else None,
        "record_path": _path(params["record"]),
        "replay_path": _path(replay),
        "replay_missing": _replay_missing(params["replay_missing"]),
    }


def _path(value: str | Path | None) -> Path | None:
    return Path(value) if value is not None else None


def _replay_missing(text: str) -> ReplayMissing:
    for policy in REPLAY_MISSING:
        if text == policy:
            return policy
    raise UsageError(f"--replay-missing must be fail or live, got {text!r}")
