"""Event streams for TUI tests, built by hand so every field (and timing) is known."""

from __future__ import annotations

import json
from pathlib import Path

from smolwf.jsontypes import JSONObject

RUN = "run_01testtuirun"
CHILD = "step_c0ffee0000000001"


def event(kind: str, data: object, elapsed_ms: int | None, **meta: object) -> JSONObject:
    envelope: JSONObject = {"type": kind}
    if elapsed_ms is not None:
        envelope["elapsedNanos"] = elapsed_ms * 1_000_000
    envelope["metadata"] = {"runId": RUN, "workflowDepth": 0, **meta}  # type: ignore[dict-item]
    envelope["data"] = data  # type: ignore[assignment]
    return envelope


def reference_fixture() -> list[JSONObject]:
    """The reference's ``--check`` fixture: a root, one child, one agent event, one root result."""
    child = {"workflowDepth": 1, "parentStepId": CHILD}
    return [
        event("workflow.started", {"startTime": "2026-01-02T03:04:05Z"}, None),
        event("workflow.started", {"startTime": "2026-01-02T03:04:05Z"}, 1, **child),
        event(
            "workflow.agent_event",
            {"provider": "codex", "providerEvent": {"type": "turn_complete"}, "stepId": "step_a"},
            2,
            stepId="step_a",
            provider="codex",
            sessionId="codex-session-1",
            **child,
        ),
        event("workflow.result", {"tokenUsage": {}, "results": {"item": "cli"}}, 3, **child),
        event("workflow.result", {"tokenUsage": {}, "results": {"child": {"item": "cli"}}}, 4),
    ]


def pipeline_stream() -> list[JSONObject]:
    """A root run: a phase, a log, two interleaved agents (one with provider events), a result."""
    a = {"stepId": "step_aaaa", "provider": "codex"}
    b = {"stepId": "step_bbbb", "provider": "debug"}
    usage = {"inputTokens": 3, "outputTokens": 5, "totalTokens": 8}
    turn = {"type": "item.completed", "item": {"text": "drafted the caching note"}}
    return [
        event("workflow.started", {"startTime": "2026-01-02T03:04:05Z"}, None),
        event("workflow.phase", {"name": "Draft"}, 10),
        event("workflow.log", {"message": "checking caching"}, 30),
        event("workflow.agent_started", {"phase": "Draft", "promptPreview": "Draft"}, 1000, **a),
        event("workflow.agent_started", {"phase": "Draft", "promptPreview": "Other"}, 1010, **b),
        event(
            "workflow.agent_event",
            {"provider": "codex", "providerEvent": turn, "stepId": "step_aaaa"},
            1020,
            sessionId="sess-1234abcd",
            **a,
        ),
        event(
            "workflow.agent_completed",
            {"model": "m", "sessionId": "sess-1234abcd", "usage": usage},
            1030,
            **a,
        ),
        event(
            "workflow.agent_completed",
            {"model": None, "sessionId": None, "usage": usage},
            1040,
            **b,
        ),
        event(
            "workflow.result",
            {
                "tokenUsage": {"inputTokens": 6, "outputTokens": 10, "totalTokens": 16},
                "results": {"ok": True},
            },
            1050,
        ),
    ]


def write_stream(path: Path, events: list[JSONObject]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return path


def children_stream(names: list[str]) -> list[JSONObject]:
    """A root that starts one child workflow per name, at the same moment: their step ids
    share their time-ordered start and differ at the end."""
    events = [event("workflow.started", {"startTime": "2026-01-02T03:04:05Z"}, None)]
    for number, name in enumerate(names):
        child = {"workflowDepth": 1, "parentStepId": f"step_01m94aaaaa00000000{number:04d}"}
        data = {"startTime": "2026-01-02T03:04:05Z", "name": name}
        events.append(event("workflow.started", data, 1 + number, **child))
    return events


def waiting_stream() -> list[JSONObject]:
    """A call that waits for a slot, then a sleep."""
    queued = {"stepId": "step_qqqq", "provider": "debug"}
    return [
        event("workflow.started", {"startTime": "2026-01-02T03:04:05Z"}, None),
        event("workflow.phase", {"name": "Fan"}, 1),
        event("workflow.agent_queued", {"phase": "Fan", "promptPreview": "later"}, 2, **queued),
        event("workflow.sleep_started", {"durationMs": 5000, "remainingMs": 5000}, 3, stepId="z"),
    ]
