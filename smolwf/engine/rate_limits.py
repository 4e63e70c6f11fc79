"""Per-provider rate limits: how many calls of one provider run at once, and how many
start in any minute, so a 500-way fan-out does not hammer an API into 429s.

They come from ``meta.rateLimits`` (``{anthropic: {concurrency: 8, requestsPerMinute:
500}}``) and the ``--provider-concurrency``/``--provider-rpm`` flags (a flag wins over
meta, per provider and limit). A limited provider is wrapped in a ``ThrottledProvider``
outside its metering (``engine/metering.py``): a call waits for its turn before the
provider's ``run``, so the wait is not part of the call's ``timeout``, its measured time
or its cost. A model API provider's repeat of a refused request happens inside one
call, after the wait the server asked for.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Mapping

import anyio

from smolwf.errors import ScriptError
from smolwf.jsontypes import JSON
from smolwf.providers.base import AgentRequest, AgentResult, Provider, ProviderEventSink
from smolwf.records import record

WINDOW_S = 60.0
META_KEYS = {"concurrency": "--provider-concurrency", "requestsPerMinute": "--provider-rpm"}
"""The keys of one provider's entry in ``meta.rateLimits``, and the flag of each."""

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@record
class RateLimit:
    """One provider's limits; ``None`` is no limit."""

    concurrency: int | None = None
    per_minute: int | None = None


def rate_limits(
    meta: JSON, concurrency: Mapping[str, int], per_minute: Mapping[str, int]
) -> dict[str, RateLimit]:
    """The limits of every provider that has one: the flags' values over ``meta``'s.

    Raises ``ScriptError`` for a ``meta.rateLimits`` that is not an object of objects of
    positive whole numbers: a limit that is silently dropped would let a run hammer an API.
    """
    from_meta = _meta_limits(meta)
    names = {*from_meta, *concurrency, *per_minute}
    limits: dict[str, RateLimit] = {}
    for name in sorted(names):
        meta_limit = from_meta.get(name, RateLimit())
        limits[name] = RateLimit(
            concurrency.get(name, meta_limit.concurrency),
            per_minute.get(name, meta_limit.per_minute),
        )
    return limits


def limit_problem(key: str, value: JSON) -> str | None:
    """What is wrong with ``meta.rateLimits.<provider>.<key>: value``, or ``None``."""
    if key not in META_KEYS:
        return "is not a limit: use concurrency or requestsPerMinute"
    return value_problem(value)


def value_problem(value: object) -> str | None:
    """What is wrong with a limit's value, wherever it was given, or ``None``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return f"must be a whole number of at least 1, got {value!r}"
    return None


def _meta_limits(meta: JSON) -> dict[str, RateLimit]:
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise ScriptError("meta.rateLimits must be an object of {provider: {concurrency, ...}}")
    return {name: _meta_entry(f"meta.rateLimits.{name}", entry) for name, entry in meta.items()}


def _meta_entry(where: str, entry: JSON) -> RateLimit:
    if not isinstance(entry, dict):
        raise ScriptError(f"{where} must be an object of concurrency and requestsPerMinute")
    for key, value in entry.items():
        problem = limit_problem(key, value)
        if problem is not None:
            raise ScriptError(f"{where}.{key} {problem}")
    concurrency, per_minute = entry.get("concurrency"), entry.get("requestsPerMinute")
    return RateLimit(
        concurrency if isinstance(concurrency, int) else None,
        per_minute if isinstance(per_minute, int) else None,
    )


class Throttle:
    """Admits one provider's calls: at most ``concurrency`` at once, and at most
    ``per_minute`` started in any 60-second window (a sliding window of start times).
    ``clock`` and ``sleep`` are anyio's unless a test brings a fake clock."""

    def __init__(
        self,
        limit: RateLimit,
        *,
        clock: Clock = anyio.current_time,
        sleep: Sleep = anyio.sleep,
    ) -> None:
        self.limit = limit
        self._slots = anyio.Semaphore(limit.concurrency) if limit.concurrency else None
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._admitting = anyio.Lock()

    async def run(self, work: Callable[[], Awaitable[AgentResult]]) -> AgentResult:
        """``work()`` once a slot is free and the window has room."""
        if self._slots is None:
            await self._admit()
            return await work()
        async with self._slots:
            await self._admit()
            return await work()

    async def _admit(self) -> None:
        per_minute = self.limit.per_minute
        if per_minute is None:
            return
        async with self._admitting:  # one waiter at a time, in arrival order
            while True:
                now = self._clock()
                while self._starts and self._starts[0] <= now - WINDOW_S:
                    self._starts.popleft()
                if len(self._starts) < per_minute:
                    self._starts.append(now)
                    return
                await self._sleep(self._starts[0] + WINDOW_S - now)


class ThrottledProvider:
    """A provider whose calls wait for its ``Throttle`` (the ``Provider`` seam, wrapped)."""

    def __init__(self, provider: Provider, throttle: Throttle) -> None:
        self.provider = provider
        self.throttle = throttle
        self.name = provider.name

    async def run(self, request: AgentRequest, events: ProviderEventSink) -> AgentResult:
        return await self.throttle.run(lambda: self.provider.run(request, events))
