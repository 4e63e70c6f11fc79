"""What the process guard costs: starting and stopping ``true`` through ``open_group``
(under its guard) beside a bare ``anyio.open_process`` of the same, in the same run.

python bench/guard_spawn.py [ROUNDS]      # default: 20

Every agent CLI, opencode server and sandbox provider starts this way, so this is the
fixed price per provider call of never leaving a process behind.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from smolwf.process_group import open_group, stop_group  # noqa: E402

STDIO = {"stdin": subprocess.DEVNULL, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}


async def bare() -> None:
    process = await anyio.open_process(["true"], start_new_session=True, **STDIO)
    await process.wait()
    await process.aclose()


async def guarded() -> None:
    process = await open_group(["true"], **STDIO)
    await process.wait()
    await stop_group(process)


async def timed(case: Callable[[], Awaitable[None]], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await case()
        times.append(time.perf_counter() - started)
    return times


async def main(rounds: int) -> None:
    floor = await timed(bare, rounds)
    guard = await timed(guarded, rounds)
    print(f"median of {rounds}: start, wait for and close `true`")
    print(f"{'bare open_process ms':>22} {'open_group + guard ms':>22} {'guard costs ms':>15}")
    base, with_guard = statistics.median(floor) * 1000, statistics.median(guard) * 1000
    print(f"{base:22.1f} {with_guard:22.1f} {with_guard - base:15.1f}")


if __name__ == "__main__":
    anyio.run(main, int(sys.argv[1]) if len(sys.argv) > 1 else 20)
