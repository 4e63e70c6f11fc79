"""History at scale: list on a database of 10,000 runs, detail of a 10,000-step run.

Targets: list < 200 ms (whole command), detail of a 10,000-step run printed as JSON.
Run: python bench/history.py
"""

from __future__ import annotations

import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from smolwf import run_workflow
from smolwf.ids import new_id
from smolwf.store.db import connect

RUNS = 10_000


def fill_runs(db: Path, count: int) -> None:
    """Insert ``count`` finished runs, each with one attempt, one step and one ledger row."""
    conn = connect(db, create=True)
    now = int(time.time() * 1000)
    conn.execute("BEGIN")
    for index in range(count):
        run_id, attempt_id, step_id = new_id("run"), new_id("attempt"), new_id("step")
        created = now - (count - index) * 1000
        conn.execute(
            "INSERT INTO runs (run_id, workflow_name, script_path, script_sha256, meta_json,"
            " args_json, params_json, status, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                run_id,
                f"wf-{index % 7}",
                "/x.mjs",
                "",
                '{"name":"wf","description":"d"}',
                "{}",
                "{}",
                "completed" if index % 5 else "failed",
                created,
                created,
            ),
        )
        conn.execute(
            "INSERT INTO attempts (attempt_id, run_id, number, status, started_at)"
            " VALUES (?,?,1,?,?)",
            (attempt_id, run_id, "completed", created),
        )
        conn.execute(
            "INSERT INTO steps (step_id, run_id, scope, checkpoint_key, kind, status, input_json,"
            " first_attempt_id, last_attempt_id, started_at, total_tokens) VALUES"
            " (?,?,'root','agent:x','agent','completed','{}',?,?,?,20)",
            (step_id, run_id, attempt_id, attempt_id, created),
        )
        conn.execute(
            "INSERT INTO usage_ledger (run_id, step_id, attempt_id, provider, outcome,"
            " input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, total_tokens,"
            " created_at)"
            " VALUES (?,?,?,'debug','ok',10,10,0,0,20,?)",
            (run_id, step_id, attempt_id, created),
        )
    conn.execute("COMMIT")
    conn.close()


def time_command(args: list[str], repeats: int = 5) -> float:
    """Median wall seconds of a whole ``smol-wf`` process."""
    binary = Path(sys.executable).with_name("smol-wf")
    command = [str(binary)] if binary.exists() else [sys.executable, "-m", "smolwf"]
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([*command, *args], check=True, capture_output=True)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def big_run(db: Path, tmp: Path, steps: int) -> str:
    script = tmp / "big.mjs"
    script.write_text(
        "export const meta = { name: 'big', description: 'many steps' }\n"
        f"const calls = Array.from({{ length: {steps} }}, (_, i) => () => agent('s' + i))\n"
        "export default (await parallel(calls)).length\n"
    )
    report = run_workflow(
        script, db_path=db, max_parallel_agents=16, max_agents=steps, progress_stream=io.StringIO()
    )
    return report.run_id


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        many = tmp / "many.db"
        fill_runs(many, RUNS)
        listing = time_command(["history", "--db", str(many)])
        listing_json = time_command(
            ["history", "--db", str(many), "-o", "json", "--status", "failed"]
        )
        big = tmp / "big.db"
        run_id = big_run(big, tmp, RUNS)
        detail = time_command(["history", run_id, "--db", str(big), "-o", "json"], repeats=3)
        detail_table = time_command(["history", run_id, "--db", str(big)], repeats=3)
    print(
        json.dumps(
            {
                "history list, 10,000 runs (s, whole command)": round(listing, 3),
                "history list --status failed -o json (s)": round(listing_json, 3),
                "history detail -o json, 10,000-step run (s)": round(detail, 3),
                "history detail table, 10,000-step run (s)": round(detail_table, 3),
                "target list (s)": 0.2,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
