"""The Ray executor against the local one, on a loopback cluster of this machine.

python bench/ray.py

1. Per-call overhead: fan-outs of N and 2N debug-provider calls (which answer at once,
   so the wall time is all overhead) with ``--executor local`` and with ``--executor ray``
   on two worker nodes. The difference between the two sizes, per call, is the marginal
   cost of a call (for Ray: a task, its streamed outcome); what is left of N's wall time
   is the fixed cost of a run (for Ray: joining the cluster and starting the run's worker
   processes, which Ray ties to one driver).
2. Scaling: calls of a fake CLI that sleeps 1 s, on 1, 2 and 3 worker nodes of 4 CPUs
   each (one call per CPU), beside the same fan-out run locally 4 at a time (one
   machine's worth). Each is run with K and 2K calls (K = 6 waves of the slots), and the
   throughput is K over the difference, so the run's fixed cost (above) is left out:
   calls per second should grow with the nodes. The wall time of the 2K run is shown too.

Everything runs inside a network namespace with only ``lo`` (``tests/cluster/loopback.py``),
as root. Each case keeps its fastest of ``--repeat`` runs (noise only ever adds time).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # not bench/: this file's own name would shadow the ray package

from tests.cluster.fake_agent import write_fake_claude  # noqa: E402
from tests.cluster.loopback import VENV_BIN, Loopback, RayCluster, loopback_unavailable  # noqa: E402

FANOUT = (
    "export const meta = {{ name: 'bench', description: 'a fan-out' }}\n"
    "const r = await parallel(Array.from({{ length: {n} }}, (_, i) => () => "
    "agent(`{tag} item ${{i}}{extra}`)))\nexport default r.length\n"
)
NODE_CPUS = 4
WAVES = 6


def timed(loopback: Loopback, argv: list[str | Path], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = loopback.run(argv, cwd=cwd, env=env, timeout=600)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"run failed: {done.stderr[-2000:]}")
    assert json.loads(done.stdout)["results"] > 0
    return elapsed


def fastest(repeat: int, run: Callable[[], float]) -> float:
    return min(run() for _ in range(repeat))


def script(work: Path, n: int, tag: str, extra: str = "") -> Path:
    path = work / f"{tag}.mjs"
    path.write_text(FANOUT.format(n=n, tag=tag, extra=extra), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--calls", type=int, default=200)
    options = parser.parse_args()
    reason = loopback_unavailable()
    if reason is not None:
        raise SystemExit(f"bench/ray.py cannot start its cluster: {reason}")
    work = Path(tempfile.mkdtemp(prefix="smol-wf-bench-ray-"))
    loopback = Loopback()
    try:
        env = {"FAKE_AGENT_LOG": str(work / "calls.jsonl"), "PATH": "/usr/bin:/bin"}
        cluster = RayCluster(loopback, work, env)
        fake = write_fake_claude(work)
        driver = {**cluster.env, "XDG_STATE_HOME": str(work / "state")}
        smol_wf = [VENV_BIN / "smol-wf", "run"]
        ray = ["--executor", "ray", "--ray-address", cluster.address]
        fake_cli = ["--agent-provider", "claude-code", "--provider-bin", f"claude-code={fake}"]

        def run(flags: list[str | Path], n: int, extra: str = "") -> Callable[[], float]:
            def once() -> float:
                tag = f"t{time.monotonic_ns()}"
                db = work / f"{tag}.db"
                path = script(work, n, tag, extra)
                return timed(loopback, [*smol_wf, path, "--db", db, *flags], work, driver)

            return once

        cluster.add_node("w1", NODE_CPUS)
        cluster.add_node("w2", NODE_CPUS)
        n = options.calls
        parallel = ["--max-parallel-agents", str(2 * NODE_CPUS)]
        print(f"== per-call overhead: {n} and {2 * n} debug calls, {2 * NODE_CPUS} in flight")
        print("executor        wall N   wall 2N   per call (marginal)   fixed per run")
        for name, flags in (("local", parallel), ("ray, 2 nodes", [*parallel, *ray])):
            small = fastest(options.repeat, run(flags, n))
            large = fastest(options.repeat, run(flags, 2 * n))
            marginal = (large - small) / n
            print(
                f"{name:<14} {small:6.2f} s  {large:6.2f} s  {marginal * 1000:11.1f} ms"
                f"          {small - n * marginal:6.2f} s"
            )

        print(f"\n== throughput: fake-CLI calls of 1 s, {WAVES} and {2 * WAVES} waves of the slots")
        print("executor             slots   wall 2K   calls/s (marginal)   vs local")

        def throughput(flags: list[str | Path], slots: int) -> tuple[float, float]:
            k = WAVES * slots
            small = fastest(options.repeat, run(flags, k, " sleep=1"))
            large = fastest(options.repeat, run(flags, 2 * k, " sleep=1"))
            return large, k / (large - small)

        base_flags = [*fake_cli, "--max-parallel-agents", str(NODE_CPUS)]
        wall, base = throughput(base_flags, NODE_CPUS)
        print(f"local, 4 at a time   {NODE_CPUS:5}   {wall:6.2f} s   {base:8.2f}             1.00×")
        for nodes in (1, 2, 3):
            while len(cluster.nodes) > nodes:
                cluster.kill(cluster.nodes[-1])
            while len(cluster.nodes) < nodes:
                cluster.add_node(f"w{len(cluster.nodes) + 1}", NODE_CPUS)
            time.sleep(3)  # a stopped node is declared dead before the next case
            slots = nodes * NODE_CPUS
            flags = [*fake_cli, *ray, "--max-parallel-agents", str(slots)]
            wall, rate = throughput(flags, slots)
            name = f"ray, {nodes} node{'s' if nodes > 1 else ''}"
            ratio = rate / base
            print(f"{name:<20} {slots:5}   {wall:6.2f} s   {rate:8.2f}             {ratio:4.2f}×")
    finally:
        loopback.close()
        subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    main()
