"""One connection pool per provider and run, and one streamed request under the
watchdogs, repeated while the server refuses it for a reason that passes.

A request is always streamed (SSE): ``idleTimeout`` then means "no event for that long"
and every event reaches the run live. A refusal before the first event (429, 5xx, a
connection that failed) is repeated up to ``max_retries`` times, after the server's
``retry-after`` when it gives one, else after an exponential backoff; such requests are
not billed, so they are one provider call. A stream that breaks after its first event is
not repeated here: its events were already shown (``retry`` can try the call again).
"""

from __future__ import annotations

import importlib.util
import random
from collections.abc import Awaitable, Callable, Mapping

import anyio
import httpx
from httpx_sse import ServerSentEvent, SSEError, aconnect_sse

from smolwf.errors import FailureKind, ProviderError
from smolwf.jsontypes import JSONObject
from smolwf.providers.model_api.config import ApiConfig
from smolwf.providers.model_api.failures import Refusal, status_refusal, transport_refusal
from smolwf.providers.watchdog import Watchdog, WatchdogLimits, Wording
from smolwf.records import record

CONNECT_TIMEOUT_S = 30.0
WRITE_TIMEOUT_S = 60.0
"""Sending a request body; reading is the watchdogs' (``timeout``, ``idleTimeout``)."""
MAX_RETRY_AFTER_S = 60.0
"""The longest ``retry-after`` waited for here; a longer one ends the call with the wait
on its error, for ``retry`` (up to 15 minutes) or the next provider of a chain."""
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 8.0
API_WORDING = Wording(silent="sent nothing", stopped="the request was cancelled")

Sleep = Callable[[float], Awaitable[None]]
EventHandler = Callable[[ServerSentEvent], None]
"""Called with each event of the stream as it arrives; may raise ``ProviderError``."""


@record
class ApiCall:
    """One request: where it goes, its headers and its JSON body."""

    url: str
    headers: Mapping[str, str]
    body: JSONObject
    model: str


def http2_available() -> bool:
    """HTTP/2 (many streams on one TLS connection) when ``h2`` is installed
    (``pip install 'smolwf[http2]'``); plain-HTTP local servers always get HTTP/1.1."""
    return importlib.util.find_spec("h2") is not None


def backoff_s(attempt: int) -> float:
    """The pause before repeat ``attempt`` (0-based) when the server named none: doubling
    from half a second up to 8 s, less up to a quarter at random so that a fan-out's
    refused requests do not come back together."""
    return min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2.0**attempt) * random.uniform(0.75, 1.0)


class ApiClient:
    """Sends a provider's requests through one pool, opened on first use and closed by
    ``aclose()`` (the engine calls it when the run ends)."""

    def __init__(self, config: ApiConfig, *, sleep: Sleep = anyio.sleep) -> None:
        self.config = config
        self._sleep = sleep
        self._client: httpx.AsyncClient | None = None

    def _pool(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                http2=http2_available(),
                timeout=httpx.Timeout(
                    connect=CONNECT_TIMEOUT_S, read=None, write=WRITE_TIMEOUT_S, pool=None
                ),
            )
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def stream(self, call: ApiCall, limits: WatchdogLimits, on_event: EventHandler) -> None:
        """Send ``call`` and hand every event to ``on_event`` until the stream ends."""
        requests = 0
        while True:
            requests += 1
            refusal = await self._once(call, limits, on_event)
            if refusal is None:
                return
            pause = self._pause(refusal, requests)
            if pause is None:
                raise _after(refusal.error, requests)
            await self._sleep(pause)

    def _pause(self, refusal: Refusal, requests: int) -> float | None:
        if not refusal.retryable or requests > self.config.max_retries:
            return None
        wait = refusal.retry_after_s
        if wait is None:
            return backoff_s(requests - 1)
        return wait if wait <= MAX_RETRY_AFTER_S else None

    async def _once(
        self, call: ApiCall, limits: WatchdogLimits, on_event: EventHandler
    ) -> Refusal | None:
        """One request under a fresh watchdog: ``None`` when its stream ended, else why
        the server refused it before any event."""
        watchdog = Watchdog(self.config.display_name, limits, API_WORDING)
        seen = False

        async def exchange() -> Refusal | None:
            nonlocal seen
            pool = self._pool()
            try:
                async with aconnect_sse(
                    pool, "POST", call.url, json=call.body, headers=dict(call.headers)
                ) as source:
                    response = source.response
                    if response.status_code >= 400:
                        await response.aread()
                        return status_refusal(self.config, response, call.model)
                    async for event in source.aiter_sse():
                        seen = True
                        watchdog.touch()
                        on_event(event)
            except httpx.TransportError as error:
                refusal = transport_refusal(self.config, error)
                if seen:
                    raise refusal.error from error
                return refusal
            except SSEError as error:
                raise self._not_a_stream(error) from None
            return None

        return await watchdog.run(exchange)

    def _not_a_stream(self, error: SSEError) -> ProviderError:
        return ProviderError(
            f"{self.config.display_name} provider got no event stream from "
            f"{self.config.base_url} ({error}): is the base URL right?",
            kind=FailureKind.CONFIG,
        )


def _after(error: ProviderError, requests: int) -> ProviderError:
    """The last refusal, saying how many requests it took when there were several."""
    if requests == 1:
        return error
    return ProviderError(
        f"{error.message} (after {requests} requests)",
        kind=error.kind,
        retry_after_s=error.retry_after_s,
    )
