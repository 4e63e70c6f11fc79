"""Stopping a provider attempt that runs too long in total or stays silent too long.

Every provider goes through one ``Watchdog`` (a CLI's runner, opencode's server, the
model-API client), so all of them honour ``timeout`` and ``idleTimeout`` alike and name
the limit that tripped in the same words.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

from smolwf.errors import FailureKind, ProviderError
from smolwf.providers.base import AgentRequest
from smolwf.records import record

T = TypeVar("T")


@record
class WatchdogLimits:
    """Watchdog limits of one provider attempt, in seconds; ``None`` is no limit."""

    timeout_s: float | None = None
    idle_timeout_s: float | None = None

    @classmethod
    def of(cls, request: AgentRequest) -> WatchdogLimits:
        """The limits ``request`` carries (its ``timeout`` and ``idleTimeout``)."""
        return cls(request.timeout_s, request.idle_timeout_s)


@record
class Wording:
    """How a tripped limit is told: what went silent, and what was stopped."""

    silent: str = "printed nothing"
    stopped: str = "its processes were stopped"


CLI_WORDING = Wording()
"""A CLI: it printed nothing, and its process group was stopped."""


class Watchdog:
    """Stops work that runs too long in total or stays silent too long.

    ``touch()`` marks activity; ``run(work)`` cancels ``work`` when a limit trips and
    raises a ``ProviderError`` of kind ``timeout`` naming which limit it was.
    """

    def __init__(
        self, display_name: str, limits: WatchdogLimits, wording: Wording = CLI_WORDING
    ) -> None:
        self.display_name = display_name
        self.limits = limits
        self.wording = wording
        self._last = 0.0
        self._tripped: str | None = None

    def touch(self) -> None:
        self._last = anyio.current_time()

    async def run(self, work: Callable[[], Awaitable[T]]) -> T:
        limits = self.limits
        if limits.timeout_s is None and limits.idle_timeout_s is None:
            return await work()
        started = anyio.current_time()
        self._last = started
        results: list[T] = []
        failures: list[Exception] = []
        async with anyio.create_task_group() as group:

            async def monitor() -> None:
                while True:
                    now = anyio.current_time()
                    deadlines: list[tuple[float, str]] = []
                    if limits.timeout_s is not None:
                        deadlines.append((started + limits.timeout_s, "timeout"))
                    if limits.idle_timeout_s is not None:
                        deadlines.append((self._last + limits.idle_timeout_s, "idleTimeout"))
                    deadline, which = min(deadlines)
                    if now >= deadline:
                        self._tripped = which
                        group.cancel_scope.cancel()
                        return
                    await anyio.sleep(deadline - now)

            async def guarded() -> None:
                try:
                    results.append(await work())
                except Exception as error:  # re-raised bare below, not in an ExceptionGroup
                    failures.append(error)
                group.cancel_scope.cancel()

            group.start_soon(monitor)
            group.start_soon(guarded)
        if failures:
            raise failures[0]
        if self._tripped is not None:
            raise ProviderError(self._timeout_message(self._tripped), kind=FailureKind.TIMEOUT)
        return results[0]

    def _timeout_message(self, which: str) -> str:
        name, wording = self.display_name, self.wording
        if which == "timeout":
            limit = _seconds(self.limits.timeout_s)
            return (
                f"{name} provider timed out after {limit} (timeout); {wording.stopped}: "
                "raise the agent() timeout option or --agent-timeout"
            )
        limit = _seconds(self.limits.idle_timeout_s)
        return (
            f"{name} provider {wording.silent} for {limit} (idleTimeout); {wording.stopped}: "
            "raise the agent() idleTimeout option or --agent-idle-timeout"
        )


def _seconds(value: float | None) -> str:
    assert value is not None
    return f"{value:g} s"
