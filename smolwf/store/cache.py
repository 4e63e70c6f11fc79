"""The answer cache: finished agent steps of any run, found by their cache key.

The cache is not a table of its own: a finished step whose answer a later run may reuse
carries a ``cache_key`` (indexed), so every run feeds the cache for free and deleting a
run removes its answers. Clearing the cache forgets keys; it never deletes a run's steps.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3

from smolwf.jsontypes import JSONObject
from smolwf.records import record


@record
class CachedAnswer:
    """A finished step that can answer a call: its result and where it is."""

    run_id: str
    step_id: str
    result: JSONObject
    finished_at: int


@record
class CacheEntry:
    """One line of ``smol-wf cache list``: the newest answer of one cache key."""

    cache_key: str
    run_id: str
    step_id: str
    provider: str | None
    model: str | None
    label: str | None
    prompt_preview: str
    finished_at: int
    answers: int
    """How many finished steps hold this key (the newest is the one reused)."""


FIND_SQL = """
SELECT run_id, step_id, result_json, finished_at FROM steps
WHERE cache_key = ? AND finished_at >= ? AND status = 'completed' AND run_id <> ?
ORDER BY finished_at DESC LIMIT 1
"""


def find_cached(
    conn: sqlite3.Connection, cache_key: str, *, not_run: str, since_ms: int
) -> CachedAnswer | None:
    """The newest finished answer of ``cache_key`` at or after ``since_ms``, from any run
    but ``not_run``."""
    row = conn.execute(FIND_SQL, (cache_key, since_ms, not_run)).fetchone()
    if row is None:
        return None
    run_id, step_id, result_json, finished_at = row
    return CachedAnswer(run_id, step_id, json.loads(result_json), finished_at)


LIST_SQL = """
SELECT cache_key, run_id, step_id, provider, model, label,
  substr(json_extract(input_json, '$.prompt'), 1, 80), max(finished_at), count(*)
FROM steps WHERE cache_key IS NOT NULL AND status = 'completed'
GROUP BY cache_key ORDER BY max(finished_at) DESC, cache_key LIMIT ?
"""


def list_cached(conn: sqlite3.Connection, *, limit: int) -> list[CacheEntry]:
    """The newest ``limit`` cache keys, each with its newest answer."""
    return [
        CacheEntry(key, run_id, step_id, provider, model, label, prompt or "", finished, count)
        for key, run_id, step_id, provider, model, label, prompt, finished, count in conn.execute(
            LIST_SQL, (limit,)
        )
    ]


def count_cached(conn: sqlite3.Connection, *, before_ms: int | None = None) -> int:
    """How many finished steps a later run could reuse (finished before ``before_ms``)."""
    sql = "SELECT count(*) FROM steps WHERE cache_key IS NOT NULL AND status = 'completed'"
    if before_ms is None:
        return int(conn.execute(sql).fetchone()[0])
    return int(conn.execute(sql + " AND finished_at < ?", (before_ms,)).fetchone()[0])


def clear_cached(conn: sqlite3.Connection, *, before_ms: int | None = None) -> int:
    """Forget the cache keys of steps finished before ``before_ms`` (all when None); the
    steps stay in their runs. Returns how many answers can no longer be reused."""
    sql = "UPDATE steps SET cache_key = NULL WHERE cache_key IS NOT NULL AND status = 'completed'"
    params: tuple[int, ...] = ()
    if before_ms is not None:
        sql += " AND finished_at < ?"
        params = (before_ms,)
    conn.execute("BEGIN IMMEDIATE")
    try:
        cleared = conn.execute(sql, params).rowcount
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back already
            conn.execute("ROLLBACK")
        raise
    return cleared
