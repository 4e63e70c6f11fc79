"""Numbering, timing and fan-out of one run's events.

Events are persisted with the turn's other writes; sinks see them only after that
commit, so nothing is shown that a crash could take back.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from smolwf.events.sinks import EventSink
from smolwf.events.types import Event, EventType
from smolwf.jsontypes import JSONObject
from smolwf.store.batch import WriteBatch
from smolwf.store.runs import now_ms


class Emitter:
    def __init__(
        self,
        *,
        run_id: str,
        attempt_id: str,
        first_seq: int,
        sinks: Sequence[EventSink],
        batch: WriteBatch,
    ) -> None:
        self._run_id = run_id
        self._attempt_id = attempt_id
        self._seq = first_seq
        self._sinks = list(sinks)
        self._batch = batch
        self._started_ns = time.monotonic_ns()
        self._unsent: list[tuple[Event, str]] = []
        self._first = True

    def emit(
        self,
        kind: EventType,
        data: JSONObject,
        *,
        depth: int = 0,
        parent: str | None = None,
        **metadata: str | None,
    ) -> Event:
        """Build, persist (with the batch) and queue one event for the sinks."""
        meta: JSONObject = {"runId": self._run_id}
        for key, value in metadata.items():
            if value is not None:
                meta[key] = value
        meta["workflowDepth"] = depth
        if parent is not None:
            meta["parentStepId"] = parent
        elapsed = None if self._first else time.monotonic_ns() - self._started_ns
        self._first = False
        event = Event(kind, data, meta, elapsed, self._seq)
        text = event.to_json_text()
        self._batch.event(self._run_id, self._attempt_id, self._seq, text, now_ms())
        self._seq += 1
        self._unsent.append((event, text))
        return event

    def release(self) -> None:
        """Hand committed events to the sinks."""
        if not self._unsent:
            return
        unsent, self._unsent = self._unsent, []
        for sink in self._sinks:
            for event, text in unsent:
                sink.emit(event, text)
            sink.flush()
