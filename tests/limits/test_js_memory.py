"""The run's JS memory is one budget: child workflows share --js-memory with the root,
and running out of it is said as such, naming the script and the limit."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.limits.limited import run_limited

Write = Callable[..., Path]
OUT_OF_MEMORY = (
    "ran out of memory: the run's JS scripts may use 256 MiB together (limit --js-memory, "
    "shared by a workflow and its children)"
)
CHILD = """\
await agent('hold')
const held = Array.from({ length: 4000000 }, (_, i) => i)
await agent('still holding ' + held.length)
export default held.length
"""


def test_children_share_the_runs_memory_and_the_one_over_it_is_named(
    write_script: Write, tmp_path: Path
) -> None:
    write_script(CHILD, "child.mjs")
    parent = write_script(
        "export default await Promise.all(Array.from({ length: 10 }, (_, i) =>\n"
        "  workflow({ scriptPath: 'child.mjs' }, { i }).catch((e) => e.message)))\n"
    )
    done = run_limited(["run", parent, "--db", tmp_path / "runs.db"], cwd=tmp_path, timeout=240)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)["results"]
    held = [result for result in results if result == 4_000_000]
    failed = [result for result in results if result != 4_000_000]
    assert 1 <= len(held) <= 5  # each holds over 40 MiB of the 256 MiB
    assert set(failed) == {f"workflow test failed: workflow script child.mjs {OUT_OF_MEMORY}"}


@pytest.mark.parametrize(
    "body",
    [
        "const all = []\nfor (let i = 0; i < 1000000; i++) all.push(agent('x' + i))\n"
        "export default (await Promise.all(all)).length\n",
        "for (let i = 0; i < 1000000; i++) agent('x' + i)\nexport default 1\n",
    ],
    ids=["awaited", "dropped"],
)
def test_a_million_synchronous_agent_calls_run_out_of_js_memory_in_so_many_words(
    write_script: Write, tmp_path: Path, body: str
) -> None:
    script = write_script(body)
    done = run_limited(
        ["run", script, "--db", tmp_path / "runs.db", "--no-check"], cwd=tmp_path, timeout=240
    )
    assert done.returncode == 1
    assert done.stderr == f"error: workflow script {script} {OUT_OF_MEMORY}\n"
