"""End to end: ``smol-wf run``'s live view in a real terminal (tmux), as a user watches it."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import META, smol_wf_command
from tests.terminal import needs_tmux, terminal_running

pytestmark = needs_tmux

WAITING = """
import { sleep } from 'workflow:extra'
phase('Prepare the very long phase name that makes wide lines')
await parallel([1, 2, 3].map((i) => () =>
  agent('agent ' + i, { label: 'a label long enough to need a wide terminal, number ' + i })))
log('ready')
await sleep(600000)
export default 1
"""


def test_queued_agents_then_a_sleep_are_shown_and_a_resize_leaves_no_fragments(
    tmp_path: Path,
) -> None:
    script = tmp_path / "wf.mjs"
    script.write_text(META + WAITING, encoding="utf-8")
    command = [*smol_wf_command(), "run", str(script), "--db", str(tmp_path / "r.db")]
    slow = {"SMOLWF_DEBUG_DELAY_MS": "1500"}
    options = {"env": slow, "width": 150, "height": 30}
    with terminal_running([*command, "--max-parallel-agents", "1"], tmp_path, **options) as term:
        screen = term.wait_for("2 queued")
        assert "0/3 done · 1 running · 2 queued" in screen
        assert screen.count("◌ a label long enough") == 2
        screen = term.wait_for("⏾ sleep 10m00s")
        assert "3 done · 0 running · 0 failed · 1 sleeping" in screen
        term.resize(60, 30)
        resized = term.screen()
        screen = term.wait_until(  # the elapsed time changes with every frame
            lambda shown: shown != resized and "│ agents" in shown, "a frame drawn at 60 columns"
        )
        above = screen[: screen.index("● running")].split("\n")
        assert set(above) <= {"[log] ready", ""}, "a piece of an earlier frame is left"
        assert screen.count("● running") == screen.count("⏾ sleep") == 1
        term.keys("C-c")
        screen = term.wait_for("error: workflow cancelled")
        assert term.exit_code() == 130
    assert "■ cancelled in " in screen and "3 agents" in screen
    assert "● running" not in screen and "⏾ sleep" not in screen
