"""Shared by the bench scripts: the fan-out workflow and a quiet, timed API run."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

from smolwf.api import run_workflow
from smolwf.engine.run import RunReport

FANOUT = (
    "export const meta={{name:'b',description:'b'}}; "
    "const r = await parallel(Array.from({{length: {n}}}, (_, i) => () => agent('item ' + i))); "
    "export default r.length\n"
)


def write_fanout(directory: Path, n: int) -> Path:
    """A workflow that starts ``n`` debug agents in one ``parallel``."""
    path = directory / f"fanout_{n}.mjs"
    path.write_text(FANOUT.format(n=n), encoding="utf-8")
    return path


def timed_run(script: Path, db: Path, **options: Any) -> tuple[RunReport, float]:
    """Run through the Python API with progress lines discarded; returns (report, wall s)."""
    start = time.perf_counter()
    report = run_workflow(script, db_path=db, progress_stream=io.StringIO(), **options)
    return report, time.perf_counter() - start
