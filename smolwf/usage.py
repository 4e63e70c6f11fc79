"""Token and cost accounting for one provider call, and sums of them.

A cost is what the CLI reported, or, when it reports none (codex), an estimate from the
call's tokens at its model's list price (``engine/pricing.py``): ``estimated`` says which,
so a figure that is partly an estimate never passes for a bill.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from smolwf.jsontypes import JSONObject
from smolwf.records import record

CostSource = Literal["provider", "estimated"]
NANOS_PER_USD = 1_000_000_000
"""Costs are summed in whole nano-dollars, so totals equal the sum of their parts exactly."""


def cost_nanos(cost_usd: float) -> int:
    """A cost in whole nano-dollars (what sums add up; SQL sums the same way)."""
    return round(cost_usd * NANOS_PER_USD)


def usd(nanos: int) -> float:
    """Nano-dollars back as US dollars (its shortest repr is the exact decimal)."""
    return nanos / NANOS_PER_USD


@record
class Usage:
    """What one provider call consumed. ``cost_usd`` is None when nobody knows it: the
    provider reports none and its model has no known price."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    total_tokens: int | None = None
    cost_usd: float | None = None
    estimated: bool = False
    """``cost_usd`` is (partly) estimated from token prices rather than reported."""

    @property
    def cost_source(self) -> CostSource | None:
        """``provider`` or ``estimated``; None without a cost."""
        if self.cost_usd is None:
            return None
        return "estimated" if self.estimated else "provider"

    @property
    def total(self) -> int:
        """Provider-reported total, else input + output + cache write (cache reads are re-use)."""
        if self.total_tokens is not None:
            return self.total_tokens
        return self.input_tokens + self.output_tokens + self.cache_write_tokens

    def __add__(self, other: Usage) -> Usage:
        cost: float | None
        if self.cost_usd is None and other.cost_usd is None:
            cost = None
        else:
            cost = (self.cost_usd or 0.0) + (other.cost_usd or 0.0)
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
            total_tokens=self.total + other.total,
            cost_usd=cost,
            estimated=self.estimated or other.estimated,
        )

    def to_json(self) -> JSONObject:
        """The camelCase shape used in results, events and the store."""
        data: JSONObject = {
            "inputTokens": self.input_tokens,
            "outputTokens": self.output_tokens,
            "cacheReadTokens": self.cache_read_tokens,
            "cacheWriteTokens": self.cache_write_tokens,
            "totalTokens": self.total,
        }
        if self.cost_usd is not None:
            data["costUsd"] = self.cost_usd
            data["costSource"] = "estimated" if self.estimated else "provider"
        return data

    @classmethod
    def from_json(cls, data: JSONObject) -> Usage:
        def num(key: str) -> int:
            value = data.get(key)
            return int(value) if isinstance(value, int | float) else 0

        cost = data.get("costUsd")
        total = data.get("totalTokens")
        return cls(
            input_tokens=num("inputTokens"),
            output_tokens=num("outputTokens"),
            cache_read_tokens=num("cacheReadTokens"),
            cache_write_tokens=num("cacheWriteTokens"),
            total_tokens=int(total) if isinstance(total, int | float) else None,
            cost_usd=float(cost) if isinstance(cost, int | float) else None,
            estimated=data.get("costSource") == "estimated",
        )

    def report_json(self) -> JSONObject:
        """The reference report's exact three-key ``tokenUsage`` shape."""
        return {
            "inputTokens": self.input_tokens,
            "outputTokens": self.output_tokens,
            "totalTokens": self.total,
        }


ZERO_USAGE = Usage(total_tokens=0)


@dataclass(slots=True)
class UsageTally:
    """A running sum of ``Usage`` values, mutable so that adding one stays cheap on the hot
    path; ``usage()`` is the sum as ``Usage``. Costs add up in whole nano-dollars, so tallies
    of parts (phases, providers) sum to the tally of the whole exactly."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    total_tokens: int = 0
    cost_nanos: int | None = None
    estimated: bool = False

    def add(self, usage: Usage | UsageTally) -> None:
        self.input_tokens += usage.input_tokens
        self.output_tokens += usage.output_tokens
        self.cache_read_tokens += usage.cache_read_tokens
        self.cache_write_tokens += usage.cache_write_tokens
        self.total_tokens += usage.total
        nanos = usage.cost_nanos if isinstance(usage, UsageTally) else _nanos_of(usage)
        if nanos is not None:
            self.cost_nanos = (self.cost_nanos or 0) + nanos
            self.estimated = self.estimated or usage.estimated

    @property
    def total(self) -> int:
        return self.total_tokens

    @property
    def cost_usd(self) -> float | None:
        return None if self.cost_nanos is None else usd(self.cost_nanos)

    def usage(self) -> Usage:
        return Usage(
            self.input_tokens,
            self.output_tokens,
            self.cache_read_tokens,
            self.cache_write_tokens,
            self.total_tokens,
            self.cost_usd,
            self.estimated,
        )


def _nanos_of(usage: Usage) -> int | None:
    return None if usage.cost_usd is None else cost_nanos(usage.cost_usd)
