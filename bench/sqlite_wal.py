"""What the WAL settings save: the agents fan-out with SQLite's default
``wal_autocheckpoint`` (1,000 pages), with smol-wf's (``store.db.WAL_AUTOCHECKPOINT_PAGES``),
and with smol-wf's plus the checkpoint thread (``store/checkpointer.py``), which is what
runs ship with.

python bench/sqlite_wal.py [N]      # default N = 10,000 calls at 16 in flight

All three run in this one process, alternating, fastest of 3 each, beside the SQLite
floor of the same run: the load of a shared machine moves them all together.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import sqlite_floor
from common import timed_run, write_fanout

from smolwf.store import checkpointer, db

SQLITE_DEFAULT_PAGES = 1000
ROUNDS = 3
NEVER = sys.maxsize
"""A WAL size no run reaches: the checkpoint thread never starts."""


def _one(n: int, pages: int, thread_from: int) -> float:
    """µs per call of one durable fan-out run whose connection checkpoints every ``pages``
    and whose checkpoint thread starts once the WAL holds ``thread_from`` bytes."""
    db.WAL_AUTOCHECKPOINT_PAGES = pages
    checkpointer.START_BYTES = thread_from
    with tempfile.TemporaryDirectory() as tmp:
        script = write_fanout(Path(tmp), n)
        start = time.perf_counter()
        timed_run(script, Path(tmp) / "runs.db", max_agents=n, max_parallel_agents=16)
        return (time.perf_counter() - start) / n * 1e6


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    ours, thread_from = db.WAL_AUTOCHECKPOINT_PAGES, checkpointer.START_BYTES
    variants = (
        (f"{SQLITE_DEFAULT_PAGES} pages (SQLite's default)", SQLITE_DEFAULT_PAGES, NEVER),
        (f"{ours} pages", ours, NEVER),
        (f"{ours} pages + thread (smol-wf)", ours, thread_from),
    )
    _one(100, ours, NEVER)  # imports and first-use costs stay out of the figures
    figures: list[list[float]] = [[] for _ in variants]
    for _ in range(ROUNDS):
        for index, (_, pages, start) in enumerate(variants):
            figures[index].append(_one(n, pages, start))
    floor = sqlite_floor.measure()
    print(f"SQLite floor (INSERT + COMMIT per row)                   {floor:6.1f} µs")
    for (label, _, _), runs in zip(variants, figures, strict=True):
        best = min(runs)
        ratio = best / floor
        print(f"agent call, checkpoint every {label:32s} {best:6.1f} µs ({ratio:.2f}× the floor)")


if __name__ == "__main__":
    main()
