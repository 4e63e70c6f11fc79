"""Recorded event streams: parsing JSONL lines into events the TUI can show.

A replay may come from any smol-wf (or reference) version, so each line is checked
for the envelope's shape here, once, and every later consumer can trust it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from smolwf.errors import SmolWfError, UsageError
from smolwf.jsontypes import JSON, JSONObject


class InvalidStream(SmolWfError):
    """A line of an events file is not a workflow event (exit 1)."""


@dataclass(frozen=True, slots=True)
class TuiEvent:
    """One envelope as the TUI sees it; ``raw`` is the whole object for the raw view."""

    index: int
    type: str
    elapsed_ns: int | None
    metadata: JSONObject
    data: JSON
    raw: JSONObject

    def meta(self, key: str) -> str | None:
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
    def scope(self) -> tuple[int, str | None]:
        """Which workflow (tab) the event belongs to: the root is ``(0, None)``."""
        if self.depth == 0:
            return (0, None)
        return (self.depth, self.meta("parentStepId"))

    @property
    def fields(self) -> JSONObject:
        """``data`` as an object; null or scalar data reads as empty."""
        return self.data if isinstance(self.data, dict) else {}

    def to_line(self) -> str:
        return json.dumps(self.raw, ensure_ascii=False, separators=(",", ":"))


def parse_event(text: str, index: int) -> TuiEvent:
    """One JSONL line as an event; ValueError says what is wrong with it."""
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
    _compact_pi_update(value)
    return TuiEvent(index, kind, elapsed, metadata, value["data"], value)


def _compact_pi_update(value: JSONObject) -> None:
    """Pi streams a full message per token; keeping them would dwarf the real events."""
    data = value.get("data")
    if value.get("type") != "workflow.agent_event" or not isinstance(data, dict):
        return
    provider_event = data.get("providerEvent")
    if isinstance(provider_event, dict) and provider_event.get("type") == "message_update":
        data["providerEvent"] = {"type": "message_update", "compacted": True}


def parse_lines(lines: list[str]) -> list[TuiEvent]:
    """Every non-blank line as an event; the first bad line is fatal, named by number."""
    events: list[TuiEvent] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            events.append(parse_event(line, len(events)))
        except (ValueError, RecursionError) as error:
            raise InvalidStream(f"invalid workflow event on line {number}: {error}") from None
    return events


def read_events_file(path: Path) -> list[TuiEvent]:
    """A JSONL events file, as ``smol-wf run --events`` or a TUI save writes it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"events file {path} was not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read events file {path}: {error}") from None
    return parse_lines(text.splitlines())


def write_events_file(path: Path, events: list[TuiEvent]) -> None:
    """Save events as JSONL, one compact object per line (what replay reads back)."""
    path.write_text("".join(event.to_line() + "\n" for event in events), encoding="utf-8")
