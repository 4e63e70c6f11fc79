"""Running a main task beside companion tasks (heartbeats, signal watchers).

anyio wraps any error leaving a task group in an ExceptionGroup; callers here want the
one error the user should see, so the main task's error is carried out unwrapped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import anyio
from anyio.abc import TaskGroup

T = TypeVar("T")


async def supervise(
    main: Callable[[TaskGroup], Awaitable[T]], *companions: Callable[[], Coroutine[Any, Any, None]]
) -> T | None:
    """Run ``main(group)`` with ``companions`` beside it; cancel them all when it ends.

    Returns None when the group was cancelled from outside before ``main`` finished.
    """
    failure: Exception | None = None
    outcome: T | None = None
    async with anyio.create_task_group() as group:
        for companion in companions:
            group.start_soon(companion)
        try:
            outcome = await main(group)
        except Exception as error:
            failure = error
        finally:
            group.cancel_scope.cancel()
    if failure is not None:
        raise failure
    return outcome
