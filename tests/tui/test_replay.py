"""Replay pacing without a clock: the player is driven by the ``now`` the test passes."""

from __future__ import annotations

import pytest

from smolwf.errors import UsageError
from smolwf.events.types import parse_event
from smolwf.tui.replay import ReplayPlayer, parse_duration
from tests.tui.streams import event


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("50ms", 0.05), ("0ms", 0.0), ("1.5s", 1.5), ("2s", 2.0), (".5s", 0.5), ("200", 0.2)],
)
def test_max_delay_accepts_ms_seconds_and_bare_ms(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "fast", "-5ms", "1.5ms", "inf s", "5m", "nan s", "1e3s"])
def test_max_delay_rejects_anything_else(text: str) -> None:
    with pytest.raises(UsageError, match="--max-delay must be a duration"):
        parse_duration(text)


def player(*elapsed_ms: int | None, max_delay: float = 0.05) -> ReplayPlayer:
    import json

    events = [
        parse_event(json.dumps(event("workflow.log", {}, ms)), i) for i, ms in enumerate(elapsed_ms)
    ]
    return ReplayPlayer(events, max_delay)


def test_replay_starts_paused_with_nothing_revealed() -> None:
    replay = player(None, 10)
    assert replay.advance(100.0) == 0
    assert (replay.revealed, replay.playing) == (0, False)


def test_replay_follows_recorded_gaps_capped_by_max_delay() -> None:
    replay = player(None, 10, 30, 1000, None)
    replay.toggle(now=0.0)
    assert replay.advance(0.0) == 1
    assert replay.advance(0.0099) == 0
    assert replay.advance(0.010) == 1
    assert replay.advance(0.0299) == 0
    assert replay.advance(0.030) == 1
    assert replay.advance(0.0799) == 0  # 970ms gap capped at 50ms
    assert replay.advance(0.080) == 2  # a missing elapsedNanos means no wait
    assert replay.done and not replay.playing


def test_pause_stops_and_resume_waits_the_next_gap_from_now() -> None:
    replay = player(None, 10, 20)
    replay.toggle(now=0.0)
    replay.advance(0.0)
    replay.toggle(now=0.005)  # pause
    assert replay.advance(5.0) == 0
    replay.toggle(now=5.0)  # resume
    assert replay.advance(5.009) == 0
    assert replay.advance(5.010) == 1


def test_step_reveals_one_event_and_pauses() -> None:
    replay = player(None, 10, 20)
    replay.toggle(now=0.0)
    assert replay.step()
    assert (replay.revealed, replay.playing) == (1, False)
    assert replay.step() and replay.step()
    assert not replay.step()


def test_speed_divides_the_gaps() -> None:
    replay = player(None, 40)
    replay.faster()
    assert replay.speed == 2.0
    replay.toggle(now=0.0)
    replay.advance(0.0)
    assert replay.advance(0.020) == 1
