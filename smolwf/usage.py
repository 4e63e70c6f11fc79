"""Token and cost accounting for one provider call, and sums of them."""

from __future__ import annotations

from dataclasses import dataclass

from smolwf.jsontypes import JSONObject


@dataclass(frozen=True, slots=True)
class Usage:
    """What one provider call consumed. ``cost_usd`` is None when the provider reports none."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    total_tokens: int | None = None
    cost_usd: float | None = None

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
    path; ``usage()`` is the sum as ``Usage`` (``a + b + …`` gives the same)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    total_tokens: int = 0
    cost_usd: float | None = None

    def add(self, usage: Usage | UsageTally) -> None:
        self.input_tokens += usage.input_tokens
        self.output_tokens += usage.output_tokens
        self.cache_read_tokens += usage.cache_read_tokens
        self.cache_write_tokens += usage.cache_write_tokens
        self.total_tokens += usage.total
        if usage.cost_usd is not None:
            self.cost_usd = (self.cost_usd or 0.0) + usage.cost_usd

    @property
    def total(self) -> int:
        return self.total_tokens

    def usage(self) -> Usage:
        return Usage(
            self.input_tokens,
            self.output_tokens,
            self.cache_read_tokens,
            self.cache_write_tokens,
            self.total_tokens,
            self.cost_usd,
        )
