"""The live progress view as a user sees it: real runs drawn into a recording console."""

from __future__ import annotations

import io
import json
import signal
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console, RenderableType
from rich.segment import Segment

from smolwf import RunReport
from smolwf.cli.live_figures import format_duration, format_tokens
from smolwf.cli.live_view import LiveProgressSink
from smolwf.events.types import Event, EventType
from smolwf.jsontypes import JSONObject
from smolwf.providers.debug import DebugProvider
from smolwf.usage import Usage
from tests.conftest import smol_wf_command
from tests.event_streams import FailingProvider, costly_provider, record_events
from tests.fakes import RecordingProvider

Run = Callable[..., RunReport]
Write = Callable[..., Path]
Cli = Callable[..., subprocess.CompletedProcess[str]]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PLAIN_HELLO = "[phase] Greet\n[phase] Summarise\n[log] spent 51 output tokens\n"


def _console(*, terminal: bool = True) -> Console:
    return Console(file=io.StringIO(), force_terminal=terminal, width=100, record=True)


class Clock:
    """A hand-moved monotonic clock, so elapsed times are exact without sleeping."""

    def __init__(self) -> None:
        self.ns = 1_000_000_000

    def __call__(self) -> int:
        return self.ns


def _sink(
    console: Console, *, budget_total: int | None = None, clock: Clock | None = None
) -> LiveProgressSink:
    """A sink that redraws on ``flush`` only, so each frame is deterministic."""
    return LiveProgressSink(
        console, budget_total=budget_total, auto_refresh=False, clock=clock or Clock()
    )


def _feed(sink: LiveProgressSink, events: list[Event]) -> None:
    for event in events:
        sink.emit(event, event.to_json_text())
    sink.flush()


def _frame_text(sink: LiveProgressSink) -> str:
    """The live area as plain text, as it would be drawn right now."""
    console = _console()
    console.print(sink.renderable())
    return console.export_text()


def _segments(renderable: RenderableType) -> Iterator[Segment]:
    yield from _console().render(renderable)


def test_phases_agents_and_totals_of_a_real_run_are_drawn(run: Run) -> None:
    sink = _sink(_console(), budget_total=100)
    _feed(sink, record_events(run, EXAMPLES / "hello.mjs"))
    frame = _frame_text(sink)
    assert "✓ completed" in frame
    assert frame.index("Greet") < frame.index("formal") < frame.index("Summarise")
    assert "casual" in frame and "Combine these greetings" in frame
    assert "Greet  2/2 done · 40 tok" in frame
    assert "agents 3 done · 0 running · 0 failed" in frame
    assert "96 tok (in 45 · out 51)" in frame
    assert "budget 51/100 out" in frame
    assert "debug" in frame


def test_a_request_to_a_person_shows_the_command_that_answers_it(
    write_script: Write, run: Run
) -> None:
    console = _console()
    sink = _sink(console)
    script = write_script(
        "import { requestApproval } from 'workflow:human'\n"
        "export default await requestApproval('Ship it?\\nTwelve fixes.', { label: 'ship' })\n"
    )
    _feed(sink, record_events(run, script, on_wait="exit"))
    frame = _frame_text(sink)
    assert f"⏸ approval ship  smol-wf approve {sink.state.run_id} req_" in frame
    sink.close()
    above = console.export_text().split("\n")[0]
    assert above.startswith("[approval] ship: Ship it? … — answer: smol-wf approve ")
    assert f" | smol-wf deny {sink.state.run_id} req_" in above


def test_logs_scroll_above_the_live_area_and_the_summary_follows(run: Run) -> None:
    console = _console()
    sink = _sink(console)
    _feed(sink, record_events(run, EXAMPLES / "hello.mjs"))
    assert "[log]" not in _frame_text(sink)
    sink.close()
    sink.close()
    shown = console.export_text()
    assert shown.count("[log] spent 51 output tokens") == 1
    summary = shown.index("✓ completed in")
    assert shown.index("[log] spent 51 output tokens") < summary
    assert shown.count("✓ completed in") == 1
    after = shown[summary:]
    assert "2 phases · 3 agents · 96 tok (in 45 · out 51)" in after
    assert "Greet  2 agents · 40 tok" in after and "Summarise  1 agent · 56 tok" in after
    assert "run run_" in after


def test_a_failed_agent_is_red_in_the_tree_and_listed_in_the_summary(
    write_script: Write, run: Run
) -> None:
    script = write_script(
        "phase('Work')\n"
        "await agent('fine', { label: 'fine one' })\n"
        "await agent('boom now', { label: 'hard case' })\n"
    )
    console = _console()
    sink = _sink(console)
    _feed(sink, record_events(run, script, providers={"debug": FailingProvider()}))
    red = [
        s.text
        for s in _segments(sink.renderable())
        if s.style is not None and s.style.color is not None and s.style.color.name == "red"
    ]
    assert any("hard case" in text for text in red)
    assert any("provider exploded" in text for text in red)
    assert not any("fine one" in text for text in red)
    assert "1 failed" in _frame_text(sink) and "✗ failed" in _frame_text(sink)
    sink.close()
    shown = console.export_text()
    summary = shown[shown.rfind("✗ failed in ") :]
    assert "2 agents (1 failed)" in summary.splitlines()[0]
    assert "✗ hard case: provider exploded on 'boom now'" in summary


def test_replayed_agents_are_marked(write_script: Write, run: Run) -> None:
    script = write_script("const a = await agent('one')\nexport default [a, await agent('boom')]\n")
    first = record_events(run, script, providers={"debug": FailingProvider()})
    run_id = first[0].metadata["runId"]
    write_script("const a = await agent('one')\nexport default [a, await agent('two')]\n")
    sink = _sink(_console())
    _feed(sink, record_events(run, script, resume_run_id=run_id))
    frame = _frame_text(sink)
    assert "↺ one (replayed)" in frame
    assert "✓ two" in frame and "two (replayed)" not in frame
    assert "· 1 replayed" in frame


def test_cost_and_cache_tokens_are_shown(write_script: Write, run: Run) -> None:
    script = write_script("await parallel([() => agent('a'), () => agent('b')])\n")
    sink = _sink(_console())
    _feed(sink, record_events(run, script, providers={"debug": costly_provider()}))
    frame = _frame_text(sink)
    assert "(no phase)" in frame
    assert "66 tok (in 20 · out 40 · cache 16)" in frame
    assert "$0.5000" in frame and "$0.2500" in frame


def test_an_estimated_cost_is_marked_with_a_tilde(write_script: Write, run: Run) -> None:
    script = write_script("export default await agent('hi', { provider: 'codex', model: 'gpt-5' })")
    codex = RecordingProvider(name="codex", usage=Usage(input_tokens=1000, output_tokens=100))
    sink = _sink(_console())
    _feed(sink, record_events(run, script, providers={"codex": codex}))
    frame = _frame_text(sink)
    (row,) = [line for line in frame.splitlines() if "codex/gpt-5" in line]
    assert " ~$0.0" in row
    assert " │ ~$0.0" in frame.splitlines()[-1]


def test_an_answer_from_the_cache_is_marked_cached(write_script: Write, run: Run) -> None:
    script = write_script("export default await agent('same question', { label: 'ask' })")
    run(script, cache=True)
    sink = _sink(_console())
    _feed(sink, record_events(run, script, cache=True))
    frame = _frame_text(sink)
    assert "↺ ask (cached)" in frame and "(replayed)" not in frame


def test_running_agents_spin_and_count_their_elapsed_time(run: Run) -> None:
    # As if the agents started the moment the run did: a slow machine's real start-up
    # time would otherwise show in their elapsed time.
    events = [
        replace(event, elapsed_ns=None if event.elapsed_ns is None else 0)
        for event in record_events(run, EXAMPLES / "hello.mjs")
    ]
    clock = Clock()
    sink = _sink(_console(), clock=clock)
    started = [e for e in events if e.type is EventType.AGENT_STARTED]
    _feed(sink, events[: events.index(started[1]) + 1])
    clock.ns += 2_500_000_000
    frame = _frame_text(sink)
    assert "● running" in frame
    assert "0/2 done · 2 running" in frame
    assert frame.count("debug 2.5s") == 2
    assert "2.5s │ agents 0 done · 2 running" in frame
    assert "⠋ formal" in frame


def _agent_events(count: int, running: int, phase: str = "Fan out") -> list[Event]:
    """A synthetic stream of a wide fan-out: ``count`` agents, the last ``running`` unfinished."""
    meta: JSONObject = {"runId": "run_big", "workflowDepth": 0}
    events = [Event(EventType.STARTED, {"startTime": "t"}, meta, None, 0)]
    for i in range(count):
        step: JSONObject = {**meta, "stepId": f"step_{phase}_{i}", "provider": "debug"}
        data: JSONObject = {"phase": phase, "promptPreview": f"task {i}", "label": f"task {i}"}
        events.append(Event(EventType.AGENT_STARTED, data, step, i, len(events)))
        if i < count - running:
            kind = EventType.AGENT_COMPLETED
            body: JSONObject = {"usage": {"inputTokens": 1, "outputTokens": 2}}
            if i % 1000 == 7:
                kind, body = EventType.AGENT_FAILED, {"message": f"task {i} broke"}
            events.append(Event(kind, body, step, i + 1, len(events)))
    return events


def test_ten_thousand_agents_collapse_to_the_running_ones_and_counts() -> None:
    sink = _sink(_console())
    _feed(sink, _agent_events(10_000, running=20))
    frame = _frame_text(sink)
    assert len(frame.splitlines()) < 20
    assert "Fan out  9,980/10,000 done · 20 running · 10 failed" in frame
    assert "task 9980" in frame and "task 9987" in frame and "task 9988" not in frame
    assert "task 9007" in frame and "task 7007" in frame and "task 6007" not in frame
    assert "… 9,989 more (9,970 completed, 12 running, 7 failed)" in frame
    assert "agents 9,980 done · 20 running · 10 failed" in frame


def test_many_phases_fold_the_old_finished_ones() -> None:
    events: list[Event] = []
    for n in range(30):
        events.extend(_agent_events(2, running=0, phase=f"P{n}")[1:])
    sink = _sink(_console())
    _feed(sink, events)
    frame = _frame_text(sink)
    assert "… 18 earlier phases done (36 agents)" in frame
    assert "P17 " not in frame and "P18 " in frame and "P29 " in frame


def test_a_terminal_free_console_gets_only_logs_and_the_summary(run: Run) -> None:
    console = _console(terminal=False)
    sink = LiveProgressSink(console)
    _feed(sink, record_events(run, EXAMPLES / "hello.mjs"))
    sink.close()
    lines = console.export_text().splitlines()
    assert lines[0] == "[log] spent 51 output tokens"
    assert lines[1].startswith("✓ completed in ")
    assert "└──" not in console.export_text()


def test_closing_before_any_event_prints_nothing() -> None:
    console = _console()
    sink = _sink(console)
    sink.close()
    sink.emit(Event(EventType.LOG, {"message": "late"}, {}, 0, 0), "")
    assert console.export_text() == ""


@pytest.mark.parametrize(
    ("ns", "text"), [(400_000_000, "0.4s"), (125_000_000_000, "2m05s"), (3_720 * 10**9, "1h02m")]
)
def test_durations_read_naturally(ns: int, text: str) -> None:
    assert format_duration(ns) == text


def test_token_counts_stay_exact_until_large() -> None:
    assert [format_tokens(n) for n in (987, 12_345, 123_456, 1_234_567)] == [
        "987",
        "12,345",
        "123.5k",
        "1.2M",
    ]


# ---- the CLI ------------------------------------------------------------------------


def test_progress_plain_keeps_todays_lines(cli: Cli, db: Path) -> None:
    default = cli("run", EXAMPLES / "hello.mjs", "--db", db)
    plain = cli("run", EXAMPLES / "hello.mjs", "--db", db, "--progress", "plain")
    assert default.returncode == plain.returncode == 0
    assert default.stderr == plain.stderr == PLAIN_HELLO


def test_progress_live_without_a_terminal_degrades_to_logs_and_a_summary(
    cli: Cli, db: Path
) -> None:
    done = cli("run", EXAMPLES / "hello.mjs", "--db", db, "--progress", "live")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tokenUsage"]["totalTokens"] == 96
    lines = done.stderr.splitlines()
    assert lines[0] == "[log] spent 51 output tokens"
    assert lines[1].startswith("✓ completed in ") and "3 agents" in lines[1]
    assert "Traceback" not in done.stderr and "\x1b[" not in done.stderr


def test_events_keep_stderr_empty_even_with_live_progress(cli: Cli, db: Path) -> None:
    done = cli("run", EXAMPLES / "hello.mjs", "--db", db, "--events", "--progress", "live")
    assert done.returncode == 0 and done.stderr == ""
    assert json.loads(done.stdout.splitlines()[-1])["type"] == "workflow.result"


def test_an_unknown_progress_mode_is_a_usage_error(cli: Cli, db: Path) -> None:
    done = cli("run", EXAMPLES / "hello.mjs", "--db", db, "--progress", "fancy")
    assert done.returncode == 2 and "fancy" in done.stderr


def test_a_failed_run_prints_the_summary_then_the_error(
    write_script: Write, cli: Cli, db: Path
) -> None:
    script = write_script("await agent('one')\nthrow new Error('script gave up')\n")
    done = cli("run", script, "--db", db, "--progress", "live")
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines[0].startswith("✗ failed in ") and "1 agent" in lines[0]
    errors = [i for i, line in enumerate(lines) if line.startswith("error: ")]
    assert errors and errors[0] > 0 and "script gave up" in lines[errors[0]]
    assert "Traceback" not in done.stderr


def test_ctrl_c_closes_the_live_view_with_a_cancelled_summary(
    write_script: Write, db: Path, tmp_path: Path
) -> None:
    script = write_script(
        "import { sleep } from 'workflow:extra'\n"
        "phase('Wait')\nawait agent('before the pause')\nlog('ready')\nawait sleep(600000)\n"
    )
    process = subprocess.Popen(
        [*smol_wf_command(), "run", str(script), "--db", str(db), "--progress", "live"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    assert process.stderr is not None
    assert process.stderr.readline() == "[log] ready\n"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "■ cancelled in " in stderr and "Wait  1 agent" in stderr
    error, hint = stderr.rstrip().splitlines()[-2:]
    assert error == "error: workflow cancelled"
    assert hint.startswith("run run_") and " was cancelled; resume it with: smol-wf run " in hint
    assert "Traceback" not in stderr


# ---- drawing at a bounded rate ------------------------------------------------------


def _logs(count: int) -> list[Event]:
    meta: JSONObject = {"runId": "run_logs", "workflowDepth": 0}
    started = Event(EventType.STARTED, {"startTime": "t"}, meta, None, 0)
    lines = [Event(EventType.LOG, {"message": f"line {i}"}, meta, i, i + 1) for i in range(count)]
    return [started, *lines]


def test_events_draw_nothing_until_the_next_frame() -> None:
    console = _console()
    sink = _sink(console)
    for event in _logs(10_000):
        sink.emit(event, "")
    assert console.export_text(clear=False) == ""
    sink.flush()
    shown = console.export_text()
    assert shown.count("[log] line ") == 10_000
    assert shown.count("│ agents") == 1  # one frame for the whole batch, not one per line


def test_the_summary_counts_the_time_the_lines_took_to_show() -> None:
    clock = Clock()
    console = _console()
    sink = _sink(console, clock=clock)
    _feed(sink, _logs(3))
    clock.ns += 7_000_000_000
    sink.close()
    assert "■ stopped in 7.0s" in console.export_text()


# ---- what a run is waiting for ------------------------------------------------------

FAN_OUT = (
    "phase('Fan out')\n"
    "export default await parallel(['a', 'b', 'c'].map((x) => () => agent('task ' + x, "
    "{ label: 'task ' + x })))\n"
)


def test_queued_agents_are_listed_and_counted(write_script: Write, run: Run) -> None:
    slow = DebugProvider(env={"SMOLWF_DEBUG_DELAY_MS": "20"})
    events = record_events(
        run, write_script(FAN_OUT), max_parallel_agents=1, providers={"debug": slow}
    )
    first_done = next(i for i, e in enumerate(events) if e.type is EventType.AGENT_COMPLETED)
    sink = _sink(_console())
    _feed(sink, events[:first_done])
    frame = _frame_text(sink)
    assert "Fan out  0/3 done · 1 running · 2 queued" in frame
    assert "◌ task b" in frame and "◌ task c" in frame and "queued" in frame
    assert "agents 0 done · 1 running · 2 queued · 0 failed" in frame


def test_an_open_phase_does_not_claim_to_be_done(run: Run) -> None:
    events = record_events(run, EXAMPLES / "hello.mjs")
    next_phase = next(
        i for i, e in enumerate(events) if e.type is EventType.PHASE and e.fields["name"] != "Greet"
    )
    sink = _sink(_console())
    _feed(sink, events[:next_phase])
    assert "Greet  2 done · 40 tok" in _frame_text(sink)  # more agents may come
    _feed(sink, events[next_phase:])
    assert "Greet  2/2 done · 40 tok" in _frame_text(sink)  # the workflow moved on


def test_a_sleep_shows_how_long_is_left() -> None:
    meta: JSONObject = {"runId": "run_nap", "workflowDepth": 0}
    clock = Clock()
    sink = _sink(_console(), clock=clock)
    sleeping: JSONObject = {"durationMs": 300_000, "remainingMs": 300_000}
    _feed(
        sink,
        [
            Event(EventType.STARTED, {"startTime": "t"}, meta, None, 0),
            Event(EventType.PHASE, {"name": "Wait"}, meta, 0, 1),
            Event(EventType.SLEEP_STARTED, sleeping, {**meta, "stepId": "s1"}, 0, 2),
        ],
    )
    clock.ns += 61_000_000_000
    frame = _frame_text(sink)
    assert "Wait" in frame and "⏾ sleep 5m00s · 3m59s left" in frame
    assert "· 1 sleeping" in frame


def test_the_summary_notes_failed_and_unfinished_agents_once() -> None:
    console = _console()
    sink = _sink(console)
    _feed(sink, _agent_events(10, running=2))
    sink.close()
    shown = console.export_text()
    head = shown[shown.index("■ stopped in") :].splitlines()[0]
    assert "10 agents (1 failed, 2 unfinished) ·" in head
    assert ") (" not in head


def test_tasks_that_threw_are_counted_and_listed(write_script: Write, run: Run) -> None:
    script = write_script(
        "phase('Work')\n"
        "const r = await parallel([() => { throw new TypeError('no such field') }, "
        "() => agent('fine')])\n"
        "export default r\n"
    )
    console = _console()
    sink = _sink(console)
    _feed(sink, record_events(run, script))
    assert "│ 1 task error │" in _frame_text(sink)
    sink.close()
    shown = console.export_text()
    summary = shown[shown.index("✓ completed in") :]
    assert "1 agent · 1 task error ·" in summary.splitlines()[0]
    assert "✗ parallel task 0 failed: TypeError: no such field" in summary


def test_a_child_workflows_phases_name_the_child() -> None:
    root: JSONObject = {"runId": "run_kids", "workflowDepth": 0}
    child: JSONObject = {**root, "workflowDepth": 1, "parentStepId": "step_01m94aaaaaaa1k3x"}
    started: JSONObject = {"startTime": "t", "name": "review"}
    sink = _sink(_console())
    _feed(
        sink,
        [
            Event(EventType.STARTED, {"startTime": "t"}, root, None, 0),
            Event(EventType.STARTED, started, child, 1, 1),
            Event(EventType.PHASE, {"name": "Read"}, child, 2, 2),
        ],
    )
    assert "↳ review·1k3x Read" in _frame_text(sink)
