"""RunState: what a viewer knows about a run after each event, from real streams."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from smolwf import RunReport
from smolwf.engine.answers import answer
from smolwf.events.run_state import RunState, fold
from smolwf.events.stream import parse_lines
from smolwf.events.types import Event, EventType
from smolwf.jsontypes import JSONObject
from smolwf.store.history import History
from smolwf.store.human import Decision, Payload, Reply
from smolwf.usage import Usage
from tests.event_streams import FailingProvider, costly_provider, record_events

Run = Callable[..., RunReport]
Write = Callable[..., Path]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _event(
    kind: EventType,
    data: JSONObject,
    *,
    elapsed: int | None = 0,
    scope: JSONObject | None = None,
    **metadata: str,
) -> Event:
    """A hand-made envelope, for shapes no example workflow produces yet (child scopes)."""
    meta: JSONObject = {"runId": "run_x", "workflowDepth": 0, **(scope or {}), **metadata}
    return Event(kind, data, meta, elapsed, 0)


def test_hello_run_folds_into_phases_agents_and_totals(run: Run) -> None:
    events = record_events(run, EXAMPLES / "hello.mjs")
    state = fold(events)
    assert state.run_id == events[0].metadata["runId"]
    assert state.status == "completed" and state.finished
    assert [(p.name, p.announced) for p in state.phases] == [("Greet", True), ("Summarise", True)]
    greet = state.phases[0]
    assert [a.title for a in state.agents_in(greet)] == ["formal", "casual"]
    assert greet.counts.completed == 2 and greet.counts.running == 0
    summary = state.agents_in(state.phases[1])[0]
    assert summary.label is None and summary.title.startswith("Combine these greetings")
    assert summary.provider == "debug" and summary.status == "completed"
    assert summary.ended_ns is not None and summary.ended_ns >= summary.started_ns
    assert state.counts.completed == 3 and state.counts.total == 3
    assert state.token_usage is not None
    assert state.usage.total == state.token_usage.total == 96
    assert state.usage.output_tokens == 51 and state.cost_usd == 0.0
    assert [m.message for m in state.logs] == ["spent 51 output tokens"]
    assert state.result is not None and state.error is None
    assert state.start_time is not None and state.start_time.endswith("Z")
    assert state.elapsed_ns == events[-1].elapsed_ns


def test_phases_an_agent_names_appear_without_phase_events(run: Run) -> None:
    state = fold(record_events(run, EXAMPLES / "pipeline.mjs"))
    assert [(p.name, p.announced) for p in state.phases] == [
        ("Draft", False),
        ("Review", False),
        (None, False),
    ]
    assert [p.counts.total for p in state.phases] == [3, 3, 3]
    assert state.phase("Draft") is state.phases[0]
    assert state.phase("nope") is None


def test_running_agents_are_tracked_until_they_finish(run: Run) -> None:
    events = record_events(run, EXAMPLES / "hello.mjs")
    state = RunState()
    first_completion = next(i for i, e in enumerate(events) if e.type is EventType.AGENT_COMPLETED)
    for event in events[:first_completion]:
        state.apply(event)
    greet = state.phases[0]
    assert state.status == "running" and not state.finished
    assert state.counts.running == 2 and list(greet.running_ids) == list(greet.agent_ids)
    agent = state.agents_in(greet)[0]
    assert agent.elapsed_ns(agent.started_ns + 5_000) == 5_000
    assert agent.ended_ns is None and agent.usage is None
    state.apply(events[first_completion])
    assert state.counts.running == 1 and state.counts.completed == 1
    assert len(greet.running_ids) == 1


def test_a_failed_agent_keeps_its_message_and_fails_the_run(write_script: Write, run: Run) -> None:
    script = write_script(
        "phase('Work')\n"
        "const ok = await agent('fine', { label: 'fine one' })\n"
        "const caught = await agent('boom soft', { label: 'soft' }).catch(() => 'caught')\n"
        "await agent('boom hard', { label: 'hard' })\n"
    )
    state = fold(record_events(run, script, providers={"debug": FailingProvider()}))
    work = state.phases[0]
    assert work.counts.completed == 1 and work.counts.failed == 2
    assert [state.agents[i].label for i in work.failed_ids] == ["soft", "hard"]
    hard = state.agents[work.failed_ids[1]]
    assert hard.status == "failed" and hard.error is not None and "boom hard" in hard.error
    assert state.status == "failed"
    assert state.error is not None and "boom hard" in state.error
    assert state.result is None


def test_usage_sums_cache_tokens_and_cost(write_script: Write, run: Run) -> None:
    script = write_script("await parallel([() => agent('a'), () => agent('b')])\n")
    state = fold(record_events(run, script, providers={"debug": costly_provider()}))
    assert state.usage.cache_read_tokens == 10 and state.usage.cache_write_tokens == 6
    assert state.usage.total == 2 * (10 + 20 + 3)
    assert state.cost_usd == pytest.approx(0.5)
    assert state.phases[0].name is None
    assert state.phases[0].usage == state.usage


def test_resumed_agents_are_marked_replayed(write_script: Write, run: Run) -> None:
    script = write_script("const a = await agent('one')\nexport default [a, await agent('boom')]\n")
    first = fold(record_events(run, script, providers={"debug": FailingProvider()}))
    assert first.status == "failed" and first.run_id is not None
    write_script("const a = await agent('one')\nexport default [a, await agent('two')]\n")
    state = fold(record_events(run, script, resume_run_id=first.run_id))
    replayed = [a for a in state.agents.values() if a.replayed]
    assert [a.prompt_preview for a in replayed] == ["one"]
    assert state.counts.replayed == 1 and state.counts.completed == 2
    assert state.status == "completed"


def test_warnings_and_logs_are_kept_apart_in_order(write_script: Write, run: Run) -> None:
    script = write_script(
        "log('first')\n"
        "await parallel([() => Promise.reject(new Error('bad task')), () => 1])"
        ".catch(() => null)\n"
        "log('second')\n"
    )
    state = fold(record_events(run, script))
    assert [m.message for m in state.logs] == ["first", "second"]
    assert all(m.kind == "warning" for m in state.warnings)
    assert all(m.kind == "log" and m.depth == 0 for m in state.logs)


def test_phase_options_are_kept_and_repeated_names_merge() -> None:
    state = fold(
        [
            _event(EventType.STARTED, {"startTime": "t"}, elapsed=None),
            _event(EventType.PHASE, {"name": "A", "options": {"n": 1}}),
            _event(EventType.PHASE, {"name": "B"}),
            _event(EventType.PHASE, {"name": "A", "options": "again"}),
        ]
    )
    assert [p.name for p in state.phases] == ["A", "B"]
    assert state.phases[0].options == "again" and state.phases[0].has_options
    assert not state.phases[1].has_options


def test_cancelled_runs_are_told_apart_from_failures() -> None:
    cancelled = fold([_event(EventType.ERROR, {"message": "workflow cancelled"})])
    assert cancelled.status == "cancelled"
    flagged = fold([_event(EventType.ERROR, {"message": "stop", "status": "cancelled"})])
    assert flagged.status == "cancelled"
    failed = fold([_event(EventType.ERROR, {"message": "boom", "details": {"line": 3}})])
    assert failed.status == "failed" and failed.error_details == {"line": 3}


def test_child_workflow_scopes_do_not_finish_the_run() -> None:
    child: JSONObject = {"workflowDepth": 1, "parentStepId": "step_parent1"}
    state = fold(
        [
            _event(EventType.STARTED, {"startTime": "root"}, elapsed=None),
            _event(EventType.PHASE, {"name": "Plan"}),
            _event(EventType.STARTED, {"startTime": "child"}, scope=child),
            _event(EventType.PHASE, {"name": "Plan"}, scope=child),
            _event(
                EventType.AGENT_STARTED,
                {"phase": "Plan", "promptPreview": "p"},
                stepId="s1",
                scope=child,
            ),
            _event(EventType.LOG, {"message": "in child"}, scope=child),
            _event(
                EventType.RESULT, {"tokenUsage": {"outputTokens": 4}, "results": 1}, scope=child
            ),
        ]
    )
    assert state.status == "running" and state.result is None
    assert [(p.name, p.depth, p.parent_step_id) for p in state.phases] == [
        ("Plan", 0, None),
        ("Plan", 1, "step_parent1"),
    ]
    assert state.phase("Plan", "step_parent1") is state.phases[1]
    assert state.agents["s1"].depth == 1 and state.agents["s1"].parent_step_id == "step_parent1"
    assert state.scopes["step_parent1"].status == "completed"
    assert state.scopes["step_parent1"].token_usage == Usage(output_tokens=4)
    assert state.scopes[None].start_time == "root" and state.start_time == "root"
    assert state.max_depth == 1
    assert state.logs[0].parent_step_id == "step_parent1"


def test_agent_events_are_counted_and_a_midway_stream_still_folds() -> None:
    state = fold(
        [
            _event(EventType.AGENT_STARTED, {"phase": None, "promptPreview": "p"}, stepId="s1"),
            _event(EventType.AGENT_EVENT, {"providerEvent": {}}, stepId="s1", sessionId="sess"),
            _event(EventType.AGENT_EVENT, {"providerEvent": {}}, stepId="unknown"),
            _event(
                EventType.AGENT_COMPLETED, {"usage": {"outputTokens": 2}}, elapsed=9, stepId="s2"
            ),
            _event(EventType("workflow.agent_event"), {}, stepId="s1"),
        ]
    )
    assert state.agents["s1"].event_count == 2 and state.agents["s1"].session_id == "sess"
    orphan = state.agents["s2"]
    assert orphan.status == "completed" and orphan.usage == Usage(output_tokens=2)
    assert orphan.title == "" and orphan.elapsed_ns() == 0
    assert state.counts.completed == 1 and state.counts.running == 1
    assert state.event_count == 5


def test_a_restarted_step_is_counted_once_and_keeps_what_its_failed_attempt_cost() -> None:
    started: JSONObject = {"phase": "P", "promptPreview": "p"}
    state = fold(
        [
            _event(EventType.AGENT_STARTED, started, stepId="s1"),
            _event(
                EventType.AGENT_FAILED, {"message": "x", "usage": {"outputTokens": 3}}, stepId="s1"
            ),
            _event(EventType.AGENT_STARTED, {**started, "phase": "Q"}, stepId="s1"),
            _event(EventType.AGENT_COMPLETED, {"usage": {"outputTokens": 5}}, stepId="s1"),
        ]
    )
    p, q = state.phases
    assert (p.counts.total, p.agent_ids, p.failed_ids) == (0, [], [])
    assert (q.counts.completed, q.agent_ids) == (1, ["s1"])
    assert state.counts.total == 1 and state.usage.output_tokens == 3 + 5
    assert (p.usage.output_tokens, q.usage.output_tokens) == (3, 5)
    assert state.agents["s1"].spent == Usage(output_tokens=8, total_tokens=8)


def test_a_queued_agent_waits_in_its_place_until_it_starts() -> None:
    started: JSONObject = {"phase": "Fan", "promptPreview": "p"}
    state = fold(
        [
            _event(EventType.AGENT_STARTED, {**started, "label": "a"}, elapsed=1, stepId="a"),
            _event(EventType.AGENT_QUEUED, {**started, "label": "b"}, elapsed=2, stepId="b"),
            _event(EventType.AGENT_QUEUED, {**started, "label": "c"}, elapsed=2, stepId="c"),
            _event(EventType.AGENT_COMPLETED, {}, elapsed=5, stepId="a"),
            _event(EventType.AGENT_STARTED, {**started, "label": "b"}, elapsed=6, stepId="b"),
        ]
    )
    fan = state.phases[0]
    assert [a.label for a in state.agents_in(fan)] == ["a", "b", "c"]
    assert [a.status for a in state.agents_in(fan)] == ["completed", "running", "queued"]
    assert list(fan.queued_ids) == ["c"] and list(fan.running_ids) == ["b"]
    assert (fan.counts.queued, fan.counts.running, fan.counts.done, fan.counts.total) == (
        1,
        1,
        1,
        3,
    )
    assert state.counts.unfinished == 2
    b = state.agents["b"]
    assert (b.queued_ns, b.started_ns) == (2, 6)


def test_a_queued_agent_a_budget_cap_refused_is_failed() -> None:
    state = fold(
        [
            _event(EventType.AGENT_QUEUED, {"phase": None, "promptPreview": "p"}, stepId="q"),
            _event(EventType.AGENT_FAILED, {"message": "cap reached"}, stepId="q"),
        ]
    )
    assert state.agents["q"].status == "failed" and state.agents["q"].error == "cap reached"
    assert (state.counts.queued, state.counts.failed) == (0, 1)


def test_a_sleep_shows_under_its_phase_until_it_wakes() -> None:
    sleeping = _event(
        EventType.SLEEP_STARTED,
        {"durationMs": 8000, "remainingMs": 5000},
        elapsed=1_000_000_000,
        stepId="s1",
    )
    state = fold(
        [
            _event(EventType.STARTED, {"startTime": "t"}, elapsed=None),
            _event(EventType.PHASE, {"name": "Wait"}),
            sleeping,
        ]
    )
    (sleep,) = state.sleeps_in(state.phases[0])
    assert (sleep.duration_ms, sleep.wake_ns) == (8000, 6_000_000_000)
    assert sleep.left_ns(2_000_000_000) == 4_000_000_000 and sleep.left_ns(9**12) == 0
    state.apply(_event(EventType.SLEEP_COMPLETED, {"durationMs": 8000}, stepId="s1"))
    assert state.sleeping == {}


def test_a_run_that_ends_mid_sleep_sleeps_no_more() -> None:
    state = fold(
        [
            _event(EventType.SLEEP_STARTED, {"durationMs": 60_000}, stepId="s1"),
            _event(EventType.ERROR, {"message": "workflow cancelled", "status": "cancelled"}),
        ]
    )
    assert state.sleeping == {} and state.status == "cancelled"


def test_tasks_that_threw_are_counted(write_script: Write, run: Run) -> None:
    script = write_script(
        "const r = await parallel([() => { throw new TypeError('no such field') }, "
        "() => agent('fine'), () => Promise.reject(new Error('gave up'))])\n"
        "export default r\n"
    )
    state = fold(record_events(run, script))
    assert state.task_errors == 2
    assert [m.message for m in state.task_warnings()] == [
        "parallel task 0 failed: TypeError: no such field",
        "parallel task 2 failed: gave up",
    ]


def test_children_are_named_by_their_workflow_and_the_end_of_their_step_id() -> None:
    first: JSONObject = {"workflowDepth": 1, "parentStepId": "step_01m94aaaaaaa1k3x"}
    second: JSONObject = {"workflowDepth": 1, "parentStepId": "step_01m94aaaaaaa9z2q"}
    state = fold(
        [
            _event(EventType.STARTED, {"startTime": "t"}, elapsed=None),
            _event(EventType.STARTED, {"startTime": "t", "name": "review"}, scope=first),
            _event(EventType.STARTED, {"startTime": "t", "name": "review"}, scope=second),
        ]
    )
    assert state.scope_label(None) == "root"
    assert state.scope_label("step_01m94aaaaaaa1k3x") == "review·1k3x"
    assert state.scope_label("step_01m94aaaaaaa9z2q") == "review·9z2q"
    assert state.scope_label("step_unseen0000abcd") == "child·abcd"


def test_a_phase_stays_open_until_its_workflow_moves_on(run: Run) -> None:
    events = record_events(run, EXAMPLES / "hello.mjs")
    state = RunState()
    second_phase = next(
        i for i, e in enumerate(events) if e.type == EventType.PHASE and e.fields["name"] != "Greet"
    )
    for event in events[:second_phase]:
        state.apply(event)
    greet = state.phases[0]
    assert greet.counts.done == greet.counts.total == 2 and state.phase_open(greet)
    state.apply(events[second_phase])
    assert not state.phase_open(greet) and state.phase_open(state.phases[1])
    for event in events[second_phase + 1 :]:
        state.apply(event)
    assert not any(state.phase_open(phase) for phase in state.phases)


def test_requests_to_a_person_are_pending_until_answered(
    write_script: Write, run: Run, db: Path
) -> None:
    script = write_script(
        "import { requestApproval, waitForSignal } from 'workflow:human'\n"
        "export default await parallel([\n"
        "  () => requestApproval('Ship it?', { label: 'ship', timeout: 60000 }),\n"
        "  () => waitForSignal('go'),\n"
        "])\n"
    )
    waiting = fold(record_events(run, script, on_wait="exit"))
    assert waiting.status == "running"
    assert [(r.kind, r.title, r.status) for r in waiting.waiting_for] == [
        ("approval", "ship", "pending"),
        ("signal", "go", "pending"),
    ]
    ship = waiting.waiting_for[0]
    assert ship.message == "Ship it?" and ship.deadline is not None
    assert ship.commands[0].startswith(f"smol-wf approve {waiting.run_id} {ship.request_id}")
    assert waiting.run_id is not None
    answer(db, Reply(waiting.run_id, "ship", Decision(False, "not today"), "bob"))
    answer(db, Reply(waiting.run_id, "go", Payload(1), "ci"))
    run(script, resume_run_id=waiting.run_id)
    with closing(sqlite3.connect(db)) as conn:
        history = History(conn, db)
        state = fold(parse_lines(history.events(waiting.run_id)))
    assert state.waiting_for == []
    assert [(r.title, r.status, r.by, r.note) for r in state.requests.values()] == [
        ("ship", "denied", "bob", "not today"),
        ("go", "received", "ci", None),
    ]
