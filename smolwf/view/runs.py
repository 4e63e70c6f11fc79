"""What the pages show, read from the database: the run list and each run's state.

A run's events are folded into the same ``RunState`` the live view and the TUI use, and
kept: each read folds only the events committed since the last one, so a page of a
long, wide run stays cheap to refresh while another process writes it.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

from smolwf.events.run_state import RunState
from smolwf.events.types import Event, parse_event
from smolwf.records import record
from smolwf.store.db import connect
from smolwf.store.history import History, RunDetail, RunFilter, RunSummary


@dataclass(slots=True)
class _Folded:
    state: RunState = field(default_factory=RunState)
    last_seq: int = 0


@record
class Change:
    """What a page's live updates compare: the runs table and one run's events."""

    runs: tuple[int, int]
    events: int


class RunReader:
    """One database, read by many requests at once (each on its own connection)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._folded: dict[str, _Folded] = {}
        connect(path, create=False).close()  # exists, is ours, is migrated

    def _history(self) -> History:
        return History(connect(self.path, create=False), self.path)

    def runs(self, run_filter: RunFilter) -> list[RunSummary]:
        history = self._history()
        try:
            return history.list_runs(run_filter)
        finally:
            history.conn.close()

    def detail(self, run_id: str) -> RunDetail | None:
        """The run's record (state, params, result, attempts) without its steps' rows."""
        history = self._history()
        try:
            return history.run_detail(run_id)
        finally:
            history.conn.close()

    def state(self, run_id: str) -> RunState:
        """The run's events so far, folded; only new events are read."""
        with self._lock:
            folded = self._folded.setdefault(run_id, _Folded())
            conn = connect(self.path, create=False)
            try:
                rows = conn.execute(
                    "SELECT body, last_seq FROM events WHERE run_id = ? AND first_seq > ?"
                    " ORDER BY first_seq",
                    (run_id, folded.last_seq),
                ).fetchall()
            finally:
                conn.close()
            for body, last_seq in rows:
                for line in body.split("\n"):
                    folded.state.apply(_event(line, folded.state.event_count))
                folded.last_seq = last_seq
            return folded.state

    def transcript(self, run_id: str, step_id: str) -> list[Event]:
        """Every event of one agent (its ``agent_event`` lines included), in order."""
        needle = f'"stepId":"{step_id}"'
        conn = connect(self.path, create=False)
        try:
            rows = conn.execute(
                "SELECT body FROM events WHERE run_id = ? AND instr(body, ?) > 0"
                " ORDER BY first_seq",
                (run_id, needle),
            ).fetchall()
        finally:
            conn.close()
        lines = [line for (body,) in rows for line in body.split("\n") if needle in line]
        return [_event(line, number) for number, line in enumerate(lines)]

    def change(self, run_id: str | None) -> Change:
        conn = connect(self.path, create=False)
        try:
            runs = conn.execute(
                "SELECT count(*), coalesce(max(updated_at), 0) FROM runs"
            ).fetchone()
            events = 0
            if run_id is not None:
                events = conn.execute(
                    "SELECT coalesce(max(last_seq), 0) FROM events WHERE run_id = ?", (run_id,)
                ).fetchone()[0]
        except sqlite3.Error:
            return Change((0, 0), 0)
        finally:
            conn.close()
        return Change((int(runs[0]), int(runs[1])), int(events))


def _event(line: str, seq: int) -> Event:
    try:
        return parse_event(line, seq)
    except ValueError:
        return Event("invalid", None, {}, None, seq, line)
