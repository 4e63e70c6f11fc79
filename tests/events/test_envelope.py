"""The bytes of an event: the emitter writes envelopes by hand, so they are held to the
definition, ``json`` with compact separators and the documented key order."""

from __future__ import annotations

import json

import pytest

from smolwf.engine.agents import call_asked
from smolwf.engine.emitter import Emitter
from smolwf.engine.options import CallPlan, PreparedCall
from smolwf.engine.retry import RetryPolicy
from smolwf.events.types import Event, EventType, parse_event
from smolwf.jsontypes import JSON
from smolwf.store.batch import WriteBatch

METADATA: dict[str, dict[str, str | None]] = {
    "run only": {},
    "agent": {"step_id": "step_01abc", "provider": "claude-code"},
    "agent with session": {"step_id": "step_01abc", "provider": "pi", "session_id": "s-1"},
    "child": {"parent": "step_parent"},
    "awkward text": {"step_id": 'st"ep\\1', "provider": "x\u2028y", "session_id": "é 日本 🙂\t"},
}
DATA: dict[str, JSON] = {
    "object": {"phase": None, "promptPreview": 'héllo "quoted"\n', "usage": {"a": 1.5}},
    "empty": {},
    "not an object": [1, "two", None],
}


@pytest.mark.parametrize("data", DATA.values(), ids=DATA.keys())
@pytest.mark.parametrize("metadata", METADATA.values(), ids=METADATA.keys())
def test_emitted_text_is_the_compact_json_of_the_envelope(
    metadata: dict[str, str | None], data: JSON
) -> None:
    seen: list[tuple[Event, str]] = []

    class Sink:
        def emit(self, event: Event, text: str) -> None:
            seen.append((event, text))

        def flush(self) -> None:
            pass

    batch = WriteBatch('run_1"x', "attempt_1")
    emitter = Emitter(
        run_id='run_1"x', attempt_id="attempt_1", first_seq=7, sinks=[Sink()], batch=batch
    )
    parent = metadata.get("parent")
    others = {k: v for k, v in metadata.items() if k != "parent"}
    for depth in (0, 2):
        emitter.emit(EventType.AGENT_STARTED, data, depth=depth, parent=parent, **others)  # type: ignore[arg-type]
    emitter.release()
    assert [seq for seq, _ in batch.events] == [7, 8]
    for (event, text), (_, stored) in zip(seen, batch.events, strict=True):
        envelope: dict[str, JSON] = {"type": event.type}
        if event.elapsed_ns is not None:
            envelope["elapsedNanos"] = event.elapsed_ns
        envelope["metadata"] = event.metadata
        envelope["data"] = event.data
        assert text == stored == json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))
        assert parse_event(text, event.seq) == event
    first, second = seen[0][0], seen[1][0]
    assert first.elapsed_ns is None and second.elapsed_ns is not None
    assert next(iter(second.metadata)) == "runId" and second.metadata["workflowDepth"] == 2


ASKED: dict[str, tuple[str, str | None, str | None, str | None, bool]] = {
    "plain": ("item 1", None, None, None, False),
    "phase, label and model": ("review a.py", "Review", "label x", "deep", False),
    "replayed": ("item 1", "Scan", None, None, True),
    "awkward text": ('qu"ote\\ é 日本 🙂\t\u2028', 'ph"ase', "la\nbel", "m\u0001", False),
    "long prompt": ("x" * 500, None, None, None, False),
}


@pytest.mark.parametrize("case", ASKED.values(), ids=ASKED.keys())
def test_agent_call_event_data_is_rendered_as_the_encoder_would(
    case: tuple[str, str | None, str | None, str | None, bool],
) -> None:
    prompt, phase, label, model, replayed = case
    plan = CallPlan({}, "debug", phase, model, label, False, None, RetryPolicy())
    asked = call_asked(PreparedCall(1, prompt, plan, False), replayed=replayed)
    assert asked.text == json.dumps(asked.data, ensure_ascii=False, separators=(",", ":"))
    assert list(asked.data)[:2] == ["phase", "promptPreview"]
    assert asked.data.get("replayed") is (True if replayed else None)
