"""Fifty kill -9 trials: each run is killed at random points and resumed until it finishes.

Every trial must end with the uninterrupted result, no finished agent invoked twice and
no ledger entry duplicated (the same checks as tests/e2e/test_crash_resume.py, which runs
a handful of trials in CI). Run from the repository root: python bench/crash.py [TRIALS]
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import smol_wf_command
from tests.e2e.test_crash_resume import (
    WORKFLOW,
    assert_no_finished_call_ran_twice,
    run_until_done,
)


def main(trials: int) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        script = tmp / "crashy.mjs"
        script.write_text(WORKFLOW)
        baseline_run = subprocess.run(
            [*smol_wf_command(), "run", str(script), "--db", str(tmp / "baseline.db")],
            capture_output=True,
            text=True,
            check=True,
        )
        baseline = json.loads(baseline_run.stdout)["results"]
        kills_total = 0
        started = time.perf_counter()
        for trial in range(trials):
            rng = random.Random(1000 + trial)
            trial_dir = tmp / f"trial-{trial}"
            trial_dir.mkdir()
            kills = rng.randint(1, 4)
            kills_total += kills
            db, log = trial_dir / "crash.db", trial_dir / "calls.jsonl"
            assert run_until_done(script, db, log, rng, kills=kills) == baseline, f"trial {trial}"
            assert_no_finished_call_ran_twice(db, log)
        elapsed = time.perf_counter() - started
    print(
        json.dumps(
            {
                "trials": trials,
                "kills": kills_total,
                "trials with a wrong result or a finished call re-run": 0,
                "seconds": round(elapsed, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
