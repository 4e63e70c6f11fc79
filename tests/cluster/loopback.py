"""A multi-node Ray cluster on this machine whose traffic provably stays on loopback.

``Loopback`` is a network namespace with only ``lo`` (and a PID namespace, so every
process started in it dies with it), held by one sleeping process; commands run in it
through ``nsenter``. ``RayCluster`` starts a head and worker nodes there, each node a
``ray start`` raylet on 127.0.0.1 with its own name, resources and environment, and can
stop one node's raylet by pid, as a node that dies.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CLONE_NEWNET = 0x40000000
VENV_BIN = Path(sys.executable).parent
HEAD_PORT = 6379
SYSTEM_CONFIG = {"health_check_period_ms": 500, "health_check_failure_threshold": 4}
"""A node whose raylet stopped is declared dead in about two seconds, not fifteen."""


def loopback_unavailable() -> str | None:
    """Why this machine cannot host the cluster, or None when it can."""
    if shutil.which("unshare") is None or shutil.which("nsenter") is None:
        return "unshare and nsenter (util-linux) are needed"
    if shutil.which("ip") is None:
        return "ip (iproute2) is needed"
    if os.geteuid() != 0:
        return "network namespaces need root here"
    try:
        import ray  # noqa: F401
    except ImportError:
        return "ray is not installed (pip install -e '.[ray]')"
    return None


class Loopback:
    """A network and PID namespace with only ``lo``; ``close()`` ends all it holds."""

    def __init__(self) -> None:
        self.holder = subprocess.Popen(
            ["unshare", "--net", "--pid", "--fork", "--mount-proc", "--kill-child",
             "sh", "-c", "ip link set lo up && exec sleep 1000000"],
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        self.pid = self._inner_pid()

    def _inner_pid(self) -> int:
        """The sleeping PID 1 of the namespace, as this machine numbers it."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            children = Path(f"/proc/{self.holder.pid}/task/{self.holder.pid}/children")
            with contextlib.suppress(OSError):
                pids = children.read_text().split()
                if pids and Path(f"/proc/{pids[0]}/exe").resolve().name == "sleep":
                    return int(pids[0])
            time.sleep(0.02)
        raise RuntimeError("the loopback namespace did not start")

    def argv(self, argv: Sequence[str | Path], cwd: Path | None = None) -> list[str]:
        """``argv`` run in the namespace (in ``cwd``: entering it starts in ``/``)."""
        where = [f"--wd={cwd}"] if cwd is not None else []
        return ["nsenter", "-t", str(self.pid), "-n", "-p", "-m", *where, "--", *map(str, argv)]

    def run(
        self, argv: Sequence[str | Path], cwd: Path | None = None, **options: Any
    ) -> subprocess.CompletedProcess[str]:
        options.setdefault("capture_output", True)
        return subprocess.run(self.argv(argv, cwd), text=True, check=False, **options)

    def popen(
        self, argv: Sequence[str | Path], cwd: Path | None = None, **options: Any
    ) -> subprocess.Popen[str]:
        return subprocess.Popen(self.argv(argv, cwd), text=True, **options)

    def interfaces(self) -> list[str]:
        """Every network interface of the namespace with its addresses."""
        return self.run(["ip", "-o", "addr"]).stdout.splitlines()

    @contextlib.contextmanager
    def entered(self) -> Iterator[None]:
        """This thread in the namespace: a socket made here listens on its loopback."""
        libc = ctypes.CDLL(None, use_errno=True)
        home_ns, inside_ns = Path("/proc/self/ns/net"), Path(f"/proc/{self.pid}/ns/net")
        with home_ns.open() as home, inside_ns.open() as inside:
            if libc.setns(inside.fileno(), CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns into the loopback namespace")
            try:
                yield
            finally:
                libc.setns(home.fileno(), CLONE_NEWNET)

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)  # PID 1 of the namespace: all in it go too
        self.holder.wait(timeout=30)


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    cpus: int
    raylet: int
    """The raylet's pid, as this machine numbers it."""


def raylets(temp_dir: Path) -> set[int]:
    """The pids of every raylet of the cluster whose files are under ``temp_dir``."""
    found = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            if cmdline[0].endswith(b"/raylet") and f"--temp_dir={temp_dir}".encode() in cmdline:
                found.add(int(proc.name))
    return found


class RayCluster:
    """A head (no CPUs: calls never run beside the driver) and named worker nodes."""

    def __init__(self, loopback: Loopback, root: Path, env: Mapping[str, str]) -> None:
        self.loopback = loopback
        self.root = root
        self.temp_dir = root / "ray"
        self.env = {**env, "RAY_USAGE_STATS_ENABLED": "0", "PATH": _path(env)}
        self.nodes: list[Node] = []
        self.address = f"127.0.0.1:{HEAD_PORT}"
        self._start(
            "--head", "--port", str(HEAD_PORT), "--num-cpus", "0", "--node-name", "head",
            "--include-dashboard=false", "--disable-usage-stats",
            "--temp-dir", str(self.temp_dir), "--system-config", json.dumps(SYSTEM_CONFIG),
            env=self.env,
        )  # fmt: skip

    def add_node(
        self,
        name: str,
        cpus: int,
        env: Mapping[str, str] | None = None,
        resources: Mapping[str, float] | None = None,
    ) -> Node:
        """A worker node whose processes see ``SMOLWF_TEST_NODE=name`` and ``env``; it
        offers ``agents`` (one per CPU) and ``resources``."""
        node_env = {**self.env, **(env or {}), "SMOLWF_TEST_NODE": name}
        before = raylets(self.temp_dir)
        self._start(
            "--address", self.address, "--num-cpus", str(cpus), "--node-name", name,
            "--resources", json.dumps({"agents": cpus, **(resources or {})}), env=node_env,
        )  # fmt: skip
        [raylet] = raylets(self.temp_dir) - before
        node = Node(name, cpus, raylet)
        self.nodes.append(node)
        return node

    def _start(self, *flags: str, env: Mapping[str, str]) -> None:
        argv = [VENV_BIN / "ray", "start", "--node-ip-address", "127.0.0.1", *flags,
                "--object-store-memory", str(80 * 1024 * 1024)]  # fmt: skip
        done = self.loopback.run(argv, env=dict(env), timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"ray start failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")

    def kill(self, node: Node) -> None:
        """The node dies: its raylet is stopped by pid with SIGKILL, then every process it
        had started (its Ray workers and what they run), as when the machine goes away.
        A Ray worker outlives its raylet until it next needs it, so a raylet alone would
        let its running tasks finish."""
        started = descendants(node.raylet)
        os.kill(node.raylet, signal.SIGKILL)
        for pid in started:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.nodes.remove(node)


def descendants(pid: int) -> list[int]:
    """Every process under ``pid``, as this machine numbers them."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{parent}/task").iterdir():
                children = [int(c) for c in (task / "children").read_text().split()]
                found += children
                pending += children
    return found


def _path(env: Mapping[str, str]) -> str:
    """The venv first (``ray``, ``smol-wf``, the workers' Python), then the caller's PATH."""
    rest = env.get("PATH", os.environ.get("PATH", "/usr/bin:/bin"))
    return os.pathsep.join([str(VENV_BIN), rest])
