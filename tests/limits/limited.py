"""Running the real ``smol-wf`` under an address-space limit, so a test of unbounded
memory fails with a ``MemoryError`` instead of taking the machine down."""

from __future__ import annotations

import os
import resource
import subprocess
from collections.abc import Sequence
from pathlib import Path

from tests.conftest import smol_wf_command

ADDRESS_SPACE = 2 * 1024**3
"""Ample for smol-wf (threads reserve address space they never touch), far below what
an unbounded read or a run of 10 children at full memory reaches."""


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def run_limited(
    args: Sequence[str | Path],
    *,
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """``smol-wf ARGS`` in ``cwd`` under ``RLIMIT_AS``, with a private state directory."""
    full_env = {**os.environ, "XDG_STATE_HOME": str(cwd / "state"), **(env or {})}
    return subprocess.run(
        [*smol_wf_command(), *map(str, args)],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        preexec_fn=_limit_memory,
    )
