"""Numbering, timing, persistence and fan-out of one run's events.

Events are persisted with the turn's other writes; sinks see them only after that
commit, so nothing is shown that a crash could take back.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring

from smolwf.events.sinks import EventSink, wanted_kinds
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
        self._wanted = wanted_kinds(self._sinks)
        """The event types a sink reads (None: all): the others are only persisted."""
        self._reading = [(sink, wanted_kinds([sink])) for sink in self._sinks]
        self._batch = batch
        self._started_ns = time.monotonic_ns()
        self._unsent: list[UnsentEvent] = []
        self._first = True
        self._tails: dict[tuple[str | None, int, str | None], str] = {}
        """Metadata after the step id, by provider, depth and parent (without a session)."""

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
        data_text: str | None = None,
    ) -> None:
        """Build, persist (with the batch) and queue one event for the sinks.

        ``data_text``, when given, is ``data`` already rendered compactly (a caller that
        emits the same data twice renders it once).

        Metadata keys come in the documented order: ``runId``, ``stepId``, ``provider``,
        ``sessionId``, ``workflowDepth``, ``parentStepId``; absent ones are left out. The
        envelope is ``events.types.render``'s, written out here: two events per agent
        call make it the engine's most frequent encoding (tests compare the bytes).
        """
        step = "" if step_id is None else ',"stepId":' + encode_basestring(step_id)
        if session_id is None:
            key = (provider, depth, parent)
            tail = self._tails.get(key)
            if tail is None:
                tail = self._tails[key] = _metadata_tail(provider, None, depth, parent)
        else:
            tail = _metadata_tail(provider, session_id, depth, parent)
        if data_text is None:
            data_text = compact(data)
        if self._first:
            elapsed = None
            self._first = False
            text = f'{{"type":"{kind}","metadata":{self._run_text}{step}{tail},"data":{data_text}}}'
        else:
            elapsed = time.monotonic_ns() - self._started_ns
            text = (
                f'{{"type":"{kind}","elapsedNanos":{elapsed},"metadata":{self._run_text}{step}'
                f'{tail},"data":{data_text}}}'
            )
        seq = self._seq
        self._seq = seq + 1
        self._batch.event(seq, text)
        if self._wanted is None or kind in self._wanted:
            self._unsent.append(
                UnsentEvent(
                    kind, data, elapsed, seq, text, step_id, provider, session_id, depth, parent
                )
            )

    def release(self) -> None:
        """Hand committed events to the sinks, each event to every sink before the next."""
        if self._unsent:
            self.deliver(self.detach())

    def detach(self) -> list[UnsentEvent]:
        """The events emitted so far, for ``deliver`` once a commit running on another
        thread made them durable; later events wait for a later commit."""
        unsent, self._unsent = self._unsent, []
        return unsent

    def deliver(self, unsent: list[UnsentEvent]) -> None:
        """Hand detached events to the sinks, as ``release`` does."""
        if not unsent:
            return
        sinks = self._reading
        for item in unsent:
            event = item.event(self._run_id)
            for sink, kinds in sinks:
                if kinds is None or item.kind in kinds:
                    sink.emit(event, item.text)
        for sink in self._sinks:
            sink.flush()


def _metadata_tail(
    provider: str | None, session_id: str | None, depth: int, parent: str | None
) -> str:
    """The metadata text after ``runId`` and ``stepId``, closing brace included."""
    text = "" if provider is None else ',"provider":' + encode_basestring(provider)
    if session_id is not None:
        text += ',"sessionId":' + encode_basestring(session_id)
    text += ',"workflowDepth":' + str(depth)
    if parent is not None:
        text += ',"parentStepId":' + encode_basestring(parent)
    return text + "}"


@dataclass(slots=True)
class UnsentEvent:
    """An event written but not yet committed: the ``Event`` (and its metadata object) is
    only made when it is released, so a turn that starts thousands of calls holds one
    small record per event until its commit."""

    kind: str
    data: JSON
    elapsed: int | None
    seq: int
    text: str
    step_id: str | None
    provider: str | None
    session_id: str | None
    depth: int
    parent: str | None

    def event(self, run_id: str) -> Event:
        """Metadata keys in the documented order, as ``Emitter.emit`` rendered them."""
        meta: JSONObject = {"runId": run_id}
        if self.step_id is not None:
            meta["stepId"] = self.step_id
        if self.provider is not None:
            meta["provider"] = self.provider
        if self.session_id is not None:
            meta["sessionId"] = self.session_id
        meta["workflowDepth"] = self.depth
        if self.parent is not None:
            meta["parentStepId"] = self.parent
        return Event(self.kind, self.data, meta, self.elapsed, self.seq, self.text)
