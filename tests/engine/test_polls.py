"""Scopes' JS runs on its thread while the loop goes on, and is still held to its limits."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from smolwf import RunReport, WorkflowFailed

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
