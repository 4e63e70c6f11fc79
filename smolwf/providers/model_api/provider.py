"""What a model API provider is: a class that turns a request into one streamed HTTP call
and folds the stream into a result. ``anthropic_api`` and ``openai_api`` subclass it with
their wire format (``prepare``).

Such a provider has no tools: it answers and changes nothing, so it declares
``tools=False`` and runs at ``read-only`` only (the engine refuses ``edit`` before a call
starts). It reports usage as the API sent it and no cost (the API gives none; the engine
estimates one from the tokens, as for every provider that reports none).
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import ClassVar, Protocol

import anyio
from httpx_sse import ServerSentEvent

from smolwf.errors import FailureKind, ProviderError
from smolwf.jsontypes import JSON
from smolwf.providers.base import AgentRequest, AgentResult, ProviderEventSink, ProviderSettings
from smolwf.providers.capabilities import Capabilities
from smolwf.providers.model_api.client import ApiCall, ApiClient, Sleep
from smolwf.providers.model_api.config import ApiConfig, ApiDefaults, api_config
from smolwf.providers.watchdog import WatchdogLimits
from smolwf.usage import Usage


class StreamFold(Protocol):
    """Reads one call's stream, event by event, into its result."""

    @property
    def session_id(self) -> str | None:
        """The API's id of the message or response, once the stream said it."""

    @property
    def usage(self) -> Usage | None:
        """What the stream reported so far (a failed call still carries it)."""

    def take(self, event: ServerSentEvent) -> JSON:
        """Fold one event in; returns what to show of it (``None``: nothing), or raises
        ``ProviderError`` for an error event."""

    def result(self) -> AgentResult:
        """The answer once the stream ended, or the ``ProviderError`` its end says."""


class ModelApiProvider:
    """A provider that calls a model's HTTP API (see the module docstring)."""

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    defaults: ClassVar[ApiDefaults]

    def __init__(self, settings: ProviderSettings, *, sleep: Sleep = anyio.sleep) -> None:
        self.options = settings.of(self.name)
        self.config = api_config(self.defaults, self.options, {**os.environ, **settings.env})
        self.client = ApiClient(self.config, sleep=sleep)

    def prepare(self, request: AgentRequest, model: str) -> tuple[ApiCall, StreamFold]:
        """The HTTP call that answers ``request`` with ``model``, and its stream's reader."""
        raise NotImplementedError

    async def run(self, request: AgentRequest, events: ProviderEventSink) -> AgentResult:
        model = request.model or self.config.model
        if model is None:
            raise ProviderError(
                f"the {self.config.display_name} provider needs a model: give agent() a model "
                f"option, or --provider-setting {self.name}.model=ID",
                kind=FailureKind.CONFIG,
            )
        call, fold = self.prepare(request, model)
        raw: list[JSON] = []

        def on_event(event: ServerSentEvent) -> None:
            shown = fold.take(event)
            if shown is not None:
                raw.append(shown)
                events(shown, fold.session_id)

        try:
            await self.client.stream(call, WatchdogLimits.of(request), on_event)
        except ProviderError as error:
            error.usage = error.usage or fold.usage
            error.session_id = error.session_id or fold.session_id
            raise
        return replace(fold.result(), raw=raw)

    async def aclose(self) -> None:
        """Close the run's connection pool (a later run opens a new one)."""
        await self.client.aclose()


def json_event(config: ApiConfig, event: ServerSentEvent) -> JSON:
    """An event's data as JSON; data that is not JSON means the server speaks another API."""
    try:
        return event.json()  # type: ignore[no-any-return]
    except ValueError:
        raise ProviderError(
            f"{config.display_name} provider got an event whose data is not JSON from "
            f"{config.base_url}: is the base URL right?",
            kind=FailureKind.CONFIG,
        ) from None
