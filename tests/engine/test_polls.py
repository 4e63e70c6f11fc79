"""Scopes' JS runs on its thread while the loop goes on, and is still held to its limits."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from smolwf import RunReport, WorkflowFailed
from smolwf.engine.loop import TURN_MAX_RESULTS, Loop

Run = Callable[..., RunReport]
Write = Callable[..., Path]


def test_a_runaway_loop_after_an_await_fails_the_run_on_time(write_script: Write, run: Run) -> None:
    # After the agent's answer, the script's JS runs on its thread while the loop goes on.
    script = write_script(
        "export default async function () {\n"
        "  await agent('x')\n"
        "  const s = 'a'.repeat(1 << 19)\n"
        "  let n = 0\n"
        "  for (let i = 0; i < 3000; i++) n += s.indexOf('b')\n"
        "  return n\n"
        "}\n"
    )
    started = time.monotonic()
    with pytest.raises(WorkflowFailed) as caught:
        run(script, js_slice_timeout_s=0.1)
    assert caught.value.message == (
        "workflow script ran 0.1 s without yielding (limit --js-slice-timeout)"
    )
    assert time.monotonic() - started < 5


def test_answers_and_requests_keep_their_order_across_many_turns(
    write_script: Write, run: Run
) -> None:
    script = write_script(
        "const out = []\n"
        "for (let i = 0; i < 40; i++) {\n"
        "  const [a, b] = await parallel([() => agent(`a${i}`), () => agent(`b${i}`)])\n"
        "  out.push(a + '|' + b)\n"
        "}\n"
        "export default out\n"
    )
    assert run(script, max_parallel_agents=1).result == [
        f"echo: a{i}|echo: b{i}" for i in range(40)
    ]


def test_a_polls_reply_is_not_queued_behind_a_fan_outs_results(
    write_script: Write, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 6,000 calls finish at once: a reply applied after them would hold them all in one turn.
    turn_sizes: list[int] = []
    original = Loop._commit

    def noting(self: Loop, *, flush_running: bool = False) -> None:
        turn_sizes.append(len(self.ctx.batch.finals) + len(self.ctx.batch.updates))
        original(self, flush_running=flush_running)

    monkeypatch.setattr(Loop, "_commit", noting)
    script = write_script(
        "const r = await parallel(Array.from({length: 6000}, (_, i) => () => agent('i' + i)))\n"
        "export default r.length\n"
    )
    assert run(script, max_agents=6000, max_parallel_agents=10_000).result == 6000
    assert max(turn_sizes) <= 2 * TURN_MAX_RESULTS
