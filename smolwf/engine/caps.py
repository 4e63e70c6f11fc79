"""Hard budget caps: once spend reaches a cap, a sticky latch rejects every later call.

``--budget-allowance`` stays soft (scripts read ``budget``); these caps are the teeth.
They come from ``meta.budget`` and the ``--max-*`` flags (a flag wins over meta).
"""

from __future__ import annotations

from dataclasses import dataclass

from smolwf.jsontypes import JSON
from smolwf.usage import Usage

CAP_FLAGS = {
    "outputTokens": "--max-output-tokens",
    "totalTokens": "--max-total-tokens",
    "usd": "--max-cost-usd",
}


@dataclass(slots=True)
class BudgetCaps:
    """The hard caps of one run and the latch that trips once spend reaches any of them."""

    output_tokens: int | None = None
    total_tokens: int | None = None
    usd: float | None = None
    tripped: str | None = None
    """The latch: the BudgetExceeded message, once any cap was reached."""

    @classmethod
    def from_sources(
        cls, meta_budget: JSON, *, output: int | None, total: int | None, usd: float | None
    ) -> BudgetCaps:
        meta = meta_budget if isinstance(meta_budget, dict) else {}

        def pick(flag: float | None, key: str) -> float | None:
            value = meta.get(key)
            from_meta = (
                value if isinstance(value, int | float) and not isinstance(value, bool) else None
            )
            return flag if flag is not None else from_meta

        out, tot = pick(output, "outputTokens"), pick(total, "totalTokens")
        return cls(
            output_tokens=int(out) if out is not None else None,
            total_tokens=int(tot) if tot is not None else None,
            usd=pick(usd, "usd"),
        )

    @property
    def any(self) -> bool:
        return (
            self.output_tokens is not None or self.total_tokens is not None or self.usd is not None
        )

    def check(self, spent: Usage) -> str | None:
        """Set the latch if ``spent`` (the run's real total) reached a cap; return its message."""
        if self.tripped is not None:
            return self.tripped
        for key, limit, value in (
            ("outputTokens", self.output_tokens, spent.output_tokens),
            ("totalTokens", self.total_tokens, spent.total),
            ("usd", self.usd, spent.cost_usd or 0.0),
        ):
            if limit is not None and value >= limit:
                shown = f"${value:.4f} of ${limit:.4f}" if key == "usd" else f"{value} of {limit}"
                self.tripped = (
                    f"BudgetExceeded: the run spent {shown} {_noun(key)} (cap set by "
                    f"{CAP_FLAGS[key]} or meta.budget.{key}); no further agent calls start"
                )
                return self.tripped
        return None


def js_budget_total(allowance: int | None, caps: BudgetCaps) -> int | None:
    """What scripts see as ``budget.total``: the allowance, else the output-token cap."""
    return allowance if allowance is not None else caps.output_tokens


def _noun(key: str) -> str:
    return {"outputTokens": "output tokens", "totalTokens": "total tokens", "usd": "USD"}[key]
