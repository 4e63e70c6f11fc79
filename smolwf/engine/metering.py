"""What each provider call of an ``agent()`` call took and cost, measured in one place.

The executor gets every provider through ``Metered``: it times the call and gives its
usage a cost (``pricing.Prices``) before anyone records or returns it, whichever
provider ran and however it ended. ``ProviderCall`` is the record the events carry when
a call made more than one provider call (retries, fallbacks, schema corrections).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from smolwf.engine.pricing import Prices
from smolwf.errors import FailureKind, ProviderError
from smolwf.jsontypes import JSONObject
from smolwf.providers.base import AgentRequest, AgentResult, Provider, ProviderEventSink
from smolwf.records import record
from smolwf.usage import Usage


@record
class ProviderCall:
    """One provider call: times are nanoseconds on the attempt's event clock."""

    provider: str
    model: str | None
    outcome: str
    usage: Usage
    started_ns: int
    ended_ns: int
    kind: FailureKind | None = None

    def to_json(self) -> JSONObject:
        data: JSONObject = {
            "provider": self.provider,
            "model": self.model,
            "outcome": self.outcome,
            "startedNanos": self.started_ns,
            "endedNanos": self.ended_ns,
            "usage": self.usage.to_json(),
        }
        if self.kind is not None:
            data["failureKind"] = self.kind.value
        return data


@dataclass(slots=True)
class Metered:
    """A provider as one ``agent()`` call sees it: timed, and every usage priced."""

    name: str
    provider: Provider
    prices: Prices
    started: Callable[[], None]
    """Told when the provider call starts (the step notes the time)."""

    async def run(self, request: AgentRequest, events: ProviderEventSink) -> AgentResult:
        self.started()
        try:
            result = await self.provider.run(request, events)
        except ProviderError as error:
            error.usage = self.prices.priced(self.name, request.model, error.usage)
            raise
        usage = self.prices.priced(self.name, result.model or request.model, result.usage)
        return result if usage is result.usage else replace(result, usage=usage)
