"""Where a step's answer came from when this run called no provider for it.

A forked run, a cache hit and a cassette all answer a call with an answer made
elsewhere; the step keeps that provenance so events, ``agentRun()`` and ``history`` can
name the run and step (or the file) the answer came from.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

from smolwf.jsontypes import JSON, JSONObject
from smolwf.records import record

OriginSource: TypeAlias = Literal["fork", "cache", "cassette"]
SOURCES: tuple[OriginSource, ...] = ("fork", "cache", "cassette")


@record
class Origin:
    """A reused answer's source: a step of another run (fork, cache) or a cassette file."""

    source: OriginSource
    run_id: str | None = None
    step_id: str | None = None
    file: str | None = None

    def to_json(self) -> JSONObject:
        """The stored shape (``steps.origin_json``)."""
        stored: JSONObject = {"source": self.source}
        if self.run_id is not None:
            stored["runId"] = self.run_id
        if self.step_id is not None:
            stored["stepId"] = self.step_id
        if self.file is not None:
            stored["file"] = self.file
        return stored

    @classmethod
    def from_json(cls, value: JSON) -> Origin | None:
        if not isinstance(value, dict):
            return None
        source = next((name for name in SOURCES if value.get("source") == name), None)
        if source is None:
            return None
        return cls(source, _text(value, "runId"), _text(value, "stepId"), _text(value, "file"))

    def fields(self) -> JSONObject:
        """How events and history say it: ``cached`` for a cache hit, ``replayedFrom``
        for a fork or a cassette."""
        if self.source == "cassette":
            return {"replayedFrom": {"cassette": self.file}}
        where: JSONObject = {"runId": self.run_id, "stepId": self.step_id}
        return {"cached": where} if self.source == "cache" else {"replayedFrom": where}

    @property
    def where(self) -> str:
        """``run_… step_…``, or the cassette's file: what ``history`` shows."""
        if self.source == "cassette":
            return str(self.file)
        return f"{self.run_id} {self.step_id}"


def _text(value: JSONObject, key: str) -> str | None:
    found = value.get(key)
    return found if isinstance(found, str) else None
