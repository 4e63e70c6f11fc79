"""The fan-out with each turn committed on the loop's thread or on the writer's, the
latter at Python's GIL switch interval or the writer's, alternating in one process.

python bench/commit_thread.py [N]

Three ways, N debug calls at 16 and at 10,000 in flight, fastest of 5 each, beside the
floor: what the writer's thread (``store/writer.py``) brings, and what the switch
interval it sets while a commit runs (``store.writer.SWITCH_INTERVAL_S``) adds (the last
way is what runs ship with).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import sqlite_floor
from common import timed_run, write_fanout

from smolwf.engine import commits
from smolwf.store import writer

PYTHON_SWITCH_S = 0.005
NEVER = 1 << 62
"""A ``BACKGROUND_ROWS`` no turn reaches: every commit on the loop's thread."""
ROUNDS = 5
WAYS = (
    ("loop's thread", NEVER, PYTHON_SWITCH_S),
    ("writer's thread, 5 ms switch", commits.BACKGROUND_ROWS, PYTHON_SWITCH_S),
    ("writer's thread, its switch", commits.BACKGROUND_ROWS, writer.SWITCH_INTERVAL_S),
)


def _once(n: int, parallel: int, rows: int, switch_s: float) -> float:
    """µs per call of one run on a fresh database."""
    commits.BACKGROUND_ROWS = rows  # read when a turn commits
    writer.SWITCH_INTERVAL_S = switch_s  # read when a commit starts on the writer's thread
    with tempfile.TemporaryDirectory() as tmp:
        script, db = write_fanout(Path(tmp), n), Path(tmp) / "runs.db"
        report, wall = timed_run(script, db, max_agents=n, max_parallel_agents=parallel)
    if report.result != n:
        raise SystemExit(f"expected {n} results, got {report.result!r}")
    return wall / n * 1e6


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    floor = sqlite_floor.measure()
    sqlite_floor.report(floor)
    _once(1000, 16, NEVER, PYTHON_SWITCH_S)  # warm-up: imports, compiled statements
    for parallel in (16, 10_000):
        best = {name: float("inf") for name, _, _ in WAYS}
        for _ in range(ROUNDS):
            for name, rows, switch_s in WAYS:
                best[name] = min(best[name], _once(n, parallel, rows, switch_s))
        print(f"\nN={n}, {parallel} in flight (fastest of {ROUNDS})")
        for name, _, _ in WAYS:
            print(f"  {name:30s} {best[name]:6.1f} µs per call ({best[name] / floor:.2f}× floor)")


if __name__ == "__main__":
    main()
