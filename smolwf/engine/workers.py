"""A pool of worker tasks that grows only while the work it runs is waiting.

A task per agent call costs more than an instant call itself, and 10,000 calls in flight
would be 10,000 tasks. Workers take jobs from one queue instead: a worker runs jobs back
to back for as long as they finish without waiting, so instant calls need one worker;
when the loop finds jobs left after it yielded, every worker is waiting on a job, and
the pool grows by the jobs left, so slow calls still run concurrently.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from anyio.abc import TaskGroup

Job = tuple[Callable[[Any], Awaitable[None]], Any]


class Workers:
    """Runs submitted jobs in the loop's task group; a job must not raise."""

    def __init__(self) -> None:
        self.count = 0
        self._ready: deque[Job] = deque()
        self._idle = 0
        self._wake: anyio.Event | None = None
        self._group: TaskGroup | None = None

    def bind(self, group: TaskGroup) -> None:
        self._group = group

    def submit(self, run: Callable[[Any], Awaitable[None]], item: Any) -> None:
        """Queue ``run(item)``; an idle worker is woken, or the first one started."""
        self._ready.append((run, item))
        if self._idle:
            if self._wake is not None:
                self._wake.set()
                self._wake = None
        elif self.count == 0:
            self._spawn(1)

    def rebalance(self) -> None:
        """Call after yielding to the workers: jobs still queued beyond the idle workers
        (already woken) mean every other worker waits inside a job."""
        waiting = len(self._ready) - self._idle
        if waiting > 0:
            self._spawn(waiting)

    def _spawn(self, count: int) -> None:
        assert self._group is not None, "Workers.bind() first"
        for _ in range(count):
            self.count += 1
            self._group.start_soon(self._work)

    async def _work(self) -> None:
        ready = self._ready
        while True:
            while ready:
                run, item = ready.popleft()
                await run(item)
            self._idle += 1
            try:
                if self._wake is None:
                    self._wake = anyio.Event()
                await self._wake.wait()
            finally:
                self._idle -= 1
