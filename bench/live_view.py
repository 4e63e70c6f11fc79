"""The live progress view under heavy logging: ``--progress live`` beside ``plain``.

python bench/live_view.py [LINES] [ROUNDS]     # default 100,000 log() lines, 3 rounds

Both modes run the real ``smol-wf run`` with stderr on a pseudo-terminal (120x40) whose
output is read and thrown away as fast as it comes, so the live view draws as it would
on a screen. The plain lines are the baseline, measured in the same run: the live view
should cost about what printing the same lines costs, whatever the number of lines.
Also printed: the bytes each mode wrote to the terminal and the run time the live
view's summary claimed (it should match the wall time).
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from dataclasses import dataclass
from pathlib import Path

LINES = 100_000
ROUNDS = 3
COLUMNS, ROWS = 120, 40
SCRIPT = (
    "export const meta = {{ name: 'logs', description: 'many log lines', "
    "phases: [{{ title: 'Work' }}] }}\n"
    "phase('Work')\n"
    "const a = agent('before the logs')\n"
    "for (let i = 0; i < {n}; i++) log('line ' + i + ' of the heavy logging benchmark')\n"
    "export default await a\n"
)
SUMMARY = re.compile(r"(?:✓|✗|■) \w+ in (\S+)")
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass(frozen=True, slots=True)
class Measured:
    mode: str
    wall_s: float
    written: int
    claimed: str | None


def smolwf_command() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m smolwf``."""
    script = Path(sys.executable).with_name("smol-wf")
    return [str(script)] if script.exists() else [sys.executable, "-m", "smolwf"]


def run_on_terminal(argv: list[str]) -> tuple[float, bytes]:
    """Wall time of ``argv`` with stderr on a pty, and everything it wrote there."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(COLUMNS), "LINES": str(ROWS)}
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=slave, env=env, check=True)
    wall = time.perf_counter() - started
    os.close(slave)
    reader.join(timeout=10)
    os.close(master)
    return wall, b"".join(chunks)


def measure_mode(script: Path, directory: Path, mode: str, rounds: int) -> Measured:
    best: Measured | None = None
    for number in range(rounds):
        db = directory / f"{mode}-{number}.db"
        argv = [*smolwf_command(), "run", str(script), "--db", str(db), "--progress", mode]
        wall, output = run_on_terminal(argv)
        text = ESCAPES.sub("", output.decode("utf-8", "replace"))
        claims = SUMMARY.findall(text)
        result = Measured(mode, wall, len(output), claims[-1] if claims else None)
        if best is None or result.wall_s < best.wall_s:
            best = result
    assert best is not None
    return best


def measure(lines: int = LINES, rounds: int = ROUNDS) -> tuple[Measured, Measured]:
    with tempfile.TemporaryDirectory() as temp:
        directory = Path(temp)
        script = directory / "logs.mjs"
        script.write_text(SCRIPT.format(n=lines), encoding="utf-8")
        plain = measure_mode(script, directory, "plain", rounds)
        live = measure_mode(script, directory, "live", rounds)
    return plain, live


def report(lines: int, plain: Measured, live: Measured) -> None:
    print(f"{lines:,} log() lines, stderr on a {COLUMNS}x{ROWS} pseudo-terminal, fastest run")
    for result in (plain, live):
        claim = f"  summary says {result.claimed}" if result.claimed else ""
        print(
            f"  --progress {result.mode:<5} {result.wall_s:7.2f} s  "
            f"{result.written / 1e6:7.1f} MB written{claim}"
        )
    print(f"  live / plain: {live.wall_s / plain.wall_s:.2f}×")


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else LINES
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else ROUNDS
    plain_result, live_result = measure(count, repeat)
    report(count, plain_result, live_result)
