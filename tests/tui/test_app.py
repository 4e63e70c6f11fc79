"""Pilot tests of the watch app: keys, panes and pacing, as a user drives them."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest
from textual.binding import Binding
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from smolwf.engine.config import RunConfig
from smolwf.errors import ScriptError
from smolwf.providers.base import AgentRequest, AgentResult, ProviderEventSink
from smolwf.tui.app import LiveSource, WatchApp
from smolwf.tui.keys import KEYS, KeysScreen
from smolwf.tui.summary import Outcome
from smolwf.tui.widgets import QuitScreen
from tests.tui.apps import FakeClock, replay_app
from tests.tui.streams import (
    children_stream,
    event,
    pipeline_stream,
    reference_fixture,
    waiting_stream,
)

pytestmark = pytest.mark.anyio


def text_of(app: WatchApp, widget_id: str) -> str:
    return str(app.query_one(f"#{widget_id}", Static).render())


def timeline(app: WatchApp) -> OptionList:
    return app.query_one("#timeline", OptionList)


async def test_replay_starts_paused_and_space_plays_at_the_recorded_pace() -> None:
    clock = FakeClock()
    app = replay_app(pipeline_stream(), clock)
    async with app.run_test() as pilot:
        assert text_of(app, "status") == "• REPLAY PAUSED 1x 0/9"
        await pilot.press("space")
        assert len(app.events) == 1
        clock.now = 0.009
        app.tick()
        assert len(app.events) == 1
        clock.now = 0.010  # phase at 10ms
        app.tick()
        assert len(app.events) == 2
        clock.now = 0.030  # log at 30ms
        app.tick()
        assert len(app.events) == 3
        clock.now = 0.080  # the next gap (970ms) is capped at 50ms
        app.tick()
        assert len(app.events) == 4
        assert text_of(app, "status") == "▶ REPLAY PLAYING 1x 4/9"


async def test_pause_then_step_reveals_one_event_at_a_time() -> None:
    clock = FakeClock()
    app = replay_app(pipeline_stream(), clock)
    async with app.run_test() as pilot:
        await pilot.press("space", "space")
        clock.now = 10.0
        app.tick()
        assert len(app.events) == 1
        await pilot.press("n", "n")
        assert len(app.events) == 3
        assert "REPLAY PAUSED" in text_of(app, "status")
        await pilot.press(*["n"] * 6)
        assert text_of(app, "status") == "✓ REPLAY DONE 9/9"
        assert "+in 6 +out 10" in text_of(app, "info")


async def test_speed_keys_change_the_pace() -> None:
    app = replay_app(pipeline_stream())
    async with app.run_test() as pilot:
        await pilot.press("plus", "plus")
        assert app.player is not None and app.player.speed == 4.0
        await pilot.press("minus")
        assert text_of(app, "status") == "• REPLAY PAUSED 2x 0/9"


async def test_agent_events_are_grouped_under_their_call() -> None:
    app = replay_app(pipeline_stream())
    async with app.run_test() as pilot:
        await pilot.press(*["n"] * 9)
        rows = [row.text for row in app.rows]
        assert rows[0] == "+00:00:00.000 workflow.started"
        assert rows[1:3] == [
            "+00:00:00.010 workflow.phase Draft",
            "+00:00:00.030 workflow.log checking caching",
        ]
        assert rows[3] == "+00:00:01.000 agent codex completed [Draft] session=sess-123 events=1"
        assert [r.strip() for r in rows[4:7]] == [
            "├─ started",
            "├─ item.completed drafted the caching note",
            "└─ completed",
        ]
        assert rows[7].endswith("agent debug completed [Draft] events=0")  # no session, ever
        assert rows[-1] == "+00:00:01.050 workflow.result"


async def test_a_replay_shows_what_was_asked_of_a_person_and_the_answer() -> None:
    step = {"stepId": "step_ask"}
    asked = {
        "requestId": "req_1",
        "message": "Apply the plan?",
        "label": "plan",
        "commands": ["smol-wf approve run_x req_1 --db db", "smol-wf deny run_x req_1 --db db"],
    }
    answered = {"requestId": "req_1", "label": "plan", "approved": False, "note": "not now"}
    answered |= {"by": "alice", "at": "2026-01-02T03:04:06.000Z"}
    app = replay_app(
        [
            event("workflow.started", {"startTime": "2026-01-02T03:04:05Z"}, None),
            event("workflow.approval_requested", asked, 10, **step),
            event("workflow.approval_resolved", answered, 900, **step),
        ]
    )
    async with app.run_test() as pilot:
        await pilot.press("n", "n")
        assert app.rows[1].text.endswith(
            "workflow.approval_requested [approval] plan: Apply the plan?"
        )
        assert "smol-wf deny run_x req_1 --db db" in app.detail_text
        await pilot.press("n")
        assert app.rows[2].text.endswith(
            "workflow.approval_resolved [approval] plan denied by alice: not now"
        )


async def test_selection_follows_new_events_and_keys_move_it() -> None:
    app = replay_app(pipeline_stream())
    async with app.run_test() as pilot:
        await pilot.press(*["n"] * 9)
        assert timeline(app).highlighted == len(app.rows) - 1
        assert text_of(app, "detail-body").startswith("result:")
        await pilot.press("k", "k", "up")
        assert timeline(app).highlighted == len(app.rows) - 4
        assert "completed" in app.rows[len(app.rows) - 4].text
        assert text_of(app, "detail-body").startswith(
            "agent started:"
        )  # a group row shows its first event
        assert app.timeline_title() == "¹timeline (5/9)"  # its first event, of all 9
        await pilot.press("j")
        assert timeline(app).highlighted == len(app.rows) - 3


async def test_p_and_r_switch_between_pretty_and_raw_views() -> None:
    app = replay_app(pipeline_stream())
    async with app.run_test() as pilot:
        await pilot.press("n", "n", "n")
        assert text_of(app, "detail-body") == "log +00:00:00.030\n\nchecking caching"
        await pilot.press("r")
        raw = json.loads(text_of(app, "detail-body"))
        assert raw["type"] == "workflow.log" and raw["elapsedNanos"] == 30_000_000
        await pilot.press("p")
        assert text_of(app, "detail-body").startswith("log ")


async def test_m_toggles_the_metadata_overlay() -> None:
    app = replay_app(pipeline_stream())
    async with app.run_test() as pilot:
        await pilot.press("n")
        meta = app.query_one("#meta", Static)
        assert meta.display
        assert text_of(app, "meta").splitlines()[:3] == [
            "type: workflow.started",
            "time: +00:00:00.000",
            "workflowDepth: 0",
        ]
        await pilot.press("m")
        assert not meta.display


async def test_tab_cycles_scopes_and_remembers_each_selection() -> None:
    app = replay_app(reference_fixture())
    async with app.run_test() as pilot:
        await pilot.press(*["n"] * 5)
        assert text_of(app, "tabs") == " root  child·0001 "  # the fixture's child has no name
        await pilot.press("k")
        await pilot.press("tab")
        assert app.tab == 1
        assert app.rows[0].text.endswith("  workflow.started child=child·0001")  # depth 1
        assert len([r for r in app.rows if r.header]) == 1
        await pilot.press("shift+tab")
        assert app.tab == 0
        assert timeline(app).highlighted == len(app.rows) - 2


async def test_replay_quits_on_q_without_asking() -> None:
    app = replay_app(pipeline_stream())
    async with app.run_test() as pilot:
        await pilot.press("q")
        assert app.return_code == 0


@dataclass
class BlockingProvider:
    """An agent that never answers: the run stays in flight until it is cancelled."""

    started: anyio.Event

    async def run(self, request: AgentRequest, events: ProviderEventSink) -> AgentResult:
        self.started.set()
        await anyio.sleep_forever()
        raise AssertionError("unreachable")


def live_app(
    write_script: object, db: Path, tmp_path: Path, body: str, **providers: object
) -> WatchApp:
    script = write_script(body)  # type: ignore[operator]
    config = RunConfig(script_path=script, db_path=db, providers=providers)  # type: ignore[arg-type]
    return WatchApp(LiveSource(config, tmp_path), tick_s=0.01)


async def wait_for(pilot: object, condition: object) -> None:
    with anyio.fail_after(10):
        while not condition():  # type: ignore[operator]
            await pilot.pause(0.01)  # type: ignore[attr-defined]


@contextlib.asynccontextmanager
async def ended(app: WatchApp) -> AsyncIterator[Pilot[int]]:
    """The app, driven, once its live run has ended and its last events are shown."""
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: app.outcome is not Outcome.RUNNING)
        await pilot.pause(0.05)
        yield pilot


async def test_quitting_a_live_run_cancels_it_and_keeps_it_resumable(
    write_script: object, db: Path, tmp_path: Path
) -> None:
    started = anyio.Event()
    app = live_app(
        write_script, db, tmp_path, "await agent('wait forever')", debug=BlockingProvider(started)
    )
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: any(e.type == "workflow.agent_started" for e in app.events))
        assert "LIVE RUNNING" in text_of(app, "status")
        await pilot.press("q")
        assert isinstance(app.screen, QuitScreen)
        await pilot.press("y")
        await wait_for(pilot, lambda: app.outcome is not Outcome.RUNNING)
    assert app.outcome is Outcome.CANCELLED
    assert app.run_error is not None and app.run_error.exit_code == 130
    status = sqlite3.connect(db).execute("SELECT status FROM runs").fetchone()[0]
    assert status == "cancelled"


async def test_save_and_quit_writes_the_events_as_jsonl(
    write_script: object, db: Path, tmp_path: Path
) -> None:
    app = live_app(write_script, db, tmp_path, "log('hi'); export default await agent('x')")
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: app.outcome is Outcome.COMPLETED and len(app.events) >= 5)
        await pilot.pause(0.05)
        assert "✓ LIVE DONE" in text_of(app, "status")
        assert "in the database · s saves a .jsonl copy" in text_of(app, "info")
        await pilot.press("q")
        assert isinstance(app.screen, QuitScreen)
        await pilot.press("s")
    assert app.saved_path is not None
    assert app.saved_path.parent == tmp_path and app.saved_path.name.startswith("run_")
    lines = app.saved_path.read_text().splitlines()
    assert [json.loads(line)["type"] for line in lines] == [
        "workflow.started",
        "workflow.log",
        "workflow.agent_started",
        "workflow.agent_completed",
        "workflow.result",
    ]


async def test_stay_keeps_the_app_open(write_script: object, db: Path, tmp_path: Path) -> None:
    app = live_app(write_script, db, tmp_path, "export default 1")
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: app.outcome is Outcome.COMPLETED)
        assert app.check_action("save", ()) and not app.check_action("step", ())  # footer keys
        await pilot.press("q", "n")
        assert not isinstance(app.screen, QuitScreen)
        await pilot.press("s")
        assert app.saved_path is not None and app.saved_path.exists()
        await pilot.press("q")  # saved: nothing to ask any more
    assert app.return_code == 0


@pytest.mark.parametrize("key", ["a", "d"], ids=["a-approves", "d-denies"])
async def test_a_and_d_answer_the_approval_a_live_run_waits_for(
    write_script: object, db: Path, tmp_path: Path, key: str
) -> None:
    body = (
        "import { requestApproval } from 'workflow:human'\n"
        "export default await requestApproval('Ship it?', { label: 'ship' })\n"
    )
    app = live_app(write_script, db, tmp_path, body)
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: app.state.waiting_for)
        assert "LIVE WAITING (a approves, d denies)" in text_of(app, "status")
        assert "smol-wf approve" in app.detail_text
        await pilot.press(key)
        await wait_for(pilot, lambda: app.outcome is Outcome.COMPLETED)
    result = json.loads(sqlite3.connect(db).execute("SELECT result_json FROM runs").fetchone()[0])
    assert result["result"]["approved"] is (key == "a")
    assert [r.status for r in app.state.requests.values()] == [
        "approved" if key == "a" else "denied"
    ]


# ---- tabs, keys, words ----------------------------------------------------------------


async def test_child_tabs_are_named_and_the_current_one_is_always_shown() -> None:
    app = replay_app(children_stream(["review", "review", "summarise-everything", "fix"]))
    async with app.run_test() as pilot:
        await pilot.press(*["n"] * 5)
        assert text_of(app, "tabs") == " root  review·0000 +3"
        await pilot.press("tab", "tab", "tab")
        assert app.tabs[app.tab] == "step_01m94aaaaa000000000002"
        assert text_of(app, "tabs") == "‹3  summaris…·0002  fix·0003 "


async def test_question_mark_lists_the_keys_of_the_mode_and_any_key_closes_it() -> None:
    app = replay_app(pipeline_stream())
    async with app.run_test() as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, KeysScreen)
        shown = str(app.screen.query_one("#keys-table", Static).render())
        assert "play / pause" in shown and "save the events" not in shown
        await pilot.press("x")
        assert not isinstance(app.screen, KeysScreen)
        assert app.return_code is None  # the key closed the list, nothing else


def test_the_key_list_names_every_key_the_app_binds() -> None:
    listed = " ".join(keys for keys, _, _ in KEYS)
    names = {"question_mark": "?", "slash": "/", "escape": "esc", "plus": "+", "minus": "-"}
    for binding in WatchApp.BINDINGS:
        assert isinstance(binding, Binding)
        first = binding.key.split(",")[0]
        assert names.get(first, first) in listed, f"? does not list {first}"


async def test_a_waiting_call_and_a_sleep_show_in_the_timeline() -> None:
    app = replay_app(waiting_stream())
    async with app.run_test() as pilot:
        await pilot.press(*["n"] * 4)
        rows = [row.text for row in app.rows]
        assert rows[2].endswith("agent debug queued [Fan] session=pending events=0")
        assert rows[3].strip() == "└─ queued"
        assert rows[4].endswith("workflow.sleep_started 5000 ms")


async def test_header_and_timeline_count_the_same_events() -> None:
    app = replay_app(pipeline_stream())
    async with app.run_test() as pilot:
        await pilot.press(*["n"] * 9)
        assert len(app.rows) == 11  # two agents' rows fold their events
        assert "events          9" in text_of(app, "info").replace("▁", " ").replace("█", " ")
        assert app.timeline_title() == "¹timeline (9/9)"


async def test_ctrl_c_quits_once_a_live_run_has_ended(
    write_script: object, db: Path, tmp_path: Path
) -> None:
    app = live_app(write_script, db, tmp_path, "export default await agent('x')")
    async with ended(app) as pilot:
        await pilot.press("ctrl+c")
        assert not isinstance(app.screen, QuitScreen)
    assert app.return_code == 0 and app.saved_path is None


async def test_quitting_after_the_run_says_the_events_are_in_the_database(
    write_script: object, db: Path, tmp_path: Path
) -> None:
    app = live_app(write_script, db, tmp_path, "export default await agent('x')")
    async with ended(app) as pilot:
        await pilot.press("q")
        assert isinstance(app.screen, QuitScreen)
        detail = str(app.screen.query_one("#detail", Static).render())
        question = str(app.screen.query_one("#question", Static).render())
        await pilot.press("y")
    assert question == "Quit the workflow TUI?"
    assert "unsaved" not in detail
    assert f"in the database: smol-wf tui replay {app.state.run_id}" in " ".join(detail.split())


async def test_a_finished_debug_agent_has_no_pending_session(
    write_script: object, db: Path, tmp_path: Path
) -> None:
    app = live_app(write_script, db, tmp_path, "export default await agent('x')")
    async with ended(app):
        (header,) = [row.text for row in app.rows if row.header]
        assert header.endswith("agent debug completed events=0")


async def test_a_failed_live_run_reads_live_failed(
    write_script: object, db: Path, tmp_path: Path
) -> None:
    app = live_app(write_script, db, tmp_path, "throw new Error('gave up')")
    async with ended(app):
        assert app.outcome is Outcome.FAILED
        assert text_of(app, "status").startswith("✗ LIVE FAILED +")


async def test_a_failed_check_opens_on_its_diagnostics_and_never_starts_the_run(
    write_script: object, db: Path, tmp_path: Path
) -> None:
    script = write_script("export default 1")  # type: ignore[operator]
    config = RunConfig(script_path=script, db_path=db)
    refused = ScriptError("wf.mjs: the check found 1 error, so the run did not start")
    lines = ("wf.mjs:3:1: error SW101 Date.now() is not deterministic",)
    app = WatchApp(LiveSource(config, tmp_path, lines, refused), tick_s=0.01)
    async with app.run_test() as pilot:
        await pilot.pause(0.05)
        assert text_of(app, "status").startswith("✗ LIVE FAILED")
        body = text_of(app, "detail-body")
        assert body.startswith("smol-wf check: the run did not start")
        assert lines[0] in body and refused.message in body
        await pilot.press("q")  # no run, nothing to save: no question
    assert app.return_code == 0 and app.run_error is refused
    assert not await anyio.Path(db).exists()
