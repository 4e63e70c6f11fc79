"""What a crash can take back: nothing that was spent or finished, whatever is in flight.

A turn's writes are committed before anything is shown, and a step is one row when it
ends before the engine has to wait; these tests pin down what the database holds while
calls are still running.
"""

from __future__ import annotations

import functools
import io
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import pytest

from smolwf import run_workflow_async
from smolwf.errors import FailureKind, ProviderError
from smolwf.providers.base import AgentRequest, AgentResult, ProviderEventSink
from smolwf.usage import Usage

Write = Callable[..., Path]
Rows = list[tuple[object, ...]]


@dataclass
class FailsThenWaits:
    """The first call fails after spending tokens; the retry waits for ``release``."""

    calls: int = 0
    release: anyio.Event = field(default_factory=anyio.Event)
    name: str = "fails-then-waits"

    async def run(self, request: AgentRequest, events: ProviderEventSink) -> AgentResult:
        self.calls += 1
        if self.calls == 1:
            raise ProviderError("overloaded", kind=FailureKind.TRANSIENT, usage=Usage(5, 7))
        await self.release.wait()
        return AgentResult(output="done", usage=Usage(1, 2))


def _rows(db: Path, sql: str) -> Rows:
    """The rows, or none while the run has not created the database yet."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []


async def _until(check: Callable[[Rows], bool], db: Path, sql: str) -> Rows:
    """Poll the database (the run commits on its own schedule) until ``check`` holds."""
    with anyio.fail_after(10):
        while True:
            rows = _rows(db, sql)
            if check(rows):
                return rows
            await anyio.sleep(0.01)


@pytest.mark.anyio
async def test_a_retrying_call_has_its_running_row_and_failed_attempt_on_disk(
    write_script: Write, db: Path
) -> None:
    script = write_script("export default await agent('x', { retry: { maxAttempts: 2 } })\n")
    provider = FailsThenWaits()
    async with anyio.create_task_group() as group:
        group.start_soon(
            functools.partial(
                run_workflow_async,
                script,
                db_path=db,
                providers={"debug": provider},
                progress_stream=io.StringIO(),
            )
        )
        ledger = await _until(
            lambda rows: len(rows) == 1, db, "SELECT outcome, output_tokens FROM usage_ledger"
        )
        assert ledger == [("failed", 7)]
        assert _rows(db, "SELECT status FROM steps") == [("running",)]
        provider.release.set()
    assert _rows(db, "SELECT status, calls, output_tokens FROM steps") == [("completed", 2, 9)]
    assert _rows(db, "SELECT outcome FROM usage_ledger ORDER BY entry_id") == [("failed",), ("ok",)]
