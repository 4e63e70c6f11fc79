"""Sortable, prefixed ids: ``<prefix>_<lowercase ULID>`` like the reference runtime."""

from __future__ import annotations

import base64
import os
import time

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_FROM_RFC4648 = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _CROCKFORD)
_time_cache: tuple[int, str] = (-1, "")


def _time_part(ms: int) -> str:
    """48 bits of milliseconds as 10 Crockford characters (cached: it changes once a ms)."""
    global _time_cache
    if _time_cache[0] != ms:
        chars = []
        value = ms
        for _ in range(10):
            chars.append(_CROCKFORD[value & 31])
            value >>= 5
        _time_cache = (ms, "".join(reversed(chars)))
    return _time_cache[1]


def new_id(prefix: str) -> str:
    """Milliseconds then 80 random bits, Crockford base32, lowercase: sortable by time."""
    random_part = base64.b32encode(os.urandom(10)).decode("ascii").translate(_FROM_RFC4648)
    return prefix + "_" + _time_part(time.time_ns() // 1_000_000) + random_part
