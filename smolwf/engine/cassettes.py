"""Cassettes in a run: answering calls from a recorded file, and recording a run's answers.

``--replay FILE`` answers every call from FILE by checkpoint key; a call with no
recording fails (one line naming its prompt, label and phase) unless
``--replay-missing live`` lets it run, and then the answer is added to FILE.
``--record FILE`` writes every answer of the run, live or replayed, in call order. Files
are written when the run ends, whether it completed, failed or was interrupted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from smolwf.engine.config import ReplayMissing
from smolwf.engine.lookup import Found, Unanswered, Wanted
from smolwf.jsontypes import JSON, JSONObject
from smolwf.records import record
from smolwf.store.cassettes import CassetteEntry, append_cassette, write_cassette
from smolwf.store.origin import Origin

PROMPT_SHOWN = 80
"""How much of a prompt the error of a call with no recording shows."""


class CassetteLookup:
    """Answers from a cassette file; a call it lacks fails unless ``missing`` is live."""

    def __init__(
        self, path: Path, entries: dict[str, CassetteEntry], missing: ReplayMissing
    ) -> None:
        self._entries = entries
        self._origin = Origin("cassette", file=str(path))
        self._path = path
        self._missing = missing

    def find(self, wanted: Wanted) -> Found | Unanswered | None:
        if wanted.kind != "agent":
            return None  # a cassette holds agent answers; a person is asked again
        entry = self._entries.get(wanted.checkpoint)
        if entry is not None:
            return Found(entry.result(), self._origin)
        if self._missing == "live":
            return None
        return Unanswered(missing_message(self._path, wanted))


def missing_message(path: Path, wanted: Wanted) -> str:
    """``cassette F has no answer for agent 'label' (phase P): "prompt…"; …`` on one line."""
    prompt = " ".join(wanted.prompt.split())
    if len(prompt) > PROMPT_SHOWN:
        prompt = prompt[:PROMPT_SHOWN] + "…"
    who = f"agent {wanted.label!r}" if wanted.label is not None else "an agent"
    phase = f" (phase {wanted.phase!r})" if wanted.phase is not None else ""
    return (
        f"cassette {path} has no answer for {who}{phase}: {prompt!r}; "
        "re-record it with --record, or pass --replay-missing live"
    )


@record
class Answered:
    """One call's answer as a cassette keeps it, with its place in the run's call order."""

    order: int
    entry: CassetteEntry


@dataclass(slots=True)
class CassetteRecorder:
    """Collects the run's answers; ``write`` puts them in ``record`` (the whole run) and
    adds to ``append_to`` the ones its recording lacks (``known`` are the keys it has)."""

    record: Path | None
    append_to: Path | None = None
    known: frozenset[str] = frozenset()
    answers: list[Answered] = field(default_factory=list)

    def note(
        self,
        order: int,
        wanted: Wanted,
        provider: str,
        result: JSONObject,
    ) -> None:
        refusals = result.get("refusals")
        usage = result.get("usage")
        model = result.get("model")
        entry = CassetteEntry(
            wanted.checkpoint,
            wanted.label,
            wanted.phase,
            provider,
            model if isinstance(model, str) else None,
            wanted.prompt,
            result.get("output"),
            usage if isinstance(usage, dict) else None,
            _list(refusals),
        )
        self.answers.append(Answered(order, entry))

    def write(self) -> None:
        entries = [answer.entry for answer in sorted(self.answers, key=lambda a: a.order)]
        if self.record is not None:
            write_cassette(self.record, entries)
        if self.append_to is not None and not _same_file(self.append_to, self.record):
            append_cassette(self.append_to, [e for e in entries if e.key not in self.known])


def _same_file(path: Path, other: Path | None) -> bool:
    """``--record`` onto the ``--replay`` file rewrites it whole: nothing to add after."""
    return other is not None and path.resolve() == other.resolve()


def _list(value: JSON) -> list[JSON] | None:
    return value if isinstance(value, list) and value else None
