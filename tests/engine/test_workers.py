"""The worker pool grows only while jobs wait: instant calls need one task, slow calls
still run side by side (a task per call in flight made 10,000 calls cost 10,000 tasks)."""

from __future__ import annotations

import anyio
import pytest

from smolwf.engine.workers import Workers


async def _settle() -> None:
    """Let started workers run, as the loop does between its steps."""
    for _ in range(3):
        await anyio.lowlevel.checkpoint()


@pytest.mark.anyio
async def test_jobs_that_never_wait_run_on_one_worker() -> None:
    done: list[int] = []

    async def instant(item: int) -> None:
        done.append(item)

    workers = Workers()
    async with anyio.create_task_group() as group:
        workers.bind(group)
        for item in range(1000):
            workers.submit(instant, item)
        await _settle()
        workers.rebalance()
        await _settle()
        group.cancel_scope.cancel()
    assert done == list(range(1000))
    assert workers.count == 1


@pytest.mark.anyio
async def test_jobs_that_wait_each_get_a_worker_and_run_together() -> None:
    release = anyio.Event()
    waiting: list[int] = []
    done: list[int] = []

    async def slow(item: int) -> None:
        waiting.append(item)
        await release.wait()
        done.append(item)

    workers = Workers()
    async with anyio.create_task_group() as group:
        workers.bind(group)
        for item in range(5):
            workers.submit(slow, item)
        for _ in range(5):  # the loop's rounds: yield, then add workers for what is left
            await _settle()
            workers.rebalance()
        await _settle()
        assert sorted(waiting) == [0, 1, 2, 3, 4]
        release.set()
        await _settle()
        group.cancel_scope.cancel()
    assert sorted(done) == [0, 1, 2, 3, 4]
    assert workers.count == 5


@pytest.mark.anyio
async def test_an_idle_worker_takes_new_jobs_instead_of_a_new_one_starting() -> None:
    done: list[int] = []

    async def instant(item: int) -> None:
        done.append(item)

    workers = Workers()
    async with anyio.create_task_group() as group:
        workers.bind(group)
        for round_number in range(3):
            workers.submit(instant, round_number)
            await _settle()
            workers.rebalance()
        await _settle()
        group.cancel_scope.cancel()
    assert done == [0, 1, 2]
    assert workers.count == 1
