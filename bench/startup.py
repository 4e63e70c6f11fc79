"""Whole-process wall time of ``smol-wf run examples/hello.mjs`` vs ``python -c pass``.

python bench/startup.py           # median of 10 runs each, a fresh --db every run

The children run without ``PYTHONDONTWRITEBYTECODE``: a user's install writes bytecode
(pip compiles at install, an editable install on first import), so the warm-up run
writes the ``.pyc`` files and the measured runs read them, as a user's would.

Beside it, two baselines from the same run: ``python -c pass``, and a process importing
only the libraries every ``smol-wf run`` needs (typer, asyncio with anyio's backend,
sqlite3, quickjs, tree-sitter): what is left above that floor is smol-wf's own.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HELLO = Path(__file__).resolve().parents[1] / "examples" / "hello.mjs"
RUNS = 10
LIBRARY_FLOOR = (
    "import typer.main, asyncio, anyio._backends._asyncio, sqlite3, quickjs, "
    "tree_sitter, tree_sitter_javascript, json, hashlib"
)
"""The third-party and standard modules a run imports whatever smol-wf does."""


@dataclass(frozen=True, slots=True)
class StartupResult:
    hello_s: float
    python_s: float
    libraries_s: float


def smolwf_command() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m smolwf``."""
    script = Path(sys.executable).with_name("smol-wf")
    return [str(script)] if script.exists() else [sys.executable, "-m", "smolwf"]


def bytecode_env() -> dict[str, str]:
    """This environment without ``PYTHONDONTWRITEBYTECODE``, so imports read cached bytecode."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        argv, check=True, env=bytecode_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def measure(runs: int = RUNS) -> StartupResult:
    hello, python, libraries = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        command = [*smolwf_command(), "run", str(HELLO), "--db"]
        wall([*command, str(Path(tmp) / "warm-up.db")])
        for i in range(runs):
            hello.append(wall([*command, str(Path(tmp) / f"hello{i}.db")]))
            python.append(wall([sys.executable, "-c", "pass"]))
            libraries.append(wall([sys.executable, "-c", LIBRARY_FLOOR]))
    return StartupResult(*(statistics.median(times) for times in (hello, python, libraries)))


def report(result: StartupResult) -> None:
    print(f"smol-wf run hello.mjs: {result.hello_s:.3f} s (median of {RUNS})")
    print(f"python -c pass:        {result.python_s:.3f} s")
    print(f"difference:            {result.hello_s - result.python_s:.3f} s")
    print(f"library imports alone: {result.libraries_s:.3f} s (typer, asyncio+anyio, sqlite3, …)")
    print(f"smol-wf's own share:   {result.hello_s - result.libraries_s:.3f} s")
    print("(bytecode written and read: PYTHONDONTWRITEBYTECODE removed from the children)")


if __name__ == "__main__":
    report(measure())
