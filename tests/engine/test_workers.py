"""The worker pool grows only while jobs wait: instant calls need one task, slow calls
still run side by side (a task per call in flight made 10,000 calls cost 10,000 tasks)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
import pytest

from smolwf.engine.workers import Workers

Job = Callable[[int], Awaitable[None]]


async def _settle() -> None:
    """Let started workers run, as the loop does between its steps."""
    for _ in range(3):
        await anyio.lowlevel.checkpoint()


async def _rounds(job: Job, batches: list[list[int]], release: anyio.Event | None = None) -> int:
    """Submit each batch, then do what the loop does: yield, add workers for what is left.
    Returns how many workers the pool started."""
    workers = Workers()
    async with anyio.create_task_group() as group:
        workers.bind(group)
        for batch in batches:
            for item in batch:
                workers.submit(job, item)
            for _ in range(len(batch)):
                await _settle()
                workers.rebalance()
        await _settle()
        if release is not None:
            release.set()
            await _settle()
        group.cancel_scope.cancel()
    return workers.count


@pytest.mark.anyio
async def test_jobs_that_never_wait_run_on_one_worker() -> None:
    done: list[int] = []

    async def instant(item: int) -> None:
        done.append(item)

    assert await _rounds(instant, [list(range(1000))]) == 1
    assert done == list(range(1000))


@pytest.mark.anyio
async def test_jobs_that_wait_each_get_a_worker_and_run_together() -> None:
    release = anyio.Event()
    waiting: list[int] = []
    done: list[int] = []

    async def slow(item: int) -> None:
        waiting.append(item)
        await release.wait()
        assert sorted(waiting) == [0, 1, 2, 3, 4]  # all five started before any ended
        done.append(item)

    assert await _rounds(slow, [[0, 1, 2, 3, 4]], release) == 5
    assert sorted(done) == [0, 1, 2, 3, 4]


@pytest.mark.anyio
async def test_an_idle_worker_takes_new_jobs_instead_of_a_new_one_starting() -> None:
    done: list[int] = []

    async def instant(item: int) -> None:
        done.append(item)

    assert await _rounds(instant, [[0], [1], [2]]) == 1
    assert done == [0, 1, 2]
