"""What an answer that is not paid for costs: a cache lookup, and a call replayed from a
fork source, a cassette or the cache, beside a resume's replay and the SQLite floor.

python bench/reuse.py

A 10,000-call fan-out runs once on the debug provider (recording its cassette); then the
same script runs as a fork of it, from the cassette (a fresh database each round), with
--cache, and resumed. Each figure is the wall time of the run over N, the fastest of
three. The cache lookup alone is ``CacheLookup.find`` on that database, hits and misses.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import sqlite_floor
from common import timed_run, write_fanout

from smolwf.engine.cache import CacheLookup
from smolwf.engine.keys import CacheAsk, cache_key_parts
from smolwf.engine.lookup import Found, Wanted
from smolwf.store.db import connect

N = 10_000
REPEATS = 3


@dataclass(frozen=True, slots=True)
class ReuseResult:
    n: int
    floor_us: float
    first_us: float
    """The first run: live debug calls, recorded to the cassette."""
    resume_us: float
    fork_us: float
    cassette_us: float
    cache_us: float
    lookup_hit_us: float
    lookup_miss_us: float
    provider_calls: int
    """Provider calls made by every run after the first (must be 0)."""


def measure(n: int = N, repeats: int = REPEATS) -> ReuseResult:
    floor_us = sqlite_floor.measure()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        script, db, cassette = write_fanout(root, n), root / "runs.db", root / "c.jsonl"
        first, first_s = timed_run(script, db, max_agents=n, record_path=cassette)

        def fastest(fresh: bool = False, **options: object) -> float:
            """µs per call of the fastest round (``fresh``: each on a new database)."""
            walls = []
            for round_number in range(repeats):
                target = root / f"fresh{round_number}.db" if fresh else db
                report, wall = timed_run(script, target, max_agents=n, **options)
                if report.result != n:
                    raise SystemExit(f"a run returned {report.result!r}")
                walls.append(wall)
            return min(walls) / n * 1e6

        resume_us = fastest(resume_run_id=first.run_id)
        fork_us = fastest(fork_run_id=first.run_id)
        cassette_us = fastest(fresh=True, replay_path=cassette)
        cache_us = fastest(cache=True)
        hit_us, miss_us = _lookups(db, n)
        calls = _ledger_rows(db) + sum(_ledger_rows(root / f"fresh{i}.db") for i in range(repeats))
    return ReuseResult(
        n,
        floor_us,
        first_s / n * 1e6,
        resume_us,
        fork_us,
        cassette_us,
        cache_us,
        hit_us,
        miss_us,
        calls - n,
    )


def _lookups(db: Path, n: int) -> tuple[float, float]:
    """µs per ``CacheLookup.find`` of an answer the database has, and of one it has not."""
    parts = cache_key_parts(CacheAsk(("debug",), None, None, None, "read-only", None, False))
    conn = connect(db, create=False)
    try:
        lookup = CacheLookup(conn, "run_not_in_the_database", None)
        timings = []
        for prefix, expect_found in (("item ", True), ("other ", False)):
            wanted = [
                Wanted("agent", "agent:x", p, None, None, parts.key(p))
                for p in (f"{prefix}{i}" for i in range(n))
            ]
            start = time.perf_counter()
            found = [lookup.find(w) for w in wanted]
            timings.append((time.perf_counter() - start) / n * 1e6)
            if any(isinstance(f, Found) for f in found) != expect_found:
                raise SystemExit(f"cache lookups of {prefix!r} did not find what they should")
    finally:
        conn.close()
    return timings[0], timings[1]


def _ledger_rows(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM usage_ledger").fetchone()[0])


def report(result: ReuseResult) -> None:
    floor = result.floor_us

    def line(name: str, us: float) -> None:
        print(f"{name:<48} {us:>8.1f} µs  ({us / floor:.2f}× the floor)")

    print(f"{'SQLite floor (INSERT + COMMIT per row)':<48} {floor:>8.1f} µs")
    line(f"first run, live debug call (N={result.n}, recorded)", result.first_us)
    line("replayed call: resume (own checkpoint)", result.resume_us)
    line("replayed call: fork source", result.fork_us)
    line("replayed call: cassette", result.cassette_us)
    line("cached call (--cache, every call a hit)", result.cache_us)
    line("cache lookup alone: hit", result.lookup_hit_us)
    line("cache lookup alone: miss", result.lookup_miss_us)
    print(f"provider calls after the first run: {result.provider_calls}")


if __name__ == "__main__":
    report(measure())
