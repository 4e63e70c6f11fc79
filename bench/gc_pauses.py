"""Time the cyclic garbage collector takes during a 10,000-call run and its replay, with the
youngest generation's threshold raised while turns run (``engine/loop.py``) and without.

python bench/gc_pauses.py

Both ways alternate in this one process, fastest of 3 each; the GC time is summed from
``gc.callbacks`` (every collection's start to its end).
"""

from __future__ import annotations

import gc
import tempfile
import time
from pathlib import Path
from typing import Any

from common import timed_run, write_fanout

from smolwf.engine import loop

N = 10_000
ROUNDS = 3


class Pauses:
    """Seconds spent in collections since the last ``reset``."""

    def __init__(self) -> None:
        self.total = 0.0
        self._started = 0.0
        gc.callbacks.append(self._note)

    def _note(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.total += time.perf_counter() - self._started

    def reset(self) -> None:
        self.total = 0.0


PYTHON_DEFAULT = 700


def _round(threshold: int, pauses: Pauses) -> tuple[float, float, float, float]:
    """(first run s, its GC s, replay s, its GC s) on a fresh database."""
    loop.YOUNG_GC_THRESHOLD = threshold  # read by the loop each time a run starts turning
    with tempfile.TemporaryDirectory() as tmp:
        script, db = write_fanout(Path(tmp), N), Path(tmp) / "runs.db"
        pauses.reset()
        first, first_s = timed_run(script, db, max_agents=N, max_parallel_agents=16)
        first_gc = pauses.total
        pauses.reset()
        _, replay_s = timed_run(script, db, resume_run_id=first.run_id)
        return first_s, first_gc, replay_s, pauses.total


def main() -> None:
    tuned = loop.YOUNG_GC_THRESHOLD
    pauses = Pauses()
    results: dict[str, list[tuple[float, float, float, float]]] = {"default": [], "tuned": []}
    for _ in range(ROUNDS):
        results["default"].append(_round(PYTHON_DEFAULT, pauses))
        results["tuned"].append(_round(tuned, pauses))
    labels = (
        ("threshold 700 (Python's)", "default"),
        (f"threshold {tuned} (smol-wf)", "tuned"),
    )
    for label, key in labels:
        first = min(results[key], key=lambda r: r[0])
        replay = min(results[key], key=lambda r: r[2])
        print(
            f"{label:26s} first run {first[0]:.3f} s (GC {first[1] * 1e3:5.1f} ms)   "
            f"replay {replay[2]:.3f} s (GC {replay[3] * 1e3:5.1f} ms)"
        )


if __name__ == "__main__":
    main()
