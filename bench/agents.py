"""µs per agent() call and peak RSS: N debug agents in one parallel, each case in a fresh process.

python bench/agents.py            # N = 10,000 at 16 and at 10,000 in flight, plus N = 1,000

The debug provider answers at once, so the figures are the engine's own cost per call: the
JS host, the per-turn SQLite transaction, events and scheduling. "In flight" is
``max_parallel_agents``: at 10,000 every call of the fan-out is started in the first turn.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from common import timed_run, write_fanout

CASES: tuple[tuple[int, int], ...] = ((1000, 16), (10000, 16), (10000, 10000))
"""(N, max_parallel_agents)."""


@dataclass(frozen=True, slots=True)
class AgentCase:
    n: int
    parallel: int
    wall_s: float
    rss_mb: float

    @property
    def us_per_call(self) -> float:
        return self.wall_s / self.n * 1e6


def run_case(n: int, parallel: int) -> AgentCase:
    """Runs inside the child process: one durable run on a fresh temp database."""
    options = {"max_agents": n, "max_parallel_agents": parallel}
    with tempfile.TemporaryDirectory() as tmp:
        report, wall = timed_run(write_fanout(Path(tmp), n), Path(tmp) / "runs.db", **options)
    if report.result != n:
        raise SystemExit(f"expected {n} results, got {report.result!r}")
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return AgentCase(n, parallel, wall, rss_kib * 1024 / 1e6)


def measure(cases: tuple[tuple[int, int], ...] = CASES, repeats: int = 3) -> list[AgentCase]:
    """Each case ``repeats`` times in fresh processes; the fastest counts (noise only adds)."""
    results = []
    for n, parallel in cases:
        runs = []
        for _ in range(repeats):
            argv = [sys.executable, __file__, "--case", str(n), str(parallel)]
            out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
            runs.append(AgentCase(**json.loads(out.splitlines()[-1])))
        fastest = min(runs, key=lambda case: case.wall_s)
        results.append(AgentCase(n, parallel, fastest.wall_s, max(r.rss_mb for r in runs)))
    return results


def report(results: list[AgentCase], floor_us: float | None = None) -> None:
    ratio = f" {'× floor':>8}" if floor_us else ""
    print(f"{'N':>6} {'in flight':>9} {'wall s':>8} {'µs/call':>8}{ratio} {'peak RSS MB':>11}")
    for r in results:
        times = f" {r.us_per_call / floor_us:>8.2f}" if floor_us else ""
        print(
            f"{r.n:>6} {r.parallel:>9} {r.wall_s:>8.3f} {r.us_per_call:>8.1f}{times} "
            f"{r.rss_mb:>11.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--case", nargs=2, type=int, metavar=("N", "PARALLEL"), help="(internal)")
    args = parser.parse_args()
    if args.case:
        n, parallel = args.case
        case = run_case(n, parallel)
        print(
            json.dumps({"n": n, "parallel": parallel, "wall_s": case.wall_s, "rss_mb": case.rss_mb})
        )
        return
    import sqlite_floor

    floor_us = sqlite_floor.measure()
    sqlite_floor.report(floor_us)
    report(measure(), floor_us)


if __name__ == "__main__":
    main()
