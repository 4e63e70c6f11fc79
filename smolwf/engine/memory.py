"""One JS memory budget for the whole run: ``--js-memory`` is shared by the root script
and every child workflow, instead of each context getting its own.

QuickJS limits each context separately, so the budget is kept by moving limits: before a
scope runs, its limit becomes the budget less what the other scopes hold (measured after
each of their slices). Scopes run one at a time, so together they never exceed it.
"""

from __future__ import annotations

from collections.abc import Sequence

from smolwf.engine.scope import Scope


class MemoryBudget:
    """What each open scope's heap held after its last slice, against the run's total."""

    def __init__(self, total_bytes: int) -> None:
        self.total = total_bytes
        self.used: dict[Scope, int] = {}

    def limit_for(self, scope: Scope, scopes: Sequence[Scope]) -> int:
        """The heap limit for ``scope``'s next slice."""
        if len(scopes) == 1:
            return self.total
        for other in scopes:
            if other is not scope and other not in self.used:
                self.used[other] = other.host.memory_used()
        others = sum(self.used[other] for other in scopes if other is not scope)
        return max(0, self.total - others)

    def note(self, scope: Scope, used: int | None) -> None:
        if used is not None:
            self.used[scope] = used

    def forget(self, scope: Scope) -> None:
        self.used.pop(scope, None)
