"""`/` search and `y` copy: the matching rules, and the keys as a user drives them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rich.text import Text
from textual.widgets import OptionList, Static

from smolwf.events.stream import parse_lines
from smolwf.tui.app import WatchApp
from smolwf.tui.timeline import SearchIndex
from tests.tui.apps import replay_app
from tests.tui.streams import pipeline_stream, reference_fixture

pytestmark = pytest.mark.anyio

ALL = 9
"""``pipeline_stream`` has 9 events; pressing ``n`` that often reveals them all."""


def text_of(app: WatchApp, widget_id: str) -> str:
    return str(app.query_one(f"#{widget_id}", Static).render())


def highlighted(app: WatchApp) -> int | None:
    return app.query_one("#timeline", OptionList).highlighted


def yellow_rows(app: WatchApp) -> list[int]:
    """Row numbers the timeline draws in yellow."""
    timeline = app.query_one("#timeline", OptionList)
    rows = []
    for number in range(timeline.option_count):
        prompt = timeline.get_option_at_index(number).prompt
        assert isinstance(prompt, Text)
        if "yellow" in str(prompt.style):
            rows.append(number)
    return rows


# ---- matching ----------------------------------------------------------------


def test_matching_covers_type_data_provider_and_ids_case_insensitively() -> None:
    events = parse_lines([json.dumps(e) for e in reference_fixture()])
    index = SearchIndex()
    assert index.matches(events, "") == set()
    assert index.matches(events, "WORKFLOW.RESULT") == {3, 4}  # type
    assert index.matches(events, '"item":"cli"') == {3, 4}  # compact data JSON
    assert index.matches(events, "Codex-Session") == {2}  # metadata sessionId
    assert index.matches(events, "step_a") == {2}  # stepId (metadata and data)
    assert index.matches(events, "c0ffee") == {1, 2, 3}  # parentStepId
    assert index.matches(events, "run_01") == set()  # the run id is not searched


def test_the_index_takes_in_events_revealed_after_the_first_search() -> None:
    events = parse_lines([json.dumps(e) for e in reference_fixture()])
    index = SearchIndex()
    assert index.matches(events[:2], "result") == set()
    assert index.matches(events, "result") == {3, 4}


# ---- the `/` prompt ------------------------------------------------------------


async def test_typing_highlights_matches_live_and_enter_selects_the_first() -> None:
    app = replay_app(pipeline_stream())
    async with app.run_test() as pilot:
        await pilot.press(*["n"] * ALL)
        assert highlighted(app) == len(app.rows) - 1
        await pilot.press("slash")
        assert app.search_bar.display and app.search_bar.has_focus
        assert app.search_bar.border_title == "Search timeline"
        await pilot.press(*"CACHINGq", "backspace")  # `q` types, it does not quit
        assert app.search_bar.value == "CACHING"
        # Live: the log and the codex item (its text says "caching") light up; the
        # selection stays put until Enter.
        assert yellow_rows(app) == [2, 5]
        assert highlighted(app) == len(app.rows) - 1
        assert app.timeline_title() == "¹timeline (9/9) search: CACHING"
        assert app.search_bar.border_subtitle == "2 matches"
        await pilot.press("enter")
        assert not app.search_bar.display
        assert app.timeline.has_focus
        assert highlighted(app) == 2
        assert text_of(app, "detail-body") == "log +00:00:00.030\n\nchecking caching"
        assert app.timeline_title() == "¹timeline (3/9) search: CACHING"
        assert app.search_query == "CACHING"
        assert yellow_rows(app) == [2, 5]


async def test_matches_stay_highlighted_as_new_events_arrive() -> None:
    app = replay_app(pipeline_stream())
    async with app.run_test() as pilot:
        await pilot.press("slash", *"result", "enter")
        assert yellow_rows(app) == []
        assert app.timeline_title() == "¹timeline (0/0) search: result"
        await pilot.press(*["n"] * ALL)
        assert yellow_rows(app) == [len(app.rows) - 1]


async def test_escape_cancels_and_restores_the_previous_query() -> None:
    app = replay_app(pipeline_stream())
    async with app.run_test() as pilot:
        await pilot.press(*["n"] * ALL)
        await pilot.press("slash", *"caching", "enter")
        await pilot.press("j")
        assert highlighted(app) == 3
        await pilot.press("slash")
        assert app.search_bar.value == "caching"  # the prompt opens on the current query
        await pilot.press(*"debug")
        assert app.search_query == "cachingdebug"
        assert yellow_rows(app) == []
        await pilot.press("escape")
        assert not app.search_bar.display
        assert app.return_code is None  # Esc closed the prompt, not the app
        assert app.search_query == "caching"
        assert yellow_rows(app) == [2, 5]
        assert highlighted(app) == 3  # a cancel does not move the selection
        assert app.timeline_title() == "¹timeline (4/9) search: caching"


async def test_ctrl_u_clears_the_query_and_an_empty_enter_ends_the_search() -> None:
    app = replay_app(pipeline_stream())
    async with app.run_test() as pilot:
        await pilot.press(*["n"] * ALL)
        await pilot.press("slash", *"draft")
        assert yellow_rows(app) == [1, 3, 4, 5, 7, 8]  # phase, both agent_started, codex item
        await pilot.press("left", "left", "ctrl+u")  # all of it, not just left of the cursor
        assert app.search_bar.value == ""
        assert yellow_rows(app) == []
        assert app.timeline_title() == "¹timeline (9/9)"
        await pilot.press("enter")
        assert app.search_query == ""
        assert highlighted(app) == len(app.rows) - 1


async def test_search_only_matches_rows_of_the_current_tab() -> None:
    app = replay_app(reference_fixture())
    async with app.run_test() as pilot:
        await pilot.press(*["n"] * 5)
        await pilot.press("slash", *"workflow.result", "enter")
        assert yellow_rows(app) == [4, 5]  # the child's result, then the root's
        assert highlighted(app) == 4
        await pilot.press("tab")
        assert [app.rows[n].event for n in yellow_rows(app)] == [3]


# ---- `y` copy ------------------------------------------------------------------


async def test_y_copies_the_visible_details_and_says_so(monkeypatch: Any) -> None:
    app = replay_app(pipeline_stream())
    copied: list[str] = []
    notes: list[str] = []
    copy = app.copy_to_clipboard

    def record_copy(text: str) -> None:
        copied.append(text)
        copy(text)

    monkeypatch.setattr(app, "copy_to_clipboard", record_copy)
    monkeypatch.setattr(app, "notify", lambda message, **_: notes.append(message))
    async with app.run_test() as pilot:
        await pilot.press("n", "n", "n", "y")
        assert copied == ["log +00:00:00.030\n\nchecking caching"]
        assert app.clipboard == copied[0]
        assert notes == ["content copied"]
        await pilot.press("r", "y")  # the raw view copies the raw event
        assert json.loads(app.clipboard)["type"] == "workflow.log"
        assert app.clipboard == text_of(app, "detail-body")
        assert notes == ["content copied"] * 2


async def test_y_with_nothing_selected_copies_nothing(monkeypatch: Any) -> None:
    app = replay_app(pipeline_stream())
    notes: list[str] = []
    monkeypatch.setattr(app, "notify", lambda message, **_: notes.append(message))
    async with app.run_test() as pilot:
        await pilot.press("y")
        assert app.clipboard == ""
        assert notes == ["copy failed: nothing selected"]
