"""Snapshots of the main screens (update with ``pytest --snapshot-update``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from smolwf.engine.config import RunConfig
from smolwf.errors import ScriptError
from smolwf.tui.app import LiveSource, WatchApp
from tests.tui.apps import FakeClock, replay_app
from tests.tui.streams import children_stream, pipeline_stream, reference_fixture

SIZE = (120, 40)


def test_replay_before_playing(snap_compare: Any) -> None:
    assert snap_compare(replay_app(pipeline_stream()), terminal_size=SIZE)


def test_replay_finished_pretty_view(snap_compare: Any) -> None:
    press = ["n"] * 9 + ["k", "k", "k", "k", "k"]
    assert snap_compare(replay_app(pipeline_stream()), press=press, terminal_size=SIZE)


def test_replay_raw_view_without_metadata(snap_compare: Any) -> None:
    press = ["n"] * 9 + ["r", "m"]
    assert snap_compare(replay_app(pipeline_stream()), press=press, terminal_size=SIZE)


def test_child_workflow_tab(snap_compare: Any) -> None:
    press = ["n"] * 5 + ["tab"]
    assert snap_compare(replay_app(reference_fixture()), press=press, terminal_size=SIZE)


def test_search_prompt_highlights_matches(snap_compare: Any) -> None:
    press = ["n"] * 9 + ["slash", *"caching"]
    assert snap_compare(replay_app(pipeline_stream()), press=press, terminal_size=SIZE)


def test_keys_of_a_replay(snap_compare: Any) -> None:
    assert snap_compare(replay_app(pipeline_stream()), press=["question_mark"], terminal_size=SIZE)


def test_named_child_tabs(snap_compare: Any) -> None:
    app = replay_app(children_stream(["review", "review", "summarise-everything"]))
    assert snap_compare(app, press=["n"] * 4 + ["tab", "tab"], terminal_size=SIZE)


def test_a_failed_check_before_a_live_run(snap_compare: Any, tmp_path: Path) -> None:
    config = RunConfig(script_path=tmp_path / "wf.mjs", db_path=tmp_path / "runs.db")
    lines = (
        "wf.mjs:3:7: error SW101 Date.now() differs on resume; pass the time in args",
        "wf.mjs:5:1: warning SW201 this agent() result is never awaited",
    )
    refused = ScriptError(
        "wf.mjs: the check found 1 error, so the run did not start; fix them "
        "(see docs/check.md), or pass --no-check to run anyway"
    )
    app = WatchApp(LiveSource(config, tmp_path, lines, refused), clock=FakeClock())
    assert snap_compare(app, terminal_size=SIZE)
