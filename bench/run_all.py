"""Run every bench and print a summary against the targets.

python bench/run_all.py
"""

from __future__ import annotations

import agents
import resume
import sqlite_floor
import startup

RSS_LIMIT_MB = 200.0
REPLAY_LIMIT_S = 1.0
HELLO_LIMIT_S = 0.3


def section(title: str) -> None:
    print(f"\n== {title}")


def main() -> None:
    section("sqlite_floor")
    floor_us = sqlite_floor.measure()
    sqlite_floor.report(floor_us)
    section("agents")
    cases = agents.measure()
    agents.report(cases)
    section("resume")
    replay = resume.measure()
    resume.report(replay)
    section("startup")
    start = startup.measure()
    startup.report(start)

    double = 2 * floor_us
    rss = max(case.rss_mb for case in cases if case.n == 10_000)
    rows = [
        (
            f"agent call, N={c.n} parallel={c.parallel}",
            f"{c.us_per_call:.1f} µs",
            f"≤ {double:.1f} µs",
            c.us_per_call <= double,
        )
        for c in cases
    ]
    rows += [
        ("peak RSS, 10k pending agents", f"{rss:.1f} MB", "< 200 MB", rss < RSS_LIMIT_MB),
        (
            f"replay of {replay.n} calls",
            f"{replay.replay_s:.3f} s",
            "< 1 s",
            replay.replay_s < REPLAY_LIMIT_S,
        ),
        (
            "smol-wf run hello.mjs",
            f"{start.hello_s:.3f} s",
            "≤ 0.3 s",
            start.hello_s <= HELLO_LIMIT_S,
        ),
    ]
    section(f"summary (floor {floor_us:.1f} µs per committed row)")
    for name, measured, target, ok in rows:
        print(f"{name:<36} {measured:>12} {target:>12}  {'ok' if ok else 'MISS'}")


if __name__ == "__main__":
    main()
