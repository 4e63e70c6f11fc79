"""``--rerun`` selectors: which finished calls of an earlier run run live again.

A selector matches a call's ``label`` or its phase title, with ``*`` for any run of
characters (``Synthesize``, ``'review:*'``); every other character is literal, so labels
like ``a[1].py`` need no escaping. A selector that matches no call of the source run is
a typo until proven otherwise: the run is refused before it starts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from smolwf.errors import UsageError
from smolwf.records import record
from smolwf.store.runs import StepNames

LISTED_NAMES = 12
"""How many labels (and phases) the error for a selector that matches nothing lists."""


@record
class Selectors:
    """The ``--rerun`` values of one run, compiled once."""

    texts: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]

    @classmethod
    def parse(cls, texts: Sequence[str]) -> Selectors | None:
        """The selectors, or None when there are none; an empty one is a usage error."""
        if not texts:
            return None
        if any(not text.strip() for text in texts):
            raise UsageError("--rerun needs a label or phase title (with * globs), got ''")
        patterns = tuple(re.compile(".*".join(map(re.escape, text.split("*")))) for text in texts)
        return cls(tuple(texts), patterns)

    def matches(self, label: str | None, phase: str | None) -> bool:
        return any(_fits(pattern, label) or _fits(pattern, phase) for pattern in self.patterns)

    def check(self, names: StepNames, run_id: str) -> None:
        """Refuse a selector that matches none of the run's labels and phases."""
        for text, pattern in zip(self.texts, self.patterns, strict=True):
            if not any(pattern.fullmatch(name) for name in (*names.labels, *names.phases)):
                raise UsageError(
                    f"--rerun {text!r} matches no call of run {run_id}; "
                    f"its labels: {_listed(names.labels)}; its phases: {_listed(names.phases)}"
                )


def _fits(pattern: re.Pattern[str], name: str | None) -> bool:
    return name is not None and pattern.fullmatch(name) is not None


def _listed(names: tuple[str, ...]) -> str:
    if not names:
        return "none"
    shown = ", ".join(names[:LISTED_NAMES])
    more = len(names) - LISTED_NAMES
    return shown + (f" and {more} more" if more > 0 else "")
