"""What checkpointing the WAL less often saves: the agents fan-out with SQLite's default
``wal_autocheckpoint`` (1,000 pages) beside smol-wf's (``store.db.WAL_AUTOCHECKPOINT_PAGES``).

python bench/sqlite_wal.py [N]      # default N = 10,000 calls at 16 in flight

Both settings run in this one process, alternating, fastest of 3 each, beside the SQLite
floor of the same run: the load of a shared machine moves all three together.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import sqlite_floor
from common import timed_run, write_fanout

from smolwf.store import db

SQLITE_DEFAULT_PAGES = 1000
ROUNDS = 3


def _one(n: int, pages: int) -> float:
    """µs per call of one durable fan-out run whose connections checkpoint every ``pages``."""
    db.WAL_AUTOCHECKPOINT_PAGES = pages
    with tempfile.TemporaryDirectory() as tmp:
        script = write_fanout(Path(tmp), n)
        start = time.perf_counter()
        timed_run(script, Path(tmp) / "runs.db", max_agents=n, max_parallel_agents=16)
        return (time.perf_counter() - start) / n * 1e6


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    ours = db.WAL_AUTOCHECKPOINT_PAGES
    _one(100, ours)  # imports and first-use costs stay out of the figures
    default, tuned = [], []
    for _ in range(ROUNDS):
        default.append(_one(n, SQLITE_DEFAULT_PAGES))
        tuned.append(_one(n, ours))
    floor = sqlite_floor.measure()
    print(f"SQLite floor (INSERT + COMMIT per row)           {floor:6.1f} µs")
    for label, figures in (
        (f"{SQLITE_DEFAULT_PAGES} pages (SQLite's default)", default),
        (f"{ours} pages (smol-wf)", tuned),
    ):
        best = min(figures)
        print(
            f"agent call, WAL checkpoint every {label:28s} {best:6.1f} µs "
            f"({best / floor:.2f}× the floor)"
        )


if __name__ == "__main__":
    main()
