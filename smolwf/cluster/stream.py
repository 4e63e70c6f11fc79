"""Reading one call's Ray streaming-generator task from the driver.

One item at a time, each wait for the next one a future of its own: a wait that times
out (to check the cluster can still run a task not started yet) loses nothing, and a
cancelled task can still be read to its end while its worker stops the CLI.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import anyio

TIMED_OUT = object()
"""What ``TaskStream.next`` returns when nothing came in time."""
ENDED = object()
"""What ``TaskStream.next`` returns after the task's last item."""


class TaskStream:
    """The items of one ``ObjectRefGenerator``: outcomes, or the task's ``RayError``."""

    def __init__(self, ray: Any, generator: Any) -> None:
        self._ray = ray
        self._generator = generator
        self._items = generator.__aiter__()
        self._next: asyncio.Future[Any] | None = None

    async def next(self, wait_s: float | None = None) -> Any:
        """The next item, ``ENDED``, or ``TIMED_OUT`` after ``wait_s``; raises what the
        task raised."""
        if self._next is None:
            self._next = asyncio.ensure_future(self._item())
        done, _ = await asyncio.wait({self._next}, timeout=wait_s)
        if not done:
            return TIMED_OUT
        future, self._next = self._next, None
        return future.result()

    async def _item(self) -> Any:
        try:
            ref = await self._items.__anext__()
        except StopAsyncIteration:
            return ENDED
        return await ref

    async def cancel(self, grace_s: float) -> None:
        """Cancel the task and read it to its end, for at most ``grace_s`` (shielded):
        its worker stops the CLI's process group meanwhile."""
        with anyio.CancelScope(shield=True):
            try:
                self._ray.cancel(self._generator)
            except Exception:  # already finished, or its worker is gone
                return
            with anyio.move_on_after(grace_s):
                with contextlib.suppress(Exception):
                    while await self.next() is not ENDED:
                        pass
            if self._next is not None:
                self._next.cancel()
