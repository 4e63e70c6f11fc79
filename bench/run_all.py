"""Run every bench and print a summary against the targets, beside the floor of this run.

python bench/run_all.py
"""

from __future__ import annotations

import agents
import human
import resume
import reuse
import sqlite_floor
import startup

FLOOR_FACTOR = 2.5
"""A durable agent call may cost this many commit-per-row floors, at any number in flight."""
RSS_LIMIT_MB = 100.0
REPLAY_LIMIT_S = 0.3
HELLO_LIMIT_S = 0.2
ANSWER_LIMIT_S = 1.0
"""A waiting run goes on within about a second of the answer, whoever wrote it."""


def section(title: str) -> None:
    print(f"\n== {title}")


def _row(name: str, seconds: float, limit_s: float) -> tuple[str, str, str, bool]:
    return name, f"{seconds:.3f} s", f"≤ {limit_s} s", seconds <= limit_s


def main() -> None:
    section("sqlite_floor")
    floor_us = sqlite_floor.measure()
    sqlite_floor.report(floor_us)
    section("agents")
    cases = agents.measure()
    agents.report(cases, floor_us)
    section("resume")
    replay = resume.measure()
    resume.report(replay)
    section("reuse")
    reused = reuse.measure()
    reuse.report(reused)
    section("startup")
    start = startup.measure()
    startup.report(start)
    section("human")
    waiting = human.measure()
    human.report(waiting)

    limit = FLOOR_FACTOR * floor_us
    big = [case for case in cases if case.n == 10_000]
    rows = [
        (
            f"agent call, N={c.n} in flight={c.parallel}",
            f"{c.us_per_call:.1f} µs ({c.us_per_call / floor_us:.2f}×)",
            f"≤ {limit:.1f} µs",
            c.us_per_call <= limit,
        )
        for c in big
    ]
    rows += [
        (
            f"peak RSS, 10k pending, in flight={c.parallel}",
            f"{c.rss_mb:.1f} MB",
            f"≤ {RSS_LIMIT_MB:.0f} MB",
            c.rss_mb <= RSS_LIMIT_MB,
        )
        for c in big
    ]
    rows.append(_row(f"replay of {replay.n} calls", replay.replay_s, REPLAY_LIMIT_S))
    rows.append(_row("smol-wf run hello.mjs", start.hello_s, HELLO_LIMIT_S))
    rows += [
        (name, f"{us:.1f} µs ({us / reused.floor_us:.2f}×)", "—", True)
        for name, us in (
            ("replayed call: fork source", reused.fork_us),
            ("replayed call: cassette", reused.cassette_us),
            ("cached call (--cache)", reused.cache_us),
            ("cache lookup (hit)", reused.lookup_hit_us),
        )
    ]
    rows.append(_row("answer -> run finished (slowest)", waiting.slowest_answer_s, ANSWER_LIMIT_S))
    section(f"summary (floor {floor_us:.1f} µs per committed row, measured above)")
    for name, measured, target, ok in rows:
        print(f"{name:<40} {measured:>20} {target:>12}  {'ok' if ok else 'MISS'}")


if __name__ == "__main__":
    main()
