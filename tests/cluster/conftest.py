"""One loopback Ray cluster for the whole module: a head and two worker nodes (more are
added by the tests that kill one), a FakeLLM inside the same namespace, the fake CLI."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cluster.fake_agent import write_fake_claude
from tests.cluster.loopback import VENV_BIN, Loopback, RayCluster, loopback_unavailable
from tests.fakellm.homes import claude_env
from tests.fakellm.server import FakeLLM

REQUIRE_ENV = "SMOLWF_REQUIRE_RAY"
"""Set (CI sets it): a machine that cannot run the cluster fails the tests, not skips them."""


@dataclass
class Cluster:
    loopback: Loopback
    ray: RayCluster
    llm: FakeLLM
    fake_claude: Path
    calls: Path
    """The fake CLI's log: every start and answer, with the node it ran on."""
    root: Path

    def debug_log(self, node: str) -> Path:
        """Where the debug provider on ``node`` writes one line per call."""
        return self.root / f"debug-{node}.jsonl"

    def node_env(self, name: str) -> dict[str, str]:
        return {"SMOLWF_DEBUG_CALL_LOG": str(self.debug_log(name))}

    def smol_wf(
        self, *args: str | Path, cwd: Path, state: Path, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """``smol-wf`` as a user runs it, inside the namespace."""
        return self.loopback.run(
            [VENV_BIN / "smol-wf", *args], cwd=cwd, env=self.driver_env(state), timeout=timeout
        )

    def start(
        self, *args: str | Path, cwd: Path, state: Path, stderr: int | None = subprocess.PIPE
    ) -> subprocess.Popen[str]:
        """``smol-wf`` started inside the namespace, its stdout piped."""
        return self.loopback.popen(
            [VENV_BIN / "smol-wf", *args], cwd=cwd, env=self.driver_env(state),
            stdout=subprocess.PIPE, stderr=stderr,
        )  # fmt: skip

    def driver_env(self, state: Path) -> dict[str, str]:
        return {**self.ray.env, "XDG_STATE_HOME": str(state)}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    reason = loopback_unavailable()
    if reason is not None:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{REQUIRE_ENV}=1 but the Ray cluster cannot start: {reason}")
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("cluster")
    loopback = Loopback()
    try:
        with loopback.entered():
            llm = FakeLLM().start()
        env = {
            **claude_env(llm.port, root / "home"),
            "FAKE_AGENT_LOG": str(root / "calls.jsonl"),
            "LANG": "C.UTF-8",
        }
        ray = RayCluster(loopback, root, env)
        made = Cluster(loopback, ray, llm, write_fake_claude(root), root / "calls.jsonl", root)
        for name in ("w1", "w2"):
            ray.add_node(name, cpus=2, env=made.node_env(name))
        yield made
        llm.close()
    finally:
        loopback.close()
