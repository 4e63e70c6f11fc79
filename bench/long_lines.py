"""One very long stdout line through the CLI runner, beside reading the same bytes raw.

python bench/long_lines.py [MB ...]      # default: 1 10 50

An agent CLI may print a whole file's contents (a tool result, a transcript) as one JSON
line. The child here prints one JSON line of MB megabytes; ``run_cli`` (the path every
CLI provider's output takes: line splitting, JSON decoding, the watchdog) must stay
linear in that size. The floor is ``subprocess.run`` reading the same output into memory
without splitting or decoding anything, measured in the same run.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from smolwf.providers.process import CliCommand, run_cli  # noqa: E402
from smolwf.providers.watchdog import WatchdogLimits  # noqa: E402

ROUNDS = 3
CHILD = (
    "import sys\n"
    "size = int(sys.argv[1]) * 1024 * 1024\n"
    'sys.stdout.buffer.write(b\'{"type":"big","text":"\' + b\'a\' * size + b\'"}\\n\')\n'
)


def raw_read(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=True)
    return time.perf_counter() - started


def through_runner(argv: list[str], cwd: Path, limits: WatchdogLimits) -> float:
    seen: list[int] = []

    async def call() -> float:
        started = time.perf_counter()
        command = CliCommand("bench", argv, cwd, limits=limits)
        await run_cli(command, lambda event: seen.append(len(str(event))))
        return time.perf_counter() - started

    elapsed = anyio.run(call)
    assert len(seen) == 1, "the child's one line must arrive as one event"
    return elapsed


def main() -> None:
    sizes = [int(arg) for arg in sys.argv[1:]] or [1, 10, 50]
    print(f"median of {ROUNDS} rounds; one JSON line of MB megabytes on stdout")
    print(f"{'MB':>4} {'raw read s':>11} {'run_cli s':>10} {'+idle watchdog s':>17}")
    with tempfile.TemporaryDirectory() as temp:
        cwd = Path(temp)
        for size in sizes:
            argv = [sys.executable, "-c", CHILD, str(size)]
            raw, plain, watched = [], [], []
            for _ in range(ROUNDS):
                raw.append(raw_read(argv))
                plain.append(through_runner(argv, cwd, WatchdogLimits()))
                watched.append(through_runner(argv, cwd, WatchdogLimits(idle_timeout_s=600)))
            print(
                f"{size:>4} {statistics.median(raw):11.3f} {statistics.median(plain):10.3f} "
                f"{statistics.median(watched):17.3f}"
            )


if __name__ == "__main__":
    main()
