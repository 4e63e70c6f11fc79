"""What smol-wf adds to one real CLI call: the provider adapter vs the same CLI run bare.

python bench/cli_overhead.py [ROUNDS]              # every pinned CLI
python bench/cli_overhead.py --profile codex [N]   # where one adapter call's time goes

Needs the pinned CLIs (npm install --prefix tests/clis). Each CLI answers one plain
prompt from the scripted local model (tests/fakellm) on 127.0.0.1, alternately run bare
and through the adapter (``Provider.run`` with live event parsing, watchdogs and
process-group clean-up). The bare run is the very command the adapter started: the same
argv (permission flags included) and the same environment (the adapter's CLI inherits
smol-wf's whole environment, which can slow a CLI down: a CA bundle named in
``NODE_EXTRA_CA_CERTS`` or ``SSL_CERT_DIR`` is loaded at start-up); so "added" is only
what the adapter does. Also times a whole ``smol-wf run`` of a one-agent workflow, which
adds Python and engine start-up.

``--profile`` runs N adapter calls, prints when each step of a call happened (spawn,
first and last event, exit seen, process group stopped) and the adapter's own CPU time
from cProfile, which is what is left when waiting for the CLI is taken out.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from smolwf.providers import process  # noqa: E402
from smolwf.providers.base import AgentRequest, ProviderSettings  # noqa: E402
from smolwf.providers.registry import create_provider  # noqa: E402
from tests.fakellm.homes import cli_env, cli_path  # noqa: E402
from tests.fakellm.server import FakeLLM  # noqa: E402

PROMPT = "Say hello to the fake server"
CLIS = {"claude-code": "claude", "codex": "codex", "pi": "pi", "opencode": "opencode"}
WORKFLOW = (
    "export const meta = { name: 'one', description: 'one agent call' }\n"
    "export default await agent('" + PROMPT + "')\n"
)


@dataclass
class Spawned:
    """What the adapter started, and when each step of its call happened."""

    argv: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    marks: dict[str, float] = field(default_factory=dict)

    def mark(self, step: str) -> None:
        self.marks.setdefault(step, time.perf_counter())


SPAWNED = Spawned()


def _watch_the_runner() -> None:
    """Record the adapter's command and its timeline (bench only: wraps the runner's
    process-group calls)."""
    open_group, stop_group = process.open_group, process.stop_group

    async def recording_open(argv: Sequence[str], **kwargs: Any) -> Any:
        SPAWNED.argv, SPAWNED.env = list(argv), dict(kwargs.get("env") or {})
        started = await open_group(argv, **kwargs)
        SPAWNED.mark("spawned")
        return started

    async def recording_stop(child: Any, *args: Any, **kwargs: Any) -> None:
        SPAWNED.mark("exit seen")
        await stop_group(child, *args, **kwargs)
        SPAWNED.mark("group stopped")

    process.open_group = recording_open  # type: ignore[assignment]
    process.stop_group = recording_stop  # type: ignore[assignment]


def bare(argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> float:
    """The adapter's last command, run with ``subprocess.run``. Temporary directories the
    adapter made for it (codex's last-message file) are made again, then removed."""
    made = [Path(arg).parent for arg in argv if _in_a_gone_temp_dir(arg)]
    for directory in made:
        directory.mkdir(parents=True)
    started = time.perf_counter()
    subprocess.run(
        list(argv), input=PROMPT.encode(), env=dict(env), cwd=cwd, capture_output=True, check=True
    )
    elapsed = time.perf_counter() - started
    for directory in made:
        shutil.rmtree(directory, ignore_errors=True)
    return elapsed


def _in_a_gone_temp_dir(arg: str) -> bool:
    path = Path(arg)
    temp = Path(tempfile.gettempdir())
    return path.is_absolute() and temp in path.parents and not path.parent.exists()


def adapter(provider: str, env: dict[str, str], cwd: Path) -> float:
    instance = create_provider(provider, ProviderSettings(env=env))
    request = AgentRequest(prompt=PROMPT, cwd=cwd, step_id="bench")

    async def call() -> float:
        SPAWNED.marks.clear()
        started = time.perf_counter()
        SPAWNED.marks["start"] = started
        await instance.run(request, lambda _event, _session: _event_seen())
        SPAWNED.mark("returned")
        return time.perf_counter() - started

    return anyio.run(call)


def _event_seen() -> None:
    SPAWNED.mark("first event")
    SPAWNED.marks["last event"] = time.perf_counter()


def whole_run(provider: str, env: dict[str, str], cwd: Path, script: Path) -> float:
    smol_wf = Path(sys.executable).with_name("smol-wf")
    command = [str(smol_wf), "run", str(script), "--agent-provider", provider]
    started = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, capture_output=True, check=True)
    return time.perf_counter() - started


class Scene:
    """A scripted model on 127.0.0.1, a home for the CLI and a working directory."""

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.cli = CLIS[provider]

    def __enter__(self) -> Scene:
        self.llm = FakeLLM().__enter__()
        self.temp = tempfile.TemporaryDirectory()
        base = Path(self.temp.name)
        self.env = cli_env(self.cli, self.llm.port, base / "home")
        self.env["XDG_STATE_HOME"] = str(base / "state")
        self.work = base / "work"
        self.work.mkdir()
        self.script = base / "wf.mjs"
        self.script.write_text(WORKFLOW)
        os.environ.update(self.env)  # the adapter finds the CLI on this PATH
        return self

    def __exit__(self, *exc: object) -> None:
        self.temp.cleanup()
        self.llm.__exit__(None, None, None)


def measure(provider: str, rounds: int) -> tuple[float, float, float] | None:
    if cli_path(CLIS[provider]) is None:
        return None
    with Scene(provider) as scene:
        adapter(provider, scene.env, scene.work)  # warm-up; records the command
        bare(SPAWNED.argv, SPAWNED.env, scene.work)
        bare_s, adapter_s, whole_s = [], [], []
        for _ in range(rounds):
            bare_s.append(bare(SPAWNED.argv, SPAWNED.env, scene.work))
            adapter_s.append(adapter(provider, scene.env, scene.work))
            whole_s.append(whole_run(provider, scene.env, scene.work, scene.script))
    return statistics.median(bare_s), statistics.median(adapter_s), statistics.median(whole_s)


def profile(provider: str, calls: int) -> None:
    """The timeline of ``calls`` adapter calls (median ms since the call started), then
    the adapter's own CPU time."""
    with Scene(provider) as scene:
        adapter(provider, scene.env, scene.work)
        timelines: dict[str, list[float]] = {}
        profiler = cProfile.Profile()
        for _ in range(calls):
            profiler.enable()
            adapter(provider, scene.env, scene.work)
            profiler.disable()
            start = SPAWNED.marks["start"]
            for step, moment in SPAWNED.marks.items():
                timelines.setdefault(step, []).append((moment - start) * 1000)
    print(f"{provider}: median ms since the call started, over {calls} calls")
    for step, moments in sorted(timelines.items(), key=lambda item: statistics.median(item[1])):
        print(f"  {step:<14} {statistics.median(moments):8.1f}")
    stats = pstats.Stats(profiler)
    table: dict[Any, Any] = getattr(stats, "stats")  # noqa: B009  (pstats keeps it untyped)
    waiting = sum(row[2] for key, row in table.items() if "poll" in key[2])
    total: float = getattr(stats, "total_tt")  # noqa: B009
    print(f"  CPU in Python per call, waiting left out: {(total - waiting) / calls * 1000:.1f} ms")
    stats.sort_stats("tottime").print_stats(8)


def main() -> None:
    _watch_the_runner()
    if sys.argv[1:2] == ["--profile"]:
        profile(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 10)
        return
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    print(f"median of {rounds} rounds, one plain prompt, scripted model on 127.0.0.1")
    print(f"{'provider':<12} {'bare s':>8} {'adapter s':>10} {'added':>7} {'smol-wf run s':>14}")
    for provider in CLIS:
        figures = measure(provider, rounds)
        if figures is None:
            print(f"{provider:<12} not installed (npm install --prefix tests/clis)")
            continue
        bare_s, adapter_s, whole_s = figures
        added = (adapter_s - bare_s) / bare_s * 100
        print(f"{provider:<12} {bare_s:8.3f} {adapter_s:10.3f} {added:6.1f}% {whole_s:14.3f}")


if __name__ == "__main__":
    main()
