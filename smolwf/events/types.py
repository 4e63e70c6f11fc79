"""The event vocabulary: every type and the shape of its envelope, in one place.

Fields are only ever added. Each event is rendered to JSON text once and the same
text goes to every sink (the ``--events`` stream, the database, the TUI).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from smolwf.jsontypes import JSONObject


class EventType(StrEnum):
    STARTED = "workflow.started"
    PHASE = "workflow.phase"
    LOG = "workflow.log"
    WARNING = "workflow.warning"
    AGENT_STARTED = "workflow.agent_started"
    AGENT_EVENT = "workflow.agent_event"
    AGENT_COMPLETED = "workflow.agent_completed"
    AGENT_FAILED = "workflow.agent_failed"
    RESULT = "workflow.result"
    ERROR = "workflow.error"


@dataclass(frozen=True, slots=True)
class Event:
    """One envelope: ``{type, elapsedNanos?, metadata, data}``; absent metadata is omitted."""

    type: EventType
    data: JSONObject
    metadata: JSONObject
    elapsed_ns: int | None
    seq: int

    def to_json_text(self) -> str:
        """The envelope as compact JSON, keys in the documented order."""
        elapsed = "" if self.elapsed_ns is None else f',"elapsedNanos":{self.elapsed_ns}'
        return (
            f'{{"type":"{self.type.value}"{elapsed},"metadata":{encode_json(self.metadata)},'
            f'"data":{encode_json(self.data)}}}'
        )


encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
"""Compact JSON with non-ASCII kept: the one encoder every event goes through."""
