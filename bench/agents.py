"""µs per agent() call and peak RSS: N debug agents in one parallel, each case in a fresh process.

python bench/agents.py            # N = 1,000 and 10,000; default and 16 parallel
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

from smolwf.defaults import default_max_parallel_agents

CASES: tuple[tuple[int, int | None], ...] = ((1000, None), (1000, 16), (10000, None), (10000, 16))
"""(N, max_parallel_agents); None is the default."""


@dataclass(frozen=True, slots=True)
class AgentCase:
    n: int
    parallel: int
    wall_s: float
    rss_mb: float

    @property
    def us_per_call(self) -> float:
        return self.wall_s / self.n * 1e6


def run_case(n: int, parallel: int | None) -> AgentCase:
    """Runs inside the child process: one durable run on a fresh temp database."""
    options: dict[str, int] = {"max_agents": n}
    if parallel is not None:
        options["max_parallel_agents"] = parallel
    with tempfile.TemporaryDirectory() as tmp:
        report, wall = timed_run(write_fanout(Path(tmp), n), Path(tmp) / "runs.db", **options)
    if report.result != n:
        raise SystemExit(f"expected {n} results, got {report.result!r}")
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return AgentCase(n, parallel or default_max_parallel_agents(), wall, rss_kib * 1024 / 1e6)


def measure(cases: tuple[tuple[int, int | None], ...] = CASES) -> list[AgentCase]:
    results = []
    for n, parallel in cases:
        argv = [sys.executable, __file__, "--case", str(n), str(parallel or 0)]
        out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
        results.append(AgentCase(**json.loads(out.splitlines()[-1])))
    return results


def report(results: list[AgentCase]) -> None:
    print(f"{'N':>6} {'parallel':>8} {'wall s':>8} {'µs/call':>8} {'peak RSS MB':>11}")
    for r in results:
        print(f"{r.n:>6} {r.parallel:>8} {r.wall_s:>8.3f} {r.us_per_call:>8.1f} {r.rss_mb:>11.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--case", nargs=2, type=int, metavar=("N", "PARALLEL"), help="(internal)")
    args = parser.parse_args()
    if args.case:
        n, parallel = args.case
        case = run_case(n, parallel or None)
        print(
            json.dumps(
                {"n": n, "parallel": case.parallel, "wall_s": case.wall_s, "rss_mb": case.rss_mb}
            )
        )
        return
    report(measure())


if __name__ == "__main__":
    main()
