"""The model API providers driven by the real ``smol-wf run`` against the scripted server,
as a user runs them: answers, usage, live events, failures, fallback chains with the
CLIs, budget caps, permission levels and rate limits."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from genai_prices import Usage as PriceUsage
from genai_prices import calc_price

from tests.conftest import smol_wf_command
from tests.fakellm.homes import cli_env, require_cli
from tests.fakellm.server import FakeLLM

Cli = Callable[..., subprocess.CompletedProcess[str]]
META = "export const meta = { name: 'api', description: 'model API calls' }\n"
ONE_CALL = (
    META + "export default await agent(args.prompt, args.schema ? { schema: args.schema } : {})\n"
)
SCHEMA = {
    "type": "object",
    "properties": {"label": {"enum": ["bug", "feature"]}, "reason": {"type": "string"}},
    "required": ["label", "reason"],
}
BACKENDS = {
    "anthropic": ("anthropic", ["--provider-setting", "anthropic.model=fake-model"]),
    "openai-responses": ("openai", ["--provider-setting", "openai.model=fake-model"]),
    "openai-chat": (
        "openai",
        ["--provider-setting", "openai.model=fake-model", "--provider-setting", "openai.api=chat"],
    ),
}


class Run:
    """``smol-wf run`` of one script against the scripted server, its events parsed."""

    def __init__(self, cli: Cli, llm: FakeLLM, tmp_path: Path) -> None:
        self.cli, self.llm, self.tmp_path = cli, llm, tmp_path

    def __call__(self, body: str, *flags: str | Path, args: dict[str, Any] | None = None) -> Any:
        script = self.tmp_path / "wf.mjs"
        script.write_text(body, encoding="utf-8")
        args_file = self.tmp_path / "args.json"
        args_file.write_text(json.dumps(args or {}), encoding="utf-8")
        env = {
            "ANTHROPIC_BASE_URL": self.llm.base_url,
            "ANTHROPIC_API_KEY": "test-key",
            "OPENAI_BASE_URL": self.llm.base_url + "/v1",
            "OPENAI_API_KEY": "test-key",
        }
        done = self.cli(
            "run", script, "--db", self.tmp_path / "runs.db", "--events",
            "--args-from-file", args_file, *flags, env=env, timeout=120,
        )  # fmt: skip
        return Outcome(done)


class Outcome:
    def __init__(self, done: subprocess.CompletedProcess[str]) -> None:
        self.done = done
        self.events = [json.loads(line) for line in done.stdout.splitlines() if line]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event["type"] == "workflow." + kind]

    @property
    def result(self) -> Any:
        [result] = self.of("result")
        return result["data"]["results"]

    @property
    def error(self) -> str:
        [error] = self.of("error")
        message: str = error["data"]["message"]
        return message


@pytest.fixture
def run(cli: Cli, llm: FakeLLM, tmp_path: Path) -> Run:
    return Run(cli, llm, tmp_path)


@pytest.fixture(params=list(BACKENDS))
def backend(request: pytest.FixtureRequest) -> tuple[str, list[str]]:
    provider, flags = BACKENDS[request.param]
    return provider, ["--agent-provider", provider, *flags]


def test_a_text_answer_streams_live_events_and_records_the_usage_the_server_sent(
    run: Run, llm: FakeLLM, backend: tuple[str, list[str]]
) -> None:
    provider, flags = backend
    outcome = run(ONE_CALL, *flags, args={"prompt": "Say hello"})
    assert outcome.done.returncode == 0, outcome.done.stderr
    assert outcome.result == "ECHO: Say hello"
    [logged] = llm.model_requests()
    [completed] = outcome.of("agent_completed")
    usage = completed["data"]["usage"]
    assert (usage["inputTokens"], usage["outputTokens"]) == (
        logged["usage"]["input"],
        logged["usage"]["output"],
    )
    assert "costUsd" not in usage
    streamed = outcome.of("agent_event")
    assert len(streamed) >= 3
    assert {event["metadata"]["provider"] for event in streamed} == {provider}
    assert {event["data"]["sessionId"] for event in streamed} == {completed["data"]["sessionId"]}
    seqs = [event["type"] for event in outcome.events]
    assert seqs.index("workflow.agent_event") < seqs.index("workflow.agent_completed")


PRICED = {"anthropic": "claude-haiku-4-5", "openai": "gpt-5-mini"}
"""A model of each vendor the price database knows (the scripted server answers any)."""


def test_a_call_is_priced_from_its_tokens_and_model_since_the_api_reports_no_cost(
    run: Run, llm: FakeLLM, backend: tuple[str, list[str]]
) -> None:
    provider, flags = backend
    model = PRICED[provider]
    setting = f"{provider}.model={model}"
    outcome = run(ONE_CALL, *flags, "--provider-setting", setting, args={"prompt": "Say hello"})
    assert outcome.done.returncode == 0, outcome.done.stderr
    [logged] = llm.model_requests()
    tokens = PriceUsage(
        input_tokens=logged["usage"]["input"], output_tokens=logged["usage"]["output"]
    )
    price = calc_price(tokens, model, provider_id=provider).total_price
    [completed] = outcome.of("agent_completed")
    usage = completed["data"]["usage"]
    assert completed["data"]["model"] == model
    assert (usage["costUsd"], usage["costSource"]) == (float(price), "estimated")
    assert outcome.of("warning") == []


def test_a_model_the_price_database_does_not_know_costs_null_and_warns_once(
    run: Run, backend: tuple[str, list[str]]
) -> None:
    provider, flags = backend
    body = META + "export default await parallel(['a', 'b'].map((p) => () => agent(p)))\n"
    outcome = run(body, *flags)
    assert outcome.done.returncode == 0, outcome.done.stderr
    usages = [event["data"]["usage"] for event in outcome.of("agent_completed")]
    assert len(usages) == 2
    assert all("costUsd" not in usage for usage in usages)
    assert [event["data"] for event in outcome.of("warning")] == [
        {
            "message": f"the {provider} provider's calls to model 'fake-model' have no known "
            "cost (null, not $0): the provider reports none and the price database does not "
            "know the model",
            "source": "cost",
        }
    ]


def test_the_cache_keeps_the_answers_of_different_models_apart(run: Run, llm: FakeLLM) -> None:
    def cached(model: str) -> Outcome:
        setting = f"anthropic.model={model}"
        flags = ("--agent-provider", "anthropic", "--provider-setting", setting, "--cache")
        return run(ONE_CALL, *flags, args={"prompt": "Say hello"})

    first, again, other = cached("model-a"), cached("model-a"), cached("model-b")
    assert [entry["body"]["model"] for entry in llm.model_requests()] == ["model-a", "model-b"]
    [hit] = again.of("agent_completed")
    assert hit["data"]["cached"]["runId"] == first.of("result")[0]["metadata"]["runId"]
    assert "cached" not in other.of("agent_completed")[0]["data"]


@pytest.mark.parametrize(
    "setting",
    ["anthropic.max_retries", "anthropic.header.X-Team"],
    ids=["retry-count", "header"],
)
def test_the_cache_shares_answers_across_settings_that_cannot_change_them(
    run: Run, llm: FakeLLM, setting: str
) -> None:
    def cached(value: str) -> Outcome:
        flags = ["--agent-provider", "anthropic", "--cache"]
        flags += ["--provider-setting", "anthropic.model=fake-model"]
        flags += ["--provider-setting", f"{setting}={value}"]
        return run(ONE_CALL, *flags, args={"prompt": "Say hello"})

    first, other = cached("1"), cached("2")
    assert len(llm.model_requests()) == 1
    [hit] = other.of("agent_completed")
    assert hit["data"]["cached"]["runId"] == first.of("result")[0]["metadata"]["runId"]


def test_a_schema_answer_is_validated_and_handed_to_the_script(
    run: Run, backend: tuple[str, list[str]]
) -> None:
    _, flags = backend
    outcome = run(ONE_CALL, *flags, args={"prompt": "Classify", "schema": SCHEMA})
    assert outcome.done.returncode == 0, outcome.done.stderr
    assert outcome.result == {"label": "bug", "reason": "ECHO: Classify"}


FAILURES = [
    ("HTTP401", "HTTP 401", 1),
    ("HTTP500", "HTTP 500", 3),
]


@pytest.mark.parametrize(("prompt", "said", "requests"), FAILURES, ids=[f[0] for f in FAILURES])
def test_a_failed_call_fails_the_run_in_one_line(
    run: Run, llm: FakeLLM, backend: tuple[str, list[str]], prompt: str, said: str, requests: int
) -> None:
    _, flags = backend
    outcome = run(ONE_CALL, *flags, args={"prompt": prompt})
    assert outcome.done.returncode == 1
    assert said in outcome.error
    [failed] = outcome.of("agent_failed")
    assert said in failed["data"]["message"]
    assert len(llm.model_requests()) == requests
    if requests > 1:
        assert outcome.error.endswith("(after 3 requests)")


def test_a_rate_limited_request_is_sent_again_after_the_servers_retry_after(
    run: Run, llm: FakeLLM, backend: tuple[str, list[str]]
) -> None:
    _, flags = backend
    llm.fail_next(429, retry_after="0.1")
    outcome = run(ONE_CALL, *flags, args={"prompt": "Say hello"})
    assert outcome.done.returncode == 0, outcome.done.stderr
    assert [entry["status"] for entry in llm.model_requests()] == [429, 200]
    [completed] = outcome.of("agent_completed")
    assert completed["data"]["usage"]["outputTokens"] == llm.model_requests()[1]["usage"]["output"]


def test_a_hung_model_is_stopped_by_the_idle_timeout(
    run: Run, backend: tuple[str, list[str]]
) -> None:
    _, flags = backend
    outcome = run(ONE_CALL, *flags, "--agent-idle-timeout", "0.5", args={"prompt": "HANG"})
    assert outcome.done.returncode == 1
    assert "sent nothing for 0.5 s (idleTimeout); the request was cancelled" in outcome.error


CHAINS = [
    ("api-first", ["anthropic", "debug"], "HTTP429 then", "echo: HTTP429 then", "debug"),
    ("cli-first", ["claude-code", "anthropic"], "Say hello", "ECHO: Say hello", "anthropic"),
]


@pytest.mark.parametrize(
    ("chain", "prompt", "answer", "answered"),
    [case[1:] for case in CHAINS],
    ids=[case[0] for case in CHAINS],
)
def test_a_fallback_chain_moves_between_the_model_api_and_other_providers(
    run: Run, chain: list[str], prompt: str, answer: str, answered: str
) -> None:
    body = META + "export default await agent(args.prompt, { provider: args.chain })\n"
    outcome = run(
        body,
        "--provider-setting", "anthropic.model=fake-model",
        "--provider-bin", "claude-code=/nonexistent/claude",
        args={"prompt": prompt, "chain": chain},
    )  # fmt: skip
    assert outcome.done.returncode == 0, outcome.done.stderr
    assert outcome.result == answer
    [completed] = outcome.of("agent_completed")
    assert completed["metadata"]["provider"] == answered


def test_a_budget_cap_counts_what_the_api_reported(run: Run, llm: FakeLLM) -> None:
    body = META + "await agent('Say hello')\nexport default await agent('Say it again')\n"
    outcome = run(body, *BACKENDS["anthropic"][1], "--agent-provider", "anthropic",
                  "--max-output-tokens", "3")  # fmt: skip
    assert outcome.done.returncode == 1
    assert "BudgetExceeded: the run spent 4 of 3 output tokens" in outcome.error
    assert len(llm.model_requests()) == 1


def test_a_call_that_asks_to_edit_fails_before_any_request(run: Run, llm: FakeLLM) -> None:
    outcome = run(ONE_CALL, "--agent-provider", "openai", "--agent-permissions", "edit",
                  "--no-check", args={"prompt": "Fix it"})  # fmt: skip
    assert outcome.done.returncode == 1
    assert outcome.error.endswith(
        "the OpenAI API provider has no tools: it only answers and changes nothing, so it "
        "runs at permissions 'read-only' only, not 'edit'; give this call or its phase "
        "permissions: 'read-only'"
    )
    assert llm.requests == []


FANOUT = META + (
    "const answers = await parallel(Array.from({ length: args.n }, (_, i) =>"
    " () => agent('classify ' + i)))\n"
    "export default answers.filter((answer) => answer !== null).length\n"
)


def test_a_500_way_fan_out_under_a_concurrency_limit_never_meets_a_429(
    run: Run, llm: FakeLLM
) -> None:
    llm.concurrency_limit = 4
    outcome = run(
        FANOUT, *BACKENDS["anthropic"][1], "--agent-provider", "anthropic",
        "--max-parallel-agents", "500", "--provider-concurrency", "anthropic=4",
        "--provider-setting", "anthropic.max_retries=0", args={"n": 500},
    )  # fmt: skip
    assert outcome.done.returncode == 0, outcome.done.stderr
    assert outcome.result == 500
    assert {entry["status"] for entry in llm.model_requests()} == {200}
    assert llm.max_in_flight <= 4


def test_without_a_limit_the_same_fan_out_sends_its_calls_together(run: Run, llm: FakeLLM) -> None:
    llm.hold_until(8)
    outcome = run(
        FANOUT, *BACKENDS["anthropic"][1], "--agent-provider", "anthropic",
        "--max-parallel-agents", "16", args={"n": 16},
    )  # fmt: skip
    assert outcome.done.returncode == 0, outcome.done.stderr
    assert llm.max_in_flight >= 8


def test_a_limit_in_meta_applies_and_a_flag_wins_over_it(run: Run, llm: FakeLLM) -> None:
    body = FANOUT.replace(
        "description: 'model API calls' }",
        "description: 'model API calls', rateLimits: { anthropic: { concurrency: 2 } } }",
    )
    llm.concurrency_limit = 2
    outcome = run(body, *BACKENDS["anthropic"][1], "--agent-provider", "anthropic",
                  "--max-parallel-agents", "40", "--provider-setting", "anthropic.max_retries=0",
                  args={"n": 40})  # fmt: skip
    assert outcome.result == 40
    assert {entry["status"] for entry in llm.model_requests()} == {200}
    llm.concurrency_limit = None
    llm.hold_until(3, timeout=5)
    outcome = run(body, *BACKENDS["anthropic"][1], "--agent-provider", "anthropic",
                  "--max-parallel-agents", "40", "--provider-concurrency", "anthropic=3",
                  args={"n": 40})  # fmt: skip
    assert outcome.done.returncode == 0, outcome.done.stderr
    assert llm.max_in_flight == 3


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "triage.mjs"


def test_the_triage_example_classifies_through_the_api_and_fixes_through_claude_code(
    llm: FakeLLM, tmp_path: Path
) -> None:
    require_cli("claude")
    work = tmp_path / "work"
    work.mkdir()
    env = cli_env("claude", llm.port, tmp_path / "home")
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    argv = [*smol_wf_command(), "run", str(EXAMPLE), "--events", "--args-model", "fake-model"]
    done = subprocess.run(
        argv, cwd=work, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    outcome = Outcome(done)
    calls: dict[str, list[int]] = {"anthropic": [], "claude-code": []}
    for event in outcome.of("agent_completed"):
        calls[event["metadata"]["provider"]].append(event["data"]["usage"]["inputTokens"])
    assert len(calls["anthropic"]) == 3 and len(calls["claude-code"]) == 3
    assert max(calls["anthropic"]) * 10 < min(calls["claude-code"])
    assert [fix["change"][:6] for fix in outcome.result["fixed"]] == ["ECHO: "] * 3
