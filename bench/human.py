"""What waiting for a person costs: how soon an answer moves a run on, and the CPU a
waiting process burns, beside a run that sleeps as long.

python bench/human.py
"""

from __future__ import annotations

import resource
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from common import timed_run
from startup import smolwf_command

from smolwf.engine.answers import answer
from smolwf.engine.human_watch import POLL_S
from smolwf.store.human import Decision, Reply

REPEATS = 5
WAIT_S = 3.0
META = "export const meta = { name: 'b', description: 'b' }\n"
WAIT_MS = f"{WAIT_S * 1000:.0f}"
APPROVAL = META + "import { requestApproval } from 'workflow:human'\n"
ASK = APPROVAL + "export default (await requestApproval('Go?')).approved\n"
TIMED_OUT = APPROVAL + f"export default await requestApproval('Go?', {{ timeout: {WAIT_MS} }})\n"
SLEEP = META + f"import {{ sleep }} from 'workflow:extra'\nexport default await sleep({WAIT_MS})\n"


@dataclass(frozen=True, slots=True)
class HumanResult:
    answer_to_result_s: float
    """Median time from an answer's commit to the end of the run that waited for it."""
    slowest_answer_s: float
    tiny_run_s: float
    """Median wall time of a whole ``export default 1`` run: the baseline."""
    waiting_cpu_s: float
    """CPU time of a process waiting ``WAIT_S`` for an approval that times out."""
    sleeping_cpu_s: float
    """CPU time of a process sleeping ``WAIT_S``: the baseline."""


def _pending_request(db: Path) -> bool:
    if not db.exists():
        return False
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT 1 FROM human_requests").fetchone() is not None
    except sqlite3.OperationalError:  # the tables are being created
        return False


def answer_latency(directory: Path, index: int, delay_s: float) -> float:
    """Run ``ASK`` in a thread; ``delay_s`` after it waits, approve it and time the rest of
    the run (the delays spread the answers over the watch's poll interval)."""
    script, db = directory / f"ask{index}.mjs", directory / f"ask{index}.db"
    script.write_text(ASK)
    ended: list[float] = []
    runner = threading.Thread(
        target=lambda: (timed_run(script, db), ended.append(time.perf_counter()))
    )
    runner.start()
    while not _pending_request(db):
        time.sleep(0.005)
    time.sleep(delay_s)
    run_id = sqlite3.connect(db).execute("SELECT run_id FROM runs").fetchone()[0]
    answer(db, Reply(run_id, None, Decision(True), "bench"))
    answered = time.perf_counter()
    runner.join()
    return ended[0] - answered


def child_cpu(argv: list[str]) -> float:
    """User + system CPU seconds of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(repeats: int = REPEATS) -> HumanResult:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        latencies = [answer_latency(directory, i, POLL_S * i / repeats) for i in range(repeats)]
        tiny = directory / "tiny.mjs"
        tiny.write_text(META + "export default 1\n")
        tiny_runs = [timed_run(tiny, directory / f"tiny{i}.db")[1] for i in range(repeats)]
        waiting, sleeping = directory / "waiting.mjs", directory / "sleeping.mjs"
        waiting.write_text(TIMED_OUT)
        sleeping.write_text(SLEEP)
        run = [*smolwf_command(), "run"]
        waiting_cpu = child_cpu([*run, str(waiting), "--db", str(directory / "w.db")])
        sleeping_cpu = child_cpu([*run, str(sleeping), "--db", str(directory / "s.db")])
    return HumanResult(
        statistics.median(latencies),
        max(latencies),
        statistics.median(tiny_runs),
        waiting_cpu,
        sleeping_cpu,
    )


def report(result: HumanResult) -> None:
    print(
        f"answer committed -> run finished: {result.answer_to_result_s * 1000:.0f} ms median, "
        f"{result.slowest_answer_s * 1000:.0f} ms slowest of {REPEATS} (polls every "
        f"{POLL_S * 1000:.0f} ms; a whole `export default 1` run: "
        f"{result.tiny_run_s * 1000:.0f} ms)"
    )
    print(
        f"CPU of a process waiting {WAIT_S:.0f} s for an answer: {result.waiting_cpu_s:.3f} s "
        f"(sleeping {WAIT_S:.0f} s instead: {result.sleeping_cpu_s:.3f} s; "
        f"{(result.waiting_cpu_s - result.sleeping_cpu_s) / WAIT_S * 1000:.1f} ms per second "
        "of waiting)"
    )


if __name__ == "__main__":
    report(measure())
