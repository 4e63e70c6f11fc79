"""A classification fan-out through a model API provider vs a coding-agent CLI.

python bench/api_vs_cli.py [CALLS] [--parallel N]      # default: 100 calls, 8 at once

Every call asks the scripted local model (tests/fakellm, on 127.0.0.1) to classify one
issue into a JSON schema. The same fan-out (``parallel`` of CALLS ``agent()`` calls, N at
once, one run through the Python API) goes through ``anthropic`` (the Messages API over
httpx) and through ``claude-code`` (the pinned claude CLI, ``npm install --prefix
tests/clis``). The baseline, measured in the same run against the same server: the
very requests the anthropic provider sends, sent straight with httpx, N at once, with
no smol-wf at all.

Printed per path: wall time of the fan-out, the mean time of one call (its
``agent_started`` to ``agent_completed``), what a call adds to the bare request, and the
input and output tokens per call as the server counted them (a CLI sends its whole system
prompt and tool list with every model request, and may make several per call).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from smolwf import AgentRequest, Event, EventType, run_workflow  # noqa: E402
from smolwf.jsontypes import JSONObject  # noqa: E402
from smolwf.providers.anthropic_api.wire import message_body  # noqa: E402
from smolwf.providers.model_api.schemas import SchemaEnvelope  # noqa: E402
from tests.fakellm.homes import cli_env, cli_path  # noqa: E402
from tests.fakellm.server import FakeLLM  # noqa: E402

LABEL = {
    "type": "object",
    "required": ["kind", "summary"],
    "properties": {"kind": {"enum": ["bug", "feature", "docs"]}, "summary": {"type": "string"}},
}
PROMPT = "Is this issue a bug, a feature request or a docs fix? Summarise it. Issue #"
WORKFLOW = (
    "export const meta = { name: 'classify', description: 'classify every issue' }\n"
    "const LABEL = " + json.dumps(LABEL) + "\n"
    "const labels = await parallel(Array.from({ length: args.calls }, (_, i) => () =>"
    " agent('" + PROMPT + "' + i, { schema: LABEL, model: 'fake-model' })))\n"
    "export default labels.filter((label) => label !== null).length\n"
)


@dataclass
class Figures:
    """One path's measurements."""

    path: str
    calls: int
    wall_s: float
    call_ms: list[float] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0

    @property
    def mean_call_ms(self) -> float:
        return statistics.fmean(self.call_ms) if self.call_ms else 0.0


def bare_requests(llm: FakeLLM, calls: int, parallel: int) -> Figures:
    """The baseline: the same Messages requests, streamed, sent straight with httpx."""
    before = len(llm.model_requests())
    times: list[float] = []

    async def fan_out() -> None:
        limiter = anyio.CapacityLimiter(parallel)
        async with httpx.AsyncClient(timeout=60) as client:

            async def one(index: int) -> None:
                async with limiter:
                    started = time.perf_counter()
                    request = _messages_body(PROMPT + str(index))
                    async with client.stream(
                        "POST", llm.base_url + "/v1/messages", json=request
                    ) as response:
                        async for _ in response.aiter_lines():
                            pass
                    times.append((time.perf_counter() - started) * 1000)

            async with anyio.create_task_group() as group:
                for index in range(calls):
                    group.start_soon(one, index)

    started = time.perf_counter()
    anyio.run(fan_out)
    figures = Figures("bare httpx requests", calls, time.perf_counter() - started, times)
    return _server_counts(figures, llm, before)


def _messages_body(prompt: str) -> JSONObject:
    """The very body the anthropic provider sends for this call."""
    request = AgentRequest(prompt, Path.cwd(), "bench", has_schema=True, schema=LABEL)
    return message_body(request, "fake-model", 4096, "tool", SchemaEnvelope.of(LABEL))


def through_smol_wf(provider: str, llm: FakeLLM, calls: int, parallel: int, work: Path) -> Figures:
    """The fan-out as one run through ``provider``."""
    script = work / "classify.mjs"
    script.write_text(WORKFLOW, encoding="utf-8")
    env = {"ANTHROPIC_BASE_URL": llm.base_url, "ANTHROPIC_API_KEY": "bench"}
    binaries = {}
    if provider == "claude-code":
        env = cli_env("claude", llm.port, work / "home")
        binaries = {"claude-code": str(cli_path("claude"))}
    started_at: dict[str, int] = {}
    call_ms: list[float] = []

    def on_event(event: Event) -> None:
        step, elapsed = event.meta("stepId"), event.elapsed_ns or 0
        if step is None:
            return
        if event.type == EventType.AGENT_STARTED:
            started_at[step] = elapsed
        elif event.type == EventType.AGENT_COMPLETED:
            call_ms.append((elapsed - started_at[step]) / 1e6)

    before = len(llm.model_requests())
    started = time.perf_counter()
    report = run_workflow(
        script,
        args={"calls": calls},
        db_path=work / f"{provider}.db",
        cwd=work,
        provider=provider,
        provider_env=env,
        provider_binaries=binaries,
        max_parallel_agents=parallel,
        max_agents=calls,
        on_event=on_event,
        progress_stream=io.StringIO(),
    )
    wall = time.perf_counter() - started
    if report.result != calls:
        raise SystemExit(f"{provider}: only {report.result} of {calls} calls answered")
    return _server_counts(Figures(f"smol-wf, {provider}", calls, wall, call_ms), llm, before)


def _server_counts(figures: Figures, llm: FakeLLM, before: int) -> Figures:
    answered = [entry for entry in llm.model_requests()[before:] if entry["usage"]]
    figures.requests = len(answered)
    figures.input_tokens = sum(entry["usage"]["input"] for entry in answered)
    figures.output_tokens = sum(entry["usage"]["output"] for entry in answered)
    return figures


def measure(calls: int, parallel: int) -> list[Figures]:
    with FakeLLM() as llm, tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        bare_requests(llm, min(calls, 10), parallel)  # warm-up
        rows = [bare_requests(llm, calls, parallel)]
        rows.append(through_smol_wf("anthropic", llm, calls, parallel, work))
        if cli_path("claude") is None:
            print("claude is not installed (npm install --prefix tests/clis): skipped")
        else:
            rows.append(through_smol_wf("claude-code", llm, calls, parallel, work))
    return rows


def report(rows: list[Figures], parallel: int) -> None:
    bare = rows[0]
    print(f"{rows[0].calls} classification calls, {parallel} at once, scripted model on 127.0.0.1")
    header = (
        f"{'path':<24} {'wall s':>8} {'ms/call':>9} {'added ms':>9} "
        f"{'requests':>9} {'in tok/call':>12} {'out tok/call':>13}"
    )
    print(header)
    for row in rows:
        added = row.mean_call_ms - bare.mean_call_ms
        print(
            f"{row.path:<24} {row.wall_s:>8.2f} {row.mean_call_ms:>9.1f} "
            f"{added if row is not bare else 0.0:>9.1f} {row.requests:>9} "
            f"{row.input_tokens / row.calls:>12.1f} {row.output_tokens / row.calls:>13.1f}"
        )
    api = next((row for row in rows if row.path.endswith("anthropic")), None)
    cli = next((row for row in rows if row.path.endswith("claude-code")), None)
    if api is not None and cli is not None:
        print(
            f"claude-code vs anthropic: {cli.wall_s / api.wall_s:.1f}x the wall time, "
            f"{cli.input_tokens / max(1, api.input_tokens):.0f}x the input tokens"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("calls", nargs="?", type=int, default=100)
    parser.add_argument("--parallel", type=int, default=8)
    options = parser.parse_args()
    report(measure(options.calls, options.parallel), options.parallel)


if __name__ == "__main__":
    main()
