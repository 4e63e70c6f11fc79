"""How fast ``smol-wf check`` is on every example and cookbook script, and what the check
adds to ``smol-wf run`` start-up.

python bench/check.py    # medians of 10 runs each

Each figure is printed beside a baseline measured in the same run:

- the CPU time (user + system) of the process ``smol-wf check examples/`` against that of
  ``smol-wf --version`` (the command's start-up);
- the CPU time of checking the same files in-process, imports done, against parsing
  them alone with tree-sitter (the floor every rule pays);
- the wall time of ``smol-wf run examples/hello.mjs`` against the same with ``--no-check``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from startup import smolwf_command

from smolwf.check.files import targets
from smolwf.check.parser import ParsedScript
from smolwf.check.runner import Checker

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
HELLO = EXAMPLES / "hello.mjs"
RUNS = 10


@dataclass(frozen=True, slots=True)
class CheckResult:
    files: int
    check_cpu_s: float
    version_cpu_s: float
    in_process_s: float
    parse_only_s: float
    run_s: float
    run_no_check_s: float


def child_cpu(argv: list[str]) -> float:
    """User + system CPU seconds of one child process."""
    before = os.times()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    after = os.times()
    return (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def in_process(files: list[Path]) -> tuple[float, float]:
    """CPU seconds to check ``files``, and to parse them only (sources already read)."""
    sources = [(path, path.read_text(encoding="utf-8")) for path in files]
    Checker().check_source(sources[0][1], sources[0][0])  # imports and grammar loaded
    start = time.process_time()
    checker = Checker()
    for path, source in sources:
        checker.check_source(source, path)
    checked = time.process_time() - start
    start = time.process_time()
    for _, source in sources:
        ParsedScript(source)
    return checked, time.process_time() - start


def measure(runs: int = RUNS) -> CheckResult:
    command = smolwf_command()
    files = [target.path for target in targets([EXAMPLES])]
    check = [child_cpu([*command, "check", str(EXAMPLES)]) for _ in range(runs)]
    version = [child_cpu([*command, "--version"]) for _ in range(runs)]
    pairs = [in_process(files) for _ in range(runs)]
    run, run_no_check = [], []
    with tempfile.TemporaryDirectory() as tmp:
        base = [*command, "run", str(HELLO), "--db"]
        wall([*base, str(Path(tmp) / "warm-up.db")])
        for i in range(runs):
            run.append(wall([*base, str(Path(tmp) / f"c{i}.db")]))
            run_no_check.append(wall([*base, str(Path(tmp) / f"n{i}.db"), "--no-check"]))
    return CheckResult(
        files=len(files),
        check_cpu_s=statistics.median(check),
        version_cpu_s=statistics.median(version),
        in_process_s=statistics.median(p[0] for p in pairs),
        parse_only_s=statistics.median(p[1] for p in pairs),
        run_s=statistics.median(run),
        run_no_check_s=statistics.median(run_no_check),
    )


def report(r: CheckResult) -> None:
    print(f"smol-wf check examples/ ({r.files} files), process CPU: {r.check_cpu_s:.3f} s")
    print(f"smol-wf --version, process CPU (start-up):   {r.version_cpu_s:.3f} s")
    print(f"check beyond start-up:                       {r.check_cpu_s - r.version_cpu_s:.3f} s")
    print(f"in-process check of the {r.files} files, CPU:      {r.in_process_s * 1000:.1f} ms")
    print(f"in-process tree-sitter parse only, CPU:      {r.parse_only_s * 1000:.1f} ms")
    print(f"smol-wf run hello.mjs, wall:                 {r.run_s:.3f} s")
    print(f"smol-wf run hello.mjs --no-check, wall:      {r.run_no_check_s:.3f} s")


if __name__ == "__main__":
    report(measure())
