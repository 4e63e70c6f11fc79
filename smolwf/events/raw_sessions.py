"""``--save-raw-sessions DIR``: every provider call's transcript, failed ones included.

Files are ``DIR/<provider>/<session-id>.jsonl``, one raw provider event per line,
written whole (temporary file, then rename) so a crash never leaves half a file.
A write failure is reported as a warning; it never fails the agent call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from smolwf.jsontypes import JSON

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")


class RawSessions:
    """Writes transcripts under ``root``; ``warn`` hears about files it could not write."""

    def __init__(self, root: Path, warn: Callable[[str], None]) -> None:
        self.root = root
        self.warn = warn
        self._unnamed = 0

    def save(
        self, provider: str, session_id: str | None, step_id: str, events: Sequence[JSON]
    ) -> Path | None:
        """Write one provider call; a missing or unsafe session id is replaced by the step id."""
        name = session_id if session_id and _SAFE_NAME.match(session_id) else None
        if name is None:
            self._unnamed += 1
            name = f"{step_id}-{self._unnamed}"
        folder = self.root / provider
        path = folder / f"{name}.jsonl"
        text = "".join(json.dumps(event, ensure_ascii=False) + "\n" for event in events)
        partial = folder / f".{name}.jsonl.partial"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            partial.write_text(text, encoding="utf-8", errors="replace")
            partial.replace(path)
        except OSError as error:
            self.warn(f"could not save the raw {provider} session to {path}: {error.strerror}")
            return None
        return path
