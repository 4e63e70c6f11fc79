"""Replay time of a finished 10,000-call run resumed with ``resume_run_id`` (``--resume-run``).

python bench/resume.py
"""

from __future__ import annotations

import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from common import timed_run, write_fanout

N = 10_000
REPEATS = 3


@dataclass(frozen=True, slots=True)
class ResumeResult:
    n: int
    first_s: float
    replay_s: float
    provider_calls_in_replay: int


def measure(n: int = N, repeats: int = REPEATS) -> ResumeResult:
    """A first run, then ``repeats`` resumes of it (each replays every call); the fastest counts."""
    with tempfile.TemporaryDirectory() as tmp:
        script, db = write_fanout(Path(tmp), n), Path(tmp) / "runs.db"
        first, first_s = timed_run(script, db, max_agents=n)
        replays = [timed_run(script, db, resume_run_id=first.run_id) for _ in range(repeats)]
        with sqlite3.connect(db) as conn:
            (ledger_rows,) = conn.execute("SELECT count(*) FROM usage_ledger").fetchone()
    for replay, _ in replays:
        if replay.result != n or replay.run_id != first.run_id:
            raise SystemExit(f"replay returned {replay.result!r} for {replay.run_id}")
    return ResumeResult(n, first_s, min(wall for _, wall in replays), ledger_rows - n)


def report(result: ResumeResult) -> None:
    print(f"first run of {result.n} calls: {result.first_s:.3f} s")
    print(
        f"replay ({result.provider_calls_in_replay} provider calls, fastest of {REPEATS}): "
        f"{result.replay_s:.3f} s"
    )


if __name__ == "__main__":
    report(measure())
