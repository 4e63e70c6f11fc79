"""What smol-wf adds to one real CLI call: the provider adapter vs the same CLI run bare.

python bench/cli_overhead.py [ROUNDS]

Needs the pinned CLIs (npm install --prefix tests/clis). Each CLI answers one plain
prompt from the scripted local model (tests/fakellm) on 127.0.0.1, alternately run
bare (subprocess, the adapter's argv) and through the adapter (``Provider.run`` with
live event parsing, watchdogs and process-group clean-up). Also times a whole
``smol-wf run`` of a one-agent workflow, which adds Python and engine start-up.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from smolwf.providers.base import AgentRequest, ProviderSettings  # noqa: E402
from smolwf.providers.registry import create_provider  # noqa: E402
from tests.fakellm.homes import cli_env, cli_path  # noqa: E402
from tests.fakellm.server import FakeLLM  # noqa: E402

PROMPT = "Say hello to the fake server"
CLIS = {
    "claude-code": ("claude", ["--output-format", "stream-json", "--verbose", "--print"]),
    "codex": ("codex", ["exec", "--skip-git-repo-check", "--json", "-"]),
    "pi": ("pi", ["--print", "--mode", "json"]),
    "opencode": ("opencode", ["run", "--format", "json"]),
}
WORKFLOW = (
    "export const meta = { name: 'one', description: 'one agent call' }\n"
    "export default await agent('" + PROMPT + "')\n"
)


def bare(command: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        command, input=PROMPT.encode(), env=env, cwd=cwd, capture_output=True, check=True
    )
    return time.perf_counter() - started


def adapter(provider: str, env: dict[str, str], cwd: Path) -> float:
    instance = create_provider(provider, ProviderSettings(env=env))
    request = AgentRequest(prompt=PROMPT, cwd=cwd, step_id="bench")

    async def call() -> float:
        started = time.perf_counter()
        await instance.run(request, lambda _event, _session: None)
        return time.perf_counter() - started

    return anyio.run(call)


def whole_run(provider: str, env: dict[str, str], cwd: Path, script: Path) -> float:
    smol_wf = Path(sys.executable).with_name("smol-wf")
    command = [str(smol_wf), "run", str(script), "--agent-provider", provider]
    started = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, capture_output=True, check=True)
    return time.perf_counter() - started


def measure(provider: str, rounds: int) -> tuple[float, float, float] | None:
    cli, args = CLIS[provider]
    path = cli_path(cli)
    if path is None:
        return None
    with FakeLLM() as llm, tempfile.TemporaryDirectory() as temp:
        base = Path(temp)
        env = cli_env(cli, llm.port, base / "home")
        env["XDG_STATE_HOME"] = str(base / "state")
        work = base / "work"
        work.mkdir()
        script = base / "wf.mjs"
        script.write_text(WORKFLOW)
        os.environ.update(env)  # the adapter finds the CLI on this PATH
        bare_s, adapter_s, whole_s = [], [], []
        bare([str(path), *args], env, work)  # warm-up: caches, first-run files
        for _ in range(rounds):
            bare_s.append(bare([str(path), *args], env, work))
            adapter_s.append(adapter(provider, env, work))
            whole_s.append(whole_run(provider, env, work, script))
    return statistics.median(bare_s), statistics.median(adapter_s), statistics.median(whole_s)


def main() -> None:
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
