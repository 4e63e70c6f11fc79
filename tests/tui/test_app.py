"""Pilot tests of the watch app: keys, panes and pacing, as a user drives them."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest
from textual.widgets import OptionList, Static

from smolwf.engine.config import RunConfig
from smolwf.providers.base import AgentRequest, AgentResult, ProviderEventSink
from smolwf.tui.app import LiveSource, WatchApp
from smolwf.tui.summary import Outcome
from smolwf.tui.widgets import QuitScreen
from tests.tui.apps import FakeClock, replay_app
from tests.tui.streams import event, pipeline_stream, reference_fixture

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
        assert text_of(app, "status") == "✓ REPLAY COMPLETED 9/9"
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
        assert rows[7].endswith("agent debug completed [Draft] session=pending events=0")
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
        assert app.timeline_title() == f"¹timeline ({len(app.rows) - 3}/{len(app.rows)})"
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
        assert "root" in text_of(app, "tabs") and "c: c0ff" in text_of(app, "tabs")
        await pilot.press("k")
        await pilot.press("tab")
        assert app.tab == 1
        assert app.rows[0].text.endswith("  workflow.started child=c0ffee00")  # indented: depth 1
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
        assert "LIVE COMPLETED" in text_of(app, "status")
        assert "save?" in text_of(app, "info")
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
