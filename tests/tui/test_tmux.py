"""End to end: ``smol-wf tui replay`` in a real terminal (tmux), driven key by key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import smol_wf_command
from tests.terminal import Terminal, needs_tmux, terminal_running
from tests.tui.streams import pipeline_stream, write_stream

pytestmark = needs_tmux


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    events = write_stream(tmp_path / "events.jsonl", pipeline_stream())
    command = [*smol_wf_command(), "tui", "replay", str(events), "--max-delay", "0ms"]
    with terminal_running(command, tmp_path) as term:
        yield term


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
    # The status line may be drawn a frame before the last rows: wait for all three.
    terminal.wait_until(
        lambda screen: all(
            part in screen
            for part in ("REPLAY DONE 9/9", "agent codex completed [Draft]", "+in 6 +out 10")
        ),
        "the finished replay with its last agent row",  # the rest is cut at the pane edge
    )
    terminal.keys("q")
    assert terminal.exit_code() == 0


def test_tui_run_watches_a_live_run_and_saves_its_events(tmp_path: Path) -> None:
    script = Path(__file__).parents[2] / "examples" / "pipeline.mjs"
    command = [*smol_wf_command(), "tui", "run", str(script), "--db", str(tmp_path / "r.db")]
    # Textual draws on stderr, so the saved-path line is read off the screen after exit.
    with terminal_running(command, tmp_path) as term:
        screen = term.wait_for("LIVE DONE")
        assert "in the database · s saves a .jsonl copy" in screen
        term.keys("q")
        term.wait_for("Quit the workflow TUI?")
        term.keys("s")
        screen = term.wait_for("Events log saved to")
        assert term.exit_code() == 0
    saved = next(tmp_path.glob("run_*.jsonl"))
    assert f"Events log saved to {saved}" in screen.replace("\n", "")
    assert saved.read_text().count("\n") == 20


def test_tui_run_shows_a_failed_check_and_never_starts_the_run(tmp_path: Path) -> None:
    script = tmp_path / "wf.mjs"
    script.write_text(
        "export const meta = { name: 'bad', description: 'reads the clock' }\n"
        "export default Date.now()\n",
        encoding="utf-8",
    )
    db = tmp_path / "r.db"
    with terminal_running(
        [*smol_wf_command(), "tui", "run", str(script), "--db", str(db)], tmp_path
    ) as term:
        screen = term.wait_for("smol-wf check: the run did not start")
        assert "✗ LIVE FAILED" in screen and "error SW701 Date.now()" in screen
        term.keys("q")
        assert term.exit_code() == 1
        screen = term.wait_for("error: ")
    shown = screen.replace("\n", "")
    assert f"{script}:2:16: error SW701" in shown  # printed before the UI, still there after
    assert "the check found 1 error, so the run did not start" in shown
    assert not db.exists()
