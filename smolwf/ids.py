"""Sortable, prefixed ids: ``<prefix>_<lowercase ULID>`` like the reference runtime."""

from __future__ import annotations

import os
import random
import time

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_PAIRS = [high + low for high in _CROCKFORD for low in _CROCKFORD]
"""Two characters per 10 bits: a step id is made on every agent call."""
_time_cache: tuple[int, str] = (-1, "")
_random = random.Random(os.urandom(32))
"""Seeded from the OS once (and again in a forked child): one ``os.urandom`` system call
per id cost more than the rest of making it. Ids must not collide, not be unguessable."""
os.register_at_fork(after_in_child=lambda: _random.seed(os.urandom(32)))


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
    bits = _random.getrandbits(80)
    pairs = _PAIRS
    random_part = (
        pairs[bits >> 70]
        + pairs[(bits >> 60) & 1023]
        + pairs[(bits >> 50) & 1023]
        + pairs[(bits >> 40) & 1023]
        + pairs[(bits >> 30) & 1023]
        + pairs[(bits >> 20) & 1023]
        + pairs[(bits >> 10) & 1023]
        + pairs[bits & 1023]
    )
    return prefix + "_" + _time_part(time.time_ns() // 1_000_000) + random_part
