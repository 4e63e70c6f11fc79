"""Trace and span ids of an attempt's root span, derived from the run and attempt number.

A resumed run links to the trace of the attempt it resumes; deriving that trace's ids
from what the events already carry (run id, attempt number) means nothing is stored.
"""

from __future__ import annotations

import hashlib

from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags


def root_ids(run_id: str, attempt: int) -> tuple[int, int]:
    """(trace id, span id) of the root span of ``run_id``'s attempt number ``attempt``."""
    digest = hashlib.sha256(f"smolwf/{run_id}/{attempt}".encode()).digest()
    return int.from_bytes(digest[:16], "big") or 1, int.from_bytes(digest[16:24], "big") or 1


def root_context(run_id: str, attempt: int) -> SpanContext:
    """The root span of an earlier attempt, as a link target."""
    trace_id, span_id = root_ids(run_id, attempt)
    return SpanContext(trace_id, span_id, is_remote=True, trace_flags=TraceFlags(1))


def earlier_root(run_id: str, attempt: int) -> NonRecordingSpan:
    return NonRecordingSpan(root_context(run_id, attempt))


class AttemptIds(IdGenerator):
    """Random ids, except for an attempt's root span: ``expect_root`` names the next one."""

    def __init__(self) -> None:
        self._random = RandomIdGenerator()
        self._next: tuple[int, int] | None = None
        self._root_span: int | None = None

    def expect_root(self, run_id: str, attempt: int) -> None:
        self._next = root_ids(run_id, attempt)

    def generate_trace_id(self) -> int:
        if self._next is not None:
            trace_id, self._root_span = self._next
            self._next = None
            return trace_id
        return self._random.generate_trace_id()

    def generate_span_id(self) -> int:
        if self._root_span is not None:
            span_id, self._root_span = self._root_span, None
            return span_id
        return self._random.generate_span_id()
