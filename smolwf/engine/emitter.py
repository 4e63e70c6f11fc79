"""Numbering, timing, persistence and fan-out of one run's events.

Events are persisted with the turn's other writes; sinks see them only after that
commit, so nothing is shown that a crash could take back.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from json.encoder import encode_basestring

from smolwf.events.sinks import EventSink
from smolwf.events.types import Event
from smolwf.jsontext import compact
from smolwf.jsontypes import JSON, JSONObject
from smolwf.store.batch import WriteBatch


class Emitter:
    """Stamps events of one attempt with the run id, sequence number and elapsed time."""

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
        self._run_text = '{"runId":' + encode_basestring(run_id)
        """The start of every event's metadata text (rendered by hand: see ``emit``)."""
        self._attempt_id = attempt_id
        self._seq = first_seq
        self._sinks = list(sinks)
        self._batch = batch
        self._started_ns = time.monotonic_ns()
        self._unsent: list[tuple[Event, str]] = []
        self._first = True

    def elapsed_ns(self) -> int:
        """Nanoseconds since the attempt started: the clock of every ``elapsedNanos``."""
        return time.monotonic_ns() - self._started_ns

    def emit(
        self,
        kind: str,
        data: JSON,
        *,
        depth: int = 0,
        parent: str | None = None,
        step_id: str | None = None,
        provider: str | None = None,
        session_id: str | None = None,
    ) -> None:
        """Build, persist (with the batch) and queue one event for the sinks.

        Metadata keys come in the documented order: ``runId``, ``stepId``, ``provider``,
        ``sessionId``, ``workflowDepth``, ``parentStepId``; absent ones are left out. The
        envelope is ``events.types.render``'s, written out here: two events per agent
        call make it the engine's most frequent encoding (tests compare the bytes).
        """
        meta: JSONObject = {"runId": self._run_id}
        text = self._run_text
        if step_id is not None:
            meta["stepId"] = step_id
            text += ',"stepId":' + encode_basestring(step_id)
        if provider is not None:
            meta["provider"] = provider
            text += ',"provider":' + encode_basestring(provider)
        if session_id is not None:
            meta["sessionId"] = session_id
            text += ',"sessionId":' + encode_basestring(session_id)
        meta["workflowDepth"] = depth
        text += ',"workflowDepth":' + str(depth)
        if parent is not None:
            meta["parentStepId"] = parent
            text += ',"parentStepId":' + encode_basestring(parent)
        if self._first:
            elapsed = None
            self._first = False
            text = f'{{"type":"{kind}","metadata":{text}}},"data":{compact(data)}}}'
        else:
            elapsed = time.monotonic_ns() - self._started_ns
            text = (
                f'{{"type":"{kind}","elapsedNanos":{elapsed},"metadata":{text}}},'
                f'"data":{compact(data)}}}'
            )
        seq = self._seq
        self._seq = seq + 1
        self._batch.event(seq, text)
        self._unsent.append((Event(kind, data, meta, elapsed, seq, text), text))

    def release(self) -> None:
        """Hand committed events to the sinks."""
        if not self._unsent:
            return
        unsent, self._unsent = self._unsent, []
        for sink in self._sinks:
            for event, text in unsent:
                sink.emit(event, text)
            sink.flush()
