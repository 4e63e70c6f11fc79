"""Where a fan-out's time goes: cProfile of one agents case, grouped by smol-wf module.

python bench/where_time_goes.py [N] [IN_FLIGHT] [--top 30]

Prints the share of time spent in each module of ``smolwf`` (own time, not counting
callees), the JS thread and SQLite, then the top functions by own time. Profiling slows
Python code down several times, so read shares, not absolute figures.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
from collections import defaultdict
from pathlib import Path

from common import timed_run, write_fanout

NATIVE = (
    ("'_queue.SimpleQueue'", "js thread (QuickJS, waited on)"),
    ("'sqlite3.Connection'", "sqlite"),
    ("'_json.", "json (C)"),
)


def bucket(filename: str, name: str) -> str:
    """``smolwf/engine/loop.py`` → ``engine/loop.py``; natives by what they wait on."""
    if filename == "~":
        return next((label for key, label in NATIVE if key in name), "other builtins")
    marker = "/smolwf/"
    if marker in filename:
        return filename.split(marker, 1)[1]
    for library in ("anyio", "asyncio", "json", "sqlite3", "dataclasses"):
        if f"/{library}/" in filename or filename.endswith(f"/{library}.py"):
            return library
    return "other python"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("n", nargs="?", type=int, default=10_000)
    parser.add_argument("in_flight", nargs="?", type=int, default=16)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        script, db = write_fanout(Path(tmp), args.n), Path(tmp) / "runs.db"
        profile = cProfile.Profile()
        profile.enable()
        timed_run(script, db, max_agents=args.n, max_parallel_agents=args.in_flight)
        profile.disable()
    stats = pstats.Stats(profile)
    own: dict[str, float] = defaultdict(float)
    total = 0.0
    for (filename, _, name), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        own[bucket(filename, name)] += tottime
        total += tottime
    print(f"{args.n} calls, {args.in_flight} in flight: {total:.3f} s profiled")
    for where, seconds in sorted(own.items(), key=lambda item: -item[1])[:25]:
        print(f"{seconds / total:6.1%} {seconds / args.n * 1e6:8.1f} µs/call  {where}")
    print()
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
