"""The cache: a call takes the answer of an equal call of any earlier run in the database.

Equal means the same provider, model, effort, agent type, permission level, schema,
``key`` option and prompt (``keys.CacheAsk``), and the same occurrence as the checkpoint
key counts them, so three equal calls of a scope get three answers. A call is served
only when the run's ``--cache``, its phase's or its own ``cache`` option says so
(``false`` there wins over ``--cache``), and never when it has side effects: an isolated
call or one that may write is neither served nor a source, since its answer stands for
work it did.
"""

from __future__ import annotations

import sqlite3

from smolwf.clock import now_ms
from smolwf.engine.lookup import Found, Wanted
from smolwf.engine.options import CallPlan
from smolwf.store.cache import find_cached
from smolwf.store.origin import Origin


def cache_wanted(plan: CallPlan, run_cache: bool) -> bool:
    """Whether the call may take an earlier run's answer: its option, else its phase's,
    else the run's ``--cache``; never for a call with side effects."""
    if plan.cache_parts is None:
        return False
    return plan.cache if plan.cache is not None else run_cache


class CacheLookup:
    """Finished answers of other runs of the database, no older than ``ttl_s``."""

    def __init__(self, conn: sqlite3.Connection, run_id: str, ttl_s: float | None) -> None:
        self._conn = conn
        self._run_id = run_id
        self._ttl_ms = None if ttl_s is None else int(ttl_s * 1000)

    def find(self, wanted: Wanted) -> Found | None:
        if wanted.cache_key is None:
            return None
        since = 0 if self._ttl_ms is None else now_ms() - self._ttl_ms
        hit = find_cached(self._conn, wanted.cache_key, not_run=self._run_id, since_ms=since)
        if hit is None:
            return None
        return Found(hit.result, Origin("cache", hit.run_id, hit.step_id))
