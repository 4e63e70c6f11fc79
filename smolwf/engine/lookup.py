"""The lookup step before an agent call is queued: can it be answered without working?

Today the one lookup is replay: a resumed run answers a call whose checkpoint finished
before from the stored result, for free. Fork and cache lookups would answer from other
runs' steps behind the same method.
"""

from __future__ import annotations

from typing import Protocol

from smolwf.store.runs import StepRecord


class Lookup(Protocol):
    def find(self, checkpoint: str) -> StepRecord | None:
        """The stored step of ``checkpoint``, finished or not, if there is one."""


class ReplayLookup:
    """This run's own checkpoints, as stored before this attempt started."""

    def __init__(self, steps: dict[str, StepRecord]) -> None:
        self._steps = steps

    def find(self, checkpoint: str) -> StepRecord | None:
        return self._steps.get(checkpoint)
