"""Sorting provider failures into kinds, so retries and fallbacks only act where they help.

The CLIs report the same conditions in different words (an HTTP status in a JSON
field, or only a sentence); these helpers read both.
"""

from __future__ import annotations

import re
import time
from datetime import datetime

from smolwf.errors import FailureKind

_QUOTA = re.compile(
    r"\b429\b|rate.?limit|quota|usage limit|too many requests|credit balance|"
    r"insufficient_quota|limit (?:reached|exceeded)|resets? (?:at|in)",
    re.IGNORECASE,
)
_AUTH = re.compile(
    r"\b40[13]\b|unauthori[sz]ed|authentication|invalid[ _]api[ _]key|api key|"
    r"not logged in|please log ?in|/login|forbidden|permission denied for model",
    re.IGNORECASE,
)
_TRANSIENT = re.compile(
    r"\b5\d\d\b|overloaded|high demand|server error|internal error|bad gateway|"
    r"service unavailable|timed? ?out|econnrefused|econnreset|enotfound|socket hang up|"
    r"network|connection (?:refused|reset|error|closed)|fetch failed|stream disconnected|"
    r"reconnecting",
    re.IGNORECASE,
)
_RETRY_IN = re.compile(
    r"(?:try again|retry|resets?)\s+(?:in|after)\s+(\d+(?:\.\d+)?)\s*"
    r"(ms|milliseconds?|s|sec(?:ond)?s?|m|min(?:ute)?s?|h|hours?)\b",
    re.IGNORECASE,
)
_RESET_AT = re.compile(r"resets?\s+(?:at\s+)?(\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d)?)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def kind_for_status(status: int) -> FailureKind:
    """The kind of an HTTP status the model server answered with."""
    if status == 429:
        return FailureKind.QUOTA
    if status in (401, 403):
        return FailureKind.AUTH
    if status >= 500 or status in (408, 409):
        return FailureKind.TRANSIENT
    return FailureKind.CRASH


def kind_for_text(text: str, default: FailureKind = FailureKind.CRASH) -> FailureKind:
    """The kind an error message describes; quota wins over auth wins over transient."""
    if _QUOTA.search(text):
        return FailureKind.QUOTA
    if _AUTH.search(text):
        return FailureKind.AUTH
    if _TRANSIENT.search(text):
        return FailureKind.TRANSIENT
    return default


def retry_after_seconds(text: str, *, now: float | None = None) -> float | None:
    """Seconds until a quota resets, when the message says (``try again in 20s``,
    ``resets at 2026-11-22T15:00:00Z``); ``None`` when it does not."""
    match = _RETRY_IN.search(text)
    if match is not None:
        unit = match.group(2).lower()
        scale = _UNIT_SECONDS.get(unit[:2] if unit.startswith("ms") else unit[0], 1.0)
        if unit.startswith("mil"):
            scale = 0.001
        return float(match.group(1)) * scale
    match = _RESET_AT.search(text)
    if match is not None:
        try:
            moment = datetime.fromisoformat(match.group(1).replace("Z", "+00:00"))
        except ValueError:
            return None
        current = time.time() if now is None else now
        return max(0.0, moment.timestamp() - current)
    return None
