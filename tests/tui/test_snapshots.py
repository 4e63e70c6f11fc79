"""Snapshots of the main screens (update with ``pytest --snapshot-update``)."""

from __future__ import annotations

from typing import Any

from tests.tui.apps import replay_app
from tests.tui.streams import pipeline_stream, reference_fixture

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
