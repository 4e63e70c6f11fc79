"""A cost for every provider call: the provider's own figure, else its tokens at list price.

codex and the model APIs (``anthropic``, ``openai``) report no cost at all, only tokens
and a model, so without this their runs show $0. The estimate comes
from genai-prices (a maintained price database, cached-input prices included), loaded
only when a call lacks a cost. A reported cost is never replaced. A model the database
does not know keeps a cost of None, and the run is told once per model: never a silent 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from smolwf.usage import Usage

PRICE_PROVIDERS = {
    "codex": "openai",
    "claude-code": "anthropic",
    "anthropic": "anthropic",
    "openai": "openai",
}
"""The price database's provider of the models a provider runs, when its model names carry
none (pi and opencode name models ``provider/model``). A model the vendor does not know
(a compatible server's behind ``openai.base_url``) is looked up under any provider."""

PriceRef = tuple[str | None, str]
"""How the database knows a model: its provider id (None: any) and model reference."""


class Prices:
    """Prices the provider calls of one run; ``warn`` hears once about each unknown model."""

    def __init__(self, warn: Callable[[str], None]) -> None:
        self._warn = warn
        self._models: dict[tuple[str, str | None], PriceRef | None] = {}
        """(provider, model) → the database's reference, None when it has no price."""

    def priced(self, provider: str, model: str | None, usage: Usage | None) -> Usage | None:
        """``usage`` with a cost: the reported one, else an estimate, else None (warned)."""
        if usage is None or usage.cost_usd is not None:
            return usage
        cost = self._estimate(provider, model, usage)
        if cost is None:
            return usage
        return replace(usage, cost_usd=cost, estimated=True)

    def _estimate(self, provider: str, model: str | None, usage: Usage) -> float | None:
        key = (provider, model)
        if key in self._models:
            found = self._models[key]
        else:
            found = self._models[key] = _lookup(provider, model)
            if found is None:
                self._warn(_unknown_message(provider, model))
        if found is None:
            return None
        from genai_prices import Usage as PriceUsage
        from genai_prices import calc_price

        price_id, model_ref = found
        tokens = PriceUsage(
            # The database counts cached input inside input; smol-wf counts it apart.
            input_tokens=usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens,
            cache_read_tokens=usage.cache_read_tokens,
            cache_write_tokens=usage.cache_write_tokens,
            output_tokens=usage.output_tokens,
        )
        return float(calc_price(tokens, model_ref, provider_id=price_id).total_price)


def _lookup(provider: str, model: str | None) -> PriceRef | None:
    """The database's reference for a model, or None when it cannot price it."""
    if not model:
        return None
    from genai_prices import Usage as PriceUsage
    from genai_prices import calc_price

    price_id = PRICE_PROVIDERS.get(provider)
    model_ref = model
    if price_id is None and "/" in model:
        price_id, model_ref = model.split("/", 1)
    candidates: tuple[PriceRef, ...] = ((price_id, model_ref), (None, model_ref))
    for candidate in candidates:
        try:
            calc_price(PriceUsage(), candidate[1], provider_id=candidate[0])
        except LookupError:
            continue
        return candidate
    return None


def _unknown_message(provider: str, model: str | None) -> str:
    if not model:
        return (
            f"the {provider} provider's calls have no known cost (null, not $0): the "
            "provider reports none and they name no model to price; set a model to see "
            "their cost"
        )
    return (
        f"the {provider} provider's calls to model {model!r} have no known cost (null, not "
        "$0): the provider reports none and the price database does not know the model"
    )
