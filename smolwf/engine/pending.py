"""What a run is waiting for: the one place that counts work started and not yet applied.

Every kind of work (agent calls, sleeps, sandbox execs, requests to a person) tells
``Pending`` when it starts
and posts one typed completion when it ends; the loop applies completions in its own
turn. A loop with nothing to apply and nothing pending can never make progress.
"""

from __future__ import annotations

from collections import deque
from typing import Protocol

import anyio


class Completion(Protocol):
    """A finished piece of work; ``apply`` records it and queues its settlement (turn-side)."""

    def apply(self) -> None: ...


class Pending:
    """Counts outstanding work and holds completions until the loop takes them."""

    def __init__(self) -> None:
        self.running = 0
        """Work started whose completion has not been taken yet."""
        self.queued = 0
        """Work waiting for a free slot (agent calls over ``--max-parallel-agents``)."""
        self.human = 0
        """Of ``running``: requests only a person can end (approvals and signals)."""
        self._done: deque[Completion] = deque()
        self._arrived: anyio.Event | None = None

    @property
    def nothing(self) -> bool:
        """True when no completion can ever arrive: the run is stuck unless JS moves."""
        return self.running == 0 and self.queued == 0

    @property
    def only_humans(self) -> bool:
        """True when nothing can move the run on but a person's answer (or a deadline)."""
        return self.queued == 0 and 0 < self.running == self.human and not self._done

    def started(self) -> None:
        self.running += 1

    def post(self, completion: Completion) -> None:
        """Called by the task that did the work; wakes the loop if it waits."""
        self._done.append(completion)
        self.nudge()

    def post_first(self, completion: Completion) -> None:
        """``post``, ahead of the completions already waiting: a poll's reply, which
        JS's next requests wait behind (a fan-out's results may fill the queue)."""
        self._done.appendleft(completion)
        self.nudge()

    def nudge(self) -> None:
        """Wake the loop for a commit though nothing finished (spend to make durable)."""
        if self._arrived is not None:
            self._arrived.set()
            self._arrived = None

    def take(self, limit: int) -> list[Completion]:
        """Up to ``limit`` completions, oldest first; they no longer count as running."""
        done = self._done
        count = min(limit, len(done))
        if count == len(done):
            taken = list(done)
            done.clear()
        else:
            taken = [done.popleft() for _ in range(count)]
        self.running -= count
        return taken

    async def wait(self) -> None:
        """Return once a completion is there to take, or a nudge asks for a commit."""
        if not self._done:
            self._arrived = anyio.Event()
            await self._arrived.wait()
