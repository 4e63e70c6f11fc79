"""The script's budget view: an output-token allowance and what was spent against it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Budget:
    """Soft, like the reference: nothing is blocked when ``spent`` passes ``total``.

    ``spent`` counts output tokens of every call resolved in this execution, each
    with all the provider calls ever made for it, so a replayed call costs what it cost
    once, and a resumed run sees the same numbers as an uninterrupted one.
    """

    total: int | None
    spent: int = 0

    def charge(self, output_tokens: int) -> int:
        self.spent += output_tokens
        return self.spent
