"""The raw SQLite floor: one INSERT + COMMIT per row, WAL, synchronous=NORMAL.

python bench/sqlite_floor.py

Every other figure is read beside this one, measured in the same run: the machine's disk
and load move both together.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path

ROWS = 5000
REPEATS = 3
PAYLOAD = '{"output":"echo: item 0","usage":{"inputTokens":2,"outputTokens":4}}'


def measure(rows: int = ROWS, repeats: int = REPEATS) -> float:
    """µs per committed row on a fresh database in the temp directory the benches use;
    the fastest of ``repeats`` rounds."""
    return min(_round(rows) for _ in range(repeats))


def _round(rows: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(Path(tmp) / "floor.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, payload TEXT)")
        start = time.perf_counter()
        for i in range(rows):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t (k, payload) VALUES (?, ?)", (f"key{i}", PAYLOAD))
            conn.execute("COMMIT")
        elapsed = time.perf_counter() - start
        conn.close()
    return elapsed / rows * 1e6


def report(us_per_row: float) -> None:
    print(f"INSERT + COMMIT per row ({ROWS} rows, fastest of {REPEATS}): {us_per_row:.1f} µs")


if __name__ == "__main__":
    report(measure())
