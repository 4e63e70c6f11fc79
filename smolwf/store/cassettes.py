"""Cassettes: a run's provider answers in a JSON Lines file, to replay without a provider.

One object per ``agent()`` call, keyed by the call's checkpoint key (its content key and
occurrence), with the prompt, label and phase beside the answer so a reviewer can read
and diff the file. The format is documented in ``docs/cassettes.md``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from smolwf.errors import StoreError
from smolwf.jsontext import compact
from smolwf.jsontypes import JSON, JSONObject
from smolwf.records import record

RECORD_HINT = "record one with smol-wf run <workflow> --record FILE"


@record
class CassetteEntry:
    """One recorded answer: the call (key, label, phase, prompt) and what it got."""

    key: str
    label: str | None
    phase: str | None
    provider: str
    model: str | None
    prompt: str
    output: JSON
    usage: JSONObject | None = None
    refusals: list[JSON] | None = None

    def to_json(self) -> JSONObject:
        line: JSONObject = {
            "key": self.key,
            "label": self.label,
            "phase": self.phase,
            "provider": self.provider,
            "model": self.model,
            "prompt": self.prompt,
            "output": self.output,
            "usage": self.usage,
        }
        if self.refusals:
            line["refusals"] = self.refusals
        return line

    def result(self) -> JSONObject:
        """The answer in the shape a step stores it (``agents.py``), for a replay."""
        result: JSONObject = {"output": self.output, "provider": self.provider}
        if self.model is not None:
            result["model"] = self.model
        if self.usage is not None:
            result["usage"] = self.usage
        if self.refusals:
            result["refusals"] = self.refusals
        return result


def read_cassette(path: Path) -> dict[str, CassetteEntry]:
    """Every entry of the file by key (a later line wins); one-line errors name the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StoreError(f"cassette {path} was not found; {RECORD_HINT}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise StoreError(f"cannot read cassette {path}: {error}") from None
    entries: dict[str, CassetteEntry] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            entry = _entry(line)
            if isinstance(entry, str):
                raise StoreError(f"cassette {path} line {number} {entry}; {RECORD_HINT} again")
            entries[entry.key] = entry
    return entries


def _entry(line: str) -> CassetteEntry | str:
    """The entry on ``line``, or what is wrong with it."""
    try:
        value = json.loads(line)
    except ValueError as error:
        return f"is not JSON ({error})"
    if not isinstance(value, dict):
        return "is not a JSON object"
    key, provider, prompt = value.get("key"), value.get("provider"), value.get("prompt")
    if not isinstance(key, str) or not key:
        return 'has no "key"'
    if not isinstance(provider, str) or not isinstance(prompt, str) or "output" not in value:
        return 'needs "provider", "prompt" and "output"'
    usage, refusals = value.get("usage"), value.get("refusals")
    return CassetteEntry(
        key,
        _text(value.get("label")),
        _text(value.get("phase")),
        provider,
        _text(value.get("model")),
        prompt,
        value["output"],
        usage if isinstance(usage, dict) else None,
        refusals if isinstance(refusals, list) else None,
    )


def _text(value: JSON) -> str | None:
    return value if isinstance(value, str) else None


def _lines(entries: Iterable[CassetteEntry]) -> str:
    return "".join(compact(entry.to_json()) + "\n" for entry in entries)


def write_cassette(path: Path, entries: Iterable[CassetteEntry]) -> None:
    """Replace ``path`` with ``entries`` at once: a reader never sees half a file."""
    import tempfile  # only --record writes a cassette; its import costs every start-up

    text = _lines(entries)
    temporary: Path | None = None
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        temporary = Path(name)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        temporary.replace(path)
    except OSError as error:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise StoreError(f"cannot write cassette {path}: {error}") from None


def append_cassette(path: Path, entries: Iterable[CassetteEntry]) -> None:
    """Add ``entries`` at the end of ``path`` in one write."""
    text = _lines(entries)
    if not text:
        return
    try:
        with path.open("a", encoding="utf-8") as out:
            out.write(text)
    except OSError as error:
        raise StoreError(f"cannot append to cassette {path}: {error}") from None
