"""The lookup before a call is queued: where can its answer come from without working?

One chain answers every ``agent()`` call: this run's own checkpoints (a resume), the run
it was forked from, the answers of earlier runs (the cache), a cassette; a call none of
them answers runs live. Each source is a small module behind ``Lookup.find``, keyed by
the call's checkpoint key (the cache by what the call asks), and ``--rerun`` selectors
make the calls they match skip a source and every one after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from smolwf.engine.rerun import Selectors
from smolwf.jsontypes import JSONObject
from smolwf.records import record
from smolwf.store.origin import Origin
from smolwf.store.runs import StepRecord


@record
class Wanted:
    """A durable call as the sources see it: its keys and the names a user knows it by."""

    kind: str
    checkpoint: str
    prompt: str
    label: str | None
    phase: str | None
    cache_key: str | None = None
    """Set only when the call may take an answer of an earlier run (``engine/cache.py``)."""


@record
class Found:
    """An answer the call takes for free: the stored result and where it was made."""

    result: JSONObject
    origin: Origin | None
    """None: a provider call of this run made it."""
    step: StepRecord | None = None
    """This run's own checkpoint (a resume); None when another source answered."""


@record
class Unanswered:
    """No source answers and the call must not run live (``--replay`` with no recording)."""

    message: str


class Lookup(Protocol):
    def find(self, wanted: Wanted) -> Found | Unanswered | None:
        """The call's answer, a refusal to run it, or None: run it live."""


class OwnCheckpoints:
    """This run's own finished checkpoints, as stored before this attempt started."""

    def __init__(self, steps: dict[str, StepRecord]) -> None:
        self._steps = steps

    def find(self, wanted: Wanted) -> Found | None:
        step = self._steps.get(wanted.checkpoint)
        if step is None or step.result is None:
            return None
        return Found(step.result, step.origin, step)


@record
class Stage:
    """One source of the chain; calls ``rerun`` selects skip it and every later source."""

    lookup: Lookup
    rerun: Selectors | None = None


class LookupChain:
    """The sources in order; the first that answers wins."""

    def __init__(self, stages: Sequence[Stage]) -> None:
        self._stages = tuple(stages)

    def find(self, wanted: Wanted) -> Found | Unanswered | None:
        for stage in self._stages:
            if stage.rerun is not None and stage.rerun.matches(wanted.label, wanted.phase):
                return None
            found = stage.lookup.find(wanted)
            if found is not None:
                return found
        return None
