"""End to end: ``smol-wf tui replay`` in a real terminal (tmux), driven key by key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import smol_wf_command
from tests.terminal import Terminal, needs_tmux, wait_for_file
from tests.tui.streams import pipeline_stream, write_stream

pytestmark = needs_tmux


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    events = write_stream(tmp_path / "events.jsonl", pipeline_stream())
    command = " ".join([*smol_wf_command(), "tui", "replay", str(events), "--max-delay", "0ms"])
    done = tmp_path / "exit-code"
    term = Terminal(f"{command}; echo $? > {done}; sleep 30", tmp_path)
    term.done = done  # type: ignore[attr-defined]
    yield term
    term.close()


def test_replay_in_a_real_terminal(terminal: Terminal) -> None:
    screen = terminal.wait_for("REPLAY PAUSED 1x 0/9")
    assert "workflows - tab/shift-tab" in screen
    terminal.keys("n", "n", "n")
    screen = terminal.wait_for("REPLAY PAUSED 1x 3/9")
    assert "workflow.log checking caching" in screen
    assert "log +00:00:00.030" in screen  # the details pane shows the selected log
    terminal.keys("r")
    terminal.wait_for('"elapsedNanos": 30000000')
    terminal.keys("Space")
    screen = terminal.wait_for("REPLAY COMPLETED 9/9")
    assert "agent codex completed [Draft]" in screen  # the rest is cut at the pane edge
    assert "+in 6 +out 10" in screen
    terminal.keys("q")
    done: Path = terminal.done  # type: ignore[attr-defined]
    assert wait_for_file(done).strip() == "0"


def test_tui_run_watches_a_live_run_and_saves_its_events(tmp_path: Path) -> None:
    script = Path(__file__).parents[2] / "examples" / "pipeline.mjs"
    command = " ".join(
        [*smol_wf_command(), "tui", "run", str(script), "--db", str(tmp_path / "r.db")]
    )
    done = tmp_path / "exit-code"
    # Textual draws on stderr, so the saved-path line is read off the screen after exit.
    term = Terminal(f"{command}; echo $? > {done}; sleep 30", tmp_path)
    try:
        screen = term.wait_for("LIVE COMPLETED")
        assert "save? (s)" in screen
        term.keys("q")
        term.wait_for("Quit without saving event log?")
        term.keys("s")
        screen = term.wait_for("Events log saved to")
        code = wait_for_file(done)
    finally:
        term.close()
    assert code.strip() == "0"
    saved = next(tmp_path.glob("run_*.jsonl"))
    assert f"Events log saved to {saved}" in screen.replace("\n", "")
    assert saved.read_text().count("\n") == 20
