"""``--executor ray`` on a real multi-node Ray cluster on loopback: the same results as
the local executor, calls spread over nodes, a worktree branch brought back in git mode,
a node that dies mid-run, a driver killed and resumed, and one-line errors.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.conftest import Cluster
from tests.cluster.fake_agent import read_log
from tests.conftest import smol_wf_command

FANOUT = """export const meta = {{ name: 'fan', description: 'a fan-out' }}
export default await parallel(Array.from({{ length: {n} }}, (_, i) =>
  () => agent(`{tag} item ${{i}}{extra}`{options})))
"""


def fanout(directory: Path, n: int, *, extra: str = "", options: str = "") -> tuple[Path, str]:
    tag = uuid.uuid4().hex[:8]
    script = directory / f"fan-{tag}.mjs"
    opts = f", {options}" if options else ""
    script.write_text(FANOUT.format(n=n, tag=tag, extra=extra, options=opts), encoding="utf-8")
    return script, tag


def report(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def fake_cli_flags(cluster: Cluster) -> list[str]:
    return [
        "--agent-provider",
        "claude-code",
        "--provider-bin",
        f"claude-code={cluster.fake_claude}",
    ]


def ray_flags(cluster: Cluster, *more: str) -> list[str]:
    return ["--executor", "ray", "--ray-address", cluster.ray.address, *more]


def local_run(
    cluster: Cluster, script: Path, tmp_path: Path, *flags: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*smol_wf_command(), "run", str(script), "--db", str(tmp_path / "local.db"), *flags],
        cwd=tmp_path,
        env=cluster.driver_env(tmp_path / "state"),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_cluster_and_the_driver_have_only_the_loopback_interface(cluster: Cluster) -> None:
    interfaces = {line.split()[1] for line in cluster.loopback.interfaces()}
    assert interfaces == {"lo"}
    listening = cluster.loopback.run(["ss", "-Hltn"]).stdout.splitlines()
    local = {line.split()[3].rpartition(":")[0] for line in listening}
    assert local and local <= {"127.0.0.1", "[::ffff:127.0.0.1]", "[::1]"}


@pytest.mark.parametrize("provider", ["debug", "fake-cli"])
def test_a_200_call_fan_out_gives_the_local_result_from_at_least_two_nodes(
    cluster: Cluster, tmp_path: Path, provider: str
) -> None:
    script, tag = fanout(tmp_path, 200)
    flags = fake_cli_flags(cluster) if provider == "fake-cli" else []
    local = report(local_run(cluster, script, tmp_path, *flags))
    db = tmp_path / "ray.db"
    remote = report(
        cluster.smol_wf(
            "run", script, "--db", db, *flags, *ray_flags(cluster), "--max-parallel-agents", "8",
            cwd=tmp_path, state=tmp_path / "state",
        )
    )  # fmt: skip
    assert remote["results"] == local["results"]
    assert remote["tokenUsage"] == local["tokenUsage"]
    if provider == "fake-cli":
        nodes = Counter(
            e["node"] for e in read_log(cluster.calls) if tag in e["prompt"] and e["node"]
        )
    else:
        nodes = Counter(
            node
            for node in ("w1", "w2")
            for e in read_log(cluster.debug_log(node))
            if tag in e["prompt"]
        )
    assert set(nodes) == {"w1", "w2"}
    assert sum(nodes.values()) == (400 if provider == "fake-cli" else 200)  # start + done


def test_a_call_whose_cli_reports_no_cost_is_estimated_as_it_is_locally(
    cluster: Cluster, tmp_path: Path
) -> None:
    script, _tag = fanout(tmp_path, 3, extra=" nocost")
    flags = fake_cli_flags(cluster)
    local = report(local_run(cluster, script, tmp_path, *flags))
    remote = report(
        cluster.smol_wf(
            "run", script, "--db", tmp_path / "ray.db", *flags, *ray_flags(cluster),
            cwd=tmp_path, state=tmp_path / "state",
        )
    )  # fmt: skip
    assert remote["results"] == local["results"]
    priced = [priced_calls(tmp_path / name) for name in ("local.db", "ray.db")]
    assert priced[0] == priced[1]
    assert [cost > 0 and estimated for _model, cost, estimated in priced[1]] == [True] * 3


def test_a_call_answered_from_the_cache_never_reaches_the_cluster(
    cluster: Cluster, tmp_path: Path
) -> None:
    script, tag = fanout(tmp_path, 3)
    flags = [*fake_cli_flags(cluster), *ray_flags(cluster), "--cache"]
    runs = [
        report(
            cluster.smol_wf(
                "run",
                script,
                "--db",
                tmp_path / "runs.db",
                *flags,
                cwd=tmp_path,
                state=tmp_path / "state",
            )
        )
        for _ in range(2)
    ]
    assert runs[1]["results"] == runs[0]["results"]
    assert len(started(cluster, tag)) == 3


def test_meta_executor_sends_the_calls_to_the_cluster(cluster: Cluster, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    script = tmp_path / "meta.mjs"
    script.write_text(
        "export const meta = { name: 'm', description: 'm', executor: 'ray' }\n"
        f"export default await agent('{tag} hello')\n"
    )
    done = cluster.smol_wf(
        "run", script, "--db", tmp_path / "runs.db", "--ray-address", cluster.ray.address,
        cwd=tmp_path, state=tmp_path / "state",
    )  # fmt: skip
    assert report(done)["results"] == f"echo: {tag} hello"
    nodes = [n for n in ("w1", "w2") for e in read_log(cluster.debug_log(n)) if tag in e["prompt"]]
    assert len(nodes) == 1


def test_live_agent_events_reach_the_driver_while_the_call_still_runs(
    cluster: Cluster, tmp_path: Path
) -> None:
    script, _tag = fanout(tmp_path, 1, extra=" sleep=3")
    done = cluster.smol_wf(
        "run", script, "--db", tmp_path / "runs.db", "--events", *fake_cli_flags(cluster),
        *ray_flags(cluster), cwd=tmp_path, state=tmp_path / "state",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    events = [json.loads(line) for line in done.stdout.splitlines()]
    # elapsedNanos is stamped when the driver receives the event, not when it is shown
    received = [e["elapsedNanos"] for e in events if e["type"] == "workflow.agent_event"]
    [completed] = [e["elapsedNanos"] for e in events if e["type"] == "workflow.agent_completed"]
    assert completed - received[0] > 2e9  # the init line came before the 3 s sleep ended


WORKTREE = """import { agentRun } from 'workflow:extra'
export const meta = { name: 'wt', description: 'agents that write' }
const isolated = await agentRun('TOOLWRITE:notes.txt', { isolation: 'worktree', permissions: 'edit' })
const inPlace = await agentRun('TOOLWRITE:other.txt', { permissions: 'edit' })
export default { isolated: isolated.worktree, inPlace: inPlace.isolation ?? null }
"""


def test_a_real_claude_in_a_worktree_brings_its_branch_back_in_git_mode(
    cluster: Cluster, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    subprocess.run(["git", "init", "--quiet", str(repo)], check=True)
    (repo / "README").write_text("hello\n")
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "--quiet", "-m", "base"], check=True)
    (repo / "wt.mjs").write_text(WORKTREE)
    done = cluster.smol_wf(
        "run", "wt.mjs", "--db", tmp_path / "runs.db", "--events", "--agent-provider",
        "claude-code", *ray_flags(cluster), cwd=repo, state=tmp_path / "state",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    events = [json.loads(line) for line in done.stdout.splitlines()]
    results = events[-1]["data"]["results"]
    isolated, in_place = results["isolated"], results["inPlace"]
    assert isolated["branch"].startswith("smol-wf/agent-run/")
    assert isolated["changedFiles"] == ["notes.txt"]
    assert in_place["kind"] == "ray-git"
    assert in_place["branch"].startswith("smol-wf/agent-run/")
    for branch, name in ((isolated["branch"], "notes.txt"), (in_place["branch"], "other.txt")):
        shown = subprocess.run([*git, "show", f"{branch}:{name}"], capture_output=True, text=True)
        assert "FAKELLM_EDIT_OK" in shown.stdout
    assert sorted(p.name for p in repo.iterdir()) == [".git", "README", "wt.mjs"]
    assert any(e["type"] == "workflow.agent_event" for e in events)


DOOMED = """export const meta = {{ name: 'doomed', description: 'calls on a node that dies' }}
const pinned = agent('{tag} pinned sleep=60', {{ resources: {{ doomed: 1 }} }})
  .catch((error) => 'lost: ' + error.message)
const rest = parallel(Array.from({{ length: 12 }}, (_, i) =>
  () => agent(`{tag} item ${{i}} sleep=4`, {{ retry: {{ maxAttempts: 3, backoffMs: 0 }} }})))
const waiting = agent('{tag} waiting', {{ resources: {{ doomed: 1 }} }})
  .catch((error) => 'unplaced: ' + error.message)
export default {{ pinned: await pinned, rest: await rest, waiting: await waiting }}
"""


def test_a_node_that_dies_mid_run_fails_its_calls_as_crashes_retried_elsewhere(
    cluster: Cluster, tmp_path: Path
) -> None:
    """Only the doomed node offers ``doomed``, once: the pinned call runs there with no
    retry (its failure is the crash); the waiting call waits for that slot, then fails
    without counting a provider call once no node offers it (Ray would queue it forever).
    The others retry: wherever they ran, each answers once."""
    doomed = cluster.ray.add_node("w3", 3, cluster.node_env("w3"), resources={"doomed": 1})
    tag = uuid.uuid4().hex[:8]
    script = tmp_path / "doomed.mjs"
    script.write_text(DOOMED.format(tag=tag), encoding="utf-8")
    db = tmp_path / "runs.db"
    process = cluster.start(
        "run", script, "--db", db, *fake_cli_flags(cluster), *ray_flags(cluster),
        "--max-parallel-agents", "14", cwd=tmp_path, state=tmp_path / "state",
    )  # fmt: skip
    pinned = f"{tag} pinned sleep=60"
    wait_for(lambda: {e["prompt"] for e in started(cluster, tag) if e["node"] == "w3"} > {pinned})
    cluster.ray.kill(doomed)
    out, err = process.communicate(timeout=240)
    assert process.returncode == 0, err[-3000:]
    results = json.loads(out)["results"]
    assert results["pinned"].startswith(
        "lost: claude-code provider call was lost: the Ray worker running it died ("
    )
    assert results["waiting"] == (
        "unplaced: claude-code provider call cannot start: no live node of the Ray cluster "
        "offers {doomed: 1} any more"
    )
    assert results["rest"] == [f"ECHO: {tag} item {i} sleep=4" for i in range(12)]
    log = [e for e in read_log(cluster.calls) if tag in e["prompt"]]
    retried = {e["prompt"] for e in log if e["node"] == "w3"} - {pinned}
    answered = Counter(e["prompt"] for e in log if e["event"] == "done")
    assert answered == Counter({f"{tag} item {i} sleep=4": 1 for i in range(12)})
    failed = sqlite3.connect(db).execute(
        "SELECT json_extract(s.input_json, '$.prompt'), s.calls, s.status FROM usage_ledger l"
        " JOIN steps s USING (step_id) WHERE l.outcome = 'failed'"
    )
    crashed = {prompt: (calls, status) for prompt, calls, status in failed}
    assert crashed.pop(pinned) == (1, "failed")
    # every call the node took died with it (some before their CLI started) and was retried
    assert retried and retried <= set(crashed)
    assert set(crashed.values()) == {(2, "completed")}
    assert answered_calls(db) == (12, 12)


def test_a_killed_driver_resumes_on_the_same_cluster_without_rerunning_finished_calls(
    cluster: Cluster, tmp_path: Path
) -> None:
    script, tag = fanout(tmp_path, 16, extra=" sleep=0.5")
    db = tmp_path / "runs.db"
    process = cluster.start(
        "run", script, "--db", db, "--events", *fake_cli_flags(cluster), *ray_flags(cluster),
        "--max-parallel-agents", "4", cwd=tmp_path, state=tmp_path / "state", stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert process.stdout is not None
    completed = 0
    for line in process.stdout:
        completed += json.loads(line)["type"] == "workflow.agent_completed"
        if completed == 6:
            break
    signal_inner(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    run_id = sqlite3.connect(db).execute("SELECT run_id FROM runs").fetchone()[0]
    resumed = report(
        cluster.smol_wf(
            "run", "--resume-run", run_id, "--db", db, cwd=tmp_path, state=tmp_path / "state"
        )
    )
    assert resumed["results"] == [f"ECHO: {tag} item {i} sleep=0.5" for i in range(16)]
    conn = sqlite3.connect(db)
    first = {
        prompt
        for (prompt,) in conn.execute(
            "SELECT json_extract(s.input_json, '$.prompt') FROM steps s JOIN attempts a"
            " ON a.attempt_id = s.last_attempt_id WHERE s.status = 'completed' AND a.number = 1"
        )
    }
    assert len(first) >= 6
    answered = Counter(
        e["prompt"] for e in read_log(cluster.calls) if tag in e["prompt"] and e["event"] == "done"
    )
    assert all(answered[prompt] == 1 for prompt in first)
    assert answered_calls(db) == (16, 16)


def test_ctrl_c_stops_the_remote_clis_and_leaves_the_run_resumable(
    cluster: Cluster, tmp_path: Path
) -> None:
    script, tag = fanout(tmp_path, 6, extra=" sleep=60")
    db = tmp_path / "runs.db"
    process = cluster.start(
        "run", script, "--db", db, *fake_cli_flags(cluster), *ray_flags(cluster),
        "--max-parallel-agents", "3", cwd=tmp_path, state=tmp_path / "state",
    )  # fmt: skip
    wait_for(lambda: len(started(cluster, tag)) == 3)
    signal_inner(process.pid, signal.SIGINT)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err[-3000:]
    log = [e for e in read_log(cluster.calls) if tag in e["prompt"]]
    assert Counter(e["event"] for e in log) == {"start": 3, "stopped": 3}
    status = sqlite3.connect(db).execute("SELECT status FROM runs").fetchone()
    assert status == ("cancelled",)


@pytest.mark.parametrize(
    ("flags", "env", "message"),
    [
        pytest.param(
            ["--ray-address", "127.0.0.1:1"],
            {},
            "error: cannot reach the Ray cluster at 127.0.0.1:1: connection refused; start one "
            "with `ray start --head` or fix --ray-address / RAY_ADDRESS",
            id="unreachable-address",
        ),
        pytest.param(
            ["--ray-agent-resources", '{"gpu-box": 1}'],
            {},
            "error: no node of the Ray cluster at {address} offers {{gpu-box: 1}} "
            "(--ray-agent-resources): start nodes with `ray start --resources ...` or ask for less",
            id="no-node-offers-the-resources",
        ),
        pytest.param(
            [],
            {"PYTHONPATH": "{no_ray}"},
            "error: --executor ray needs Ray, which is not installed: install it with "
            "`pip install 'smolwf[ray]'`",
            id="ray-not-installed",
        ),
    ],
)
def test_a_cluster_that_cannot_serve_the_run_is_one_line_before_the_run_exists(
    cluster: Cluster, tmp_path: Path, flags: list[str], env: dict[str, str], message: str
) -> None:
    no_ray = tmp_path / "no-ray" / "ray"
    no_ray.mkdir(parents=True)
    (no_ray / "__init__.py").write_text("raise ImportError('No module named ray')\n")
    script, _tag = fanout(tmp_path, 1)
    db = tmp_path / "runs.db"
    full_env = {
        **cluster.driver_env(tmp_path / "state"),
        **{k: v.format(no_ray=no_ray.parent) for k, v in env.items()},
    }
    done = cluster.loopback.run(
        [smol_wf_command()[0], "run", script, "--db", db, "--executor", "ray",
         "--ray-address", cluster.ray.address, *flags],
        cwd=tmp_path, env=full_env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    assert ours(done.stderr) == message.format(address=cluster.ray.address) + "\n"
    assert done.stdout == ""
    runs = (
        sqlite3.connect(db).execute("SELECT count(*) FROM runs").fetchone() if db.exists() else (0,)
    )
    assert runs == (0,)


RAY_CORE_LOG = re.compile(r"^\[\d{4}-\d\d-\d\d [\d:,]+ [IW] \d+ \d+\] \w+\.cc:\d+: .*\n", re.M)
"""A line of Ray's C++ core: in a namespace with no route out it warns that it cannot
find this machine's address and says which log level it took, before it reads it."""


def ours(stderr: str) -> str:
    return RAY_CORE_LOG.sub("", stderr)


def priced_calls(db: Path) -> list[tuple[str, float, int]]:
    """Model, cost and whether it was estimated, of every provider call in cost order."""
    rows = sqlite3.connect(db).execute(
        "SELECT model, cost_usd, cost_estimated FROM usage_ledger ORDER BY cost_usd, model"
    )
    return rows.fetchall()


def answered_calls(db: Path) -> tuple[int, int]:
    """Provider calls that answered, and the steps they answered: equal when none ran twice."""
    row = sqlite3.connect(db).execute(
        "SELECT count(*), count(DISTINCT step_id) FROM usage_ledger WHERE outcome = 'ok'"
    )
    return row.fetchone()  # type: ignore[no-any-return]


def started(cluster: Cluster, tag: str) -> list[dict[str, Any]]:
    return [e for e in read_log(cluster.calls) if tag in e["prompt"] and e["event"] == "start"]


def wait_for(condition: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def signal_inner(nsenter_pid: int, signum: signal.Signals) -> None:
    """Signal the command ``nsenter`` started (the driver), not ``nsenter`` itself."""
    children = Path(f"/proc/{nsenter_pid}/task/{nsenter_pid}/children").read_text().split()
    for pid in children:
        os.kill(int(pid), signum)
