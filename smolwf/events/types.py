"""The event vocabulary: every type, the envelope, and how it is written and read back.

Fields are only ever added. An event the engine emits is rendered to JSON text once and
the same object (with its text) goes to every sink: the ``--events`` stream, the
database, the live view and the TUI. A recorded stream may come from another smol-wf
version or from the reference runtime, so ``Event`` is tolerant: unknown types and
non-object ``data`` are kept, and readers take ``fields`` and ``meta`` instead of
trusting shapes.
"""

from __future__ import annotations

import json
from enum import StrEnum

from smolwf.jsontext import compact
from smolwf.jsontypes import JSON, JSONObject
from smolwf.records import record


class EventType(StrEnum):
    STARTED = "workflow.started"
    PHASE = "workflow.phase"
    LOG = "workflow.log"
    WARNING = "workflow.warning"
    AGENT_QUEUED = "workflow.agent_queued"
    AGENT_STARTED = "workflow.agent_started"
    AGENT_EVENT = "workflow.agent_event"
    AGENT_COMPLETED = "workflow.agent_completed"
    AGENT_FAILED = "workflow.agent_failed"
    SLEEP_STARTED = "workflow.sleep_started"
    SLEEP_COMPLETED = "workflow.sleep_completed"
    APPROVAL_REQUESTED = "workflow.approval_requested"
    APPROVAL_RESOLVED = "workflow.approval_resolved"
    SIGNAL_WAITING = "workflow.signal_waiting"
    SIGNAL_RECEIVED = "workflow.signal_received"
    RESULT = "workflow.result"
    ERROR = "workflow.error"


@record
class Event:
    """One envelope: ``{type, elapsedNanos?, metadata, data}``; absent metadata is omitted.

    ``type`` is an ``EventType`` value, or whatever string a foreign stream carried. ``seq``
    numbers the events of a stream; ``text`` is the envelope as written (the engine's
    rendering, or the line a recorded stream was read from), when there is one.
    """

    type: str
    data: JSON
    metadata: JSONObject
    elapsed_ns: int | None
    seq: int
    text: str | None = None

    @property
    def fields(self) -> JSONObject:
        """``data`` as an object; null or scalar data reads as empty."""
        data = self.data
        return data if isinstance(data, dict) else {}

    def meta(self, key: str) -> str | None:
        """A metadata string, or None when absent, empty or not a string."""
        value = self.metadata.get(key)
        return value if isinstance(value, str) and value else None

    @property
    def depth(self) -> int:
        """The workflow depth; a missing or malformed depth counts as the root's."""
        value = self.metadata.get("workflowDepth")
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    @property
    def has_explicit_depth(self) -> bool:
        return isinstance(self.metadata.get("workflowDepth"), int)

    @property
    def scope(self) -> ScopeKey:
        """Which scope (workflow of the run) the event belongs to (see ``ScopeKey``)."""
        return None if self.depth == 0 else self.meta("parentStepId")

    def to_json_text(self) -> str:
        """The envelope as compact JSON, keys in the documented order."""
        if self.text is not None:
            return self.text
        return render(self.type, self.data, self.metadata, self.elapsed_ns)

    def raw(self) -> JSON:
        """The whole envelope as JSON values (for a raw view)."""
        return json.loads(self.to_json_text())  # type: ignore[no-any-return]


ScopeKey = str | None
"""A scope of a run, as its events name it: ``None`` for the root workflow, else the
``parentStepId`` of a child workflow (the ``workflow`` step that started it)."""

encode_json = compact
"""Compact JSON with non-ASCII kept: the one encoder every event goes through."""


def render(kind: str, data: JSON, metadata: JSONObject, elapsed_ns: int | None) -> str:
    """``{"type":…,"elapsedNanos":…,"metadata":…,"data":…}`` in one encoder pass."""
    if elapsed_ns is None:
        return encode_json({"type": kind, "metadata": metadata, "data": data})
    return encode_json(
        {"type": kind, "elapsedNanos": elapsed_ns, "metadata": metadata, "data": data}
    )


def parse_event(text: str, seq: int) -> Event:
    """One JSONL line as an event; ValueError says what is wrong with its envelope."""
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("expected a JSON object")
    kind = value.get("type")
    if not isinstance(kind, str):
        raise ValueError("missing string field `type`")
    if "data" not in value:
        raise ValueError("missing field `data`")
    elapsed = value.get("elapsedNanos")
    if elapsed is not None and (not isinstance(elapsed, int) or isinstance(elapsed, bool)):
        raise ValueError("`elapsedNanos` must be an integer")
    metadata = value.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise ValueError("`metadata` must be an object")
    return Event(kind, value["data"], metadata, elapsed, seq, text)
