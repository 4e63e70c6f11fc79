"""Recorded event streams: JSONL lines in and out, as ``--events``, ``history --events``
and TUI saves write them.

A stream may come from any smol-wf (or reference) version, so each line is checked for
the envelope's shape here, once, and every later consumer can trust it.
"""

from __future__ import annotations

from pathlib import Path

from smolwf.errors import SmolWfError, UsageError
from smolwf.events.types import Event, parse_event


class InvalidStream(SmolWfError):
    """A line of an events file is not a workflow event (exit 1)."""


def parse_lines(lines: list[str]) -> list[Event]:
    """Every non-blank line as an event; the first bad line is fatal, named by number."""
    events: list[Event] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            events.append(parse_event(line, len(events)))
        except (ValueError, RecursionError) as error:
            raise InvalidStream(f"invalid workflow event on line {number}: {error}") from None
    return events


def read_events_file(path: Path) -> list[Event]:
    """A JSONL events file, as ``smol-wf run --events`` or a TUI save writes it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"events file {path} was not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read events file {path}: {error}") from None
    return parse_lines(text.splitlines())


def write_events_file(path: Path, events: list[Event]) -> None:
    """Save events as JSONL, one compact object per line (what replay reads back)."""
    path.write_text("".join(event.to_json_text() + "\n" for event in events), encoding="utf-8")
