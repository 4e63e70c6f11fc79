"""The model API providers against the scripted server: one test body for every wire
format (Anthropic Messages, OpenAI Responses, OpenAI Chat Completions), as a user of each
would see it: answers, usage, live events, failures and their kinds, retries, watchdogs."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import ServerSentEvent

from smolwf.errors import FailureKind, ProviderError
from smolwf.jsontypes import JSON
from smolwf.providers.anthropic_api.provider import AnthropicProvider
from smolwf.providers.base import AgentRequest, ProviderSettings
from smolwf.providers.model_api.client import BACKOFF_MAX_S, backoff_s
from smolwf.providers.model_api.failures import retry_after_seconds
from smolwf.providers.model_api.provider import ModelApiProvider
from smolwf.providers.openai_api.provider import OpenAIProvider
from tests.fakellm.server import FakeLLM

pytestmark = pytest.mark.anyio

SCHEMA = {
    "type": "object",
    "properties": {"label": {"enum": ["bug", "feature"]}, "reason": {"type": "string"}},
    "required": ["label", "reason"],
}


@dataclass(frozen=True)
class Backend:
    """One wire format: its provider, how the server names its API, its settings."""

    id: str
    provider: type[ModelApiProvider]
    api: str
    options: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.provider.name

    def env(self, base_url: str) -> dict[str, str]:
        if self.provider is AnthropicProvider:
            return {"ANTHROPIC_BASE_URL": base_url, "ANTHROPIC_API_KEY": "test-key"}
        return {"OPENAI_BASE_URL": base_url + "/v1", "OPENAI_API_KEY": "test-key"}

    def create(
        self, base_url: str, sleeps: list[float] | None = None, **options: str
    ) -> ModelApiProvider:
        async def sleep(seconds: float) -> None:
            if sleeps is not None:
                sleeps.append(seconds)

        settings = ProviderSettings(
            env=self.env(base_url),
            options={self.name: {"model": "fake-model", **self.options, **options}},
        )
        return self.provider(settings, sleep=sleep)


BACKENDS = [
    Backend("anthropic", AnthropicProvider, "anthropic"),
    Backend("openai-responses", OpenAIProvider, "responses"),
    Backend("openai-chat", OpenAIProvider, "chat", {"api": "chat"}),
]


@pytest.fixture(params=BACKENDS, ids=[backend.id for backend in BACKENDS])
def backend(request: pytest.FixtureRequest) -> Backend:
    chosen: Backend = request.param
    return chosen


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


def request_for(prompt: str, **fields: Any) -> AgentRequest:
    return AgentRequest(prompt=prompt, cwd=Path.cwd(), step_id="step_1", **fields)


class Seen:
    """The events a provider handed over, with the session id known at each."""

    def __init__(self) -> None:
        self.events: list[tuple[JSON, str | None]] = []

    def __call__(self, event: JSON, session_id: str | None) -> None:
        self.events.append((event, session_id))


async def run(provider: ModelApiProvider, request: AgentRequest, seen: Seen | None = None) -> Any:
    try:
        return await provider.run(request, seen or Seen())
    finally:
        await provider.aclose()


async def failure(provider: ModelApiProvider, request: AgentRequest) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await run(provider, request)
    return caught.value


# --- answers ---------------------------------------------------------------------------------


async def test_a_text_answer_streams_its_events_live_and_reports_the_usage_the_server_sent(
    backend: Backend, llm: FakeLLM
) -> None:
    seen = Seen()
    result = await run(backend.create(llm.base_url), request_for("Say hello"), seen)
    [logged] = llm.model_requests()
    assert logged["api"] == backend.api and logged["body"]["stream"] is True
    assert result.output == "ECHO: Say hello"
    assert result.model == "fake-model"
    assert result.usage.input_tokens == logged["usage"]["input"]
    assert result.usage.output_tokens == logged["usage"]["output"]
    assert result.usage.cost_usd is None
    assert result.session_id is not None and "_fake_" in result.session_id
    assert len(seen.events) >= 3
    assert {session for _, session in seen.events} == {result.session_id}
    assert [event for event, _ in seen.events] == result.raw


async def test_a_schema_answer_comes_from_the_apis_own_structured_output(
    backend: Backend, llm: FakeLLM
) -> None:
    provider = backend.create(llm.base_url)
    result = await run(provider, request_for("Classify", has_schema=True, schema=SCHEMA))
    assert result.output == {"label": "bug", "reason": "ECHO: Classify"}
    body = llm.model_requests()[0]["body"]
    asked = {
        "anthropic": lambda: (body["tools"][0]["input_schema"], body["tool_choice"]["name"]),
        "responses": lambda: (body["text"]["format"]["schema"], body["text"]["format"]["type"]),
        "chat": lambda: (body["response_format"]["json_schema"]["schema"], "json_schema"),
    }[backend.api]()
    assert asked == (SCHEMA, "StructuredOutput" if backend.api == "anthropic" else "json_schema")


async def test_a_schema_whose_root_is_not_an_object_is_wrapped_and_unwrapped(
    backend: Backend, llm: FakeLLM
) -> None:
    schema = {"type": "array", "items": {"type": "string"}}
    provider = backend.create(llm.base_url)
    result = await run(provider, request_for("List", has_schema=True, schema=schema))
    assert result.output == ["ECHO: List"]


async def test_anthropic_can_ask_for_the_output_config_format_instead_of_a_tool(
    llm: FakeLLM,
) -> None:
    provider = BACKENDS[0].create(llm.base_url, structured_output="output_config")
    result = await run(provider, request_for("Classify", has_schema=True, schema=SCHEMA))
    assert result.output == {"label": "bug", "reason": "ECHO: Classify"}
    body = llm.model_requests()[0]["body"]
    assert "tools" not in body
    assert body["output_config"] == {"format": {"type": "json_schema", "schema": SCHEMA}}


@pytest.mark.parametrize(
    ("backend_id", "effort", "sent"),
    [
        ("openai-responses", "max", {"reasoning": {"effort": "xhigh"}}),
        ("openai-chat", "low", {"reasoning_effort": "low"}),
        ("anthropic", "high", {}),
    ],
)
async def test_the_effort_becomes_the_apis_reasoning_level_where_it_has_one(
    llm: FakeLLM, backend_id: str, effort: str, sent: dict[str, Any]
) -> None:
    backend = next(item for item in BACKENDS if item.id == backend_id)
    await run(backend.create(llm.base_url), request_for("Think", effort=effort))
    body = llm.model_requests()[0]["body"]
    assert {key: body[key] for key in ("reasoning", "reasoning_effort") if key in body} == sent


async def test_settings_choose_the_key_variable_headers_and_token_limit(
    backend: Backend, llm: FakeLLM
) -> None:
    settings = ProviderSettings(
        env={**backend.env(llm.base_url), "TEAM_KEY": "team-secret"},
        options={
            backend.name: {
                "model": "fake-model",
                "api_key_env": "TEAM_KEY",
                "header.X-Team": "triage",
                "max_tokens": "64",
                **backend.options,
            }
        },
    )
    await run(backend.provider(settings), request_for("hi"))
    [logged] = llm.model_requests()
    headers = {name.lower(): value for name, value in logged["headers"].items()}
    key_header = "x-api-key" if backend.api == "anthropic" else "authorization"
    assert headers[key_header] == "<redacted>"
    assert headers["x-team"] == "triage"
    limit = {"anthropic": "max_tokens", "responses": "max_output_tokens", "chat": "max_tokens"}
    assert logged["body"][limit[backend.api]] == 64


# --- failures --------------------------------------------------------------------------------


async def test_an_auth_failure_is_not_repeated_and_says_which_key_to_set(
    backend: Backend, llm: FakeLLM
) -> None:
    settings = ProviderSettings(
        env={k: v for k, v in backend.env(llm.base_url).items() if not k.endswith("_KEY")},
        options={backend.name: {"model": "fake-model", **backend.options}},
    )
    error = await failure(backend.provider(settings), request_for("HTTP401"))
    assert error.kind is FailureKind.AUTH
    assert "HTTP 401" in error.message
    assert error.message.endswith(f"no API key was sent: set {backend.name.upper()}_API_KEY")
    assert len(llm.model_requests()) == 1


async def test_a_refused_request_is_repeated_after_the_wait_the_server_named(
    backend: Backend, llm: FakeLLM
) -> None:
    llm.fail_next(429, 500, retry_after="1.5")
    sleeps: list[float] = []
    result = await run(backend.create(llm.base_url, sleeps), request_for("Say hello"))
    assert result.output == "ECHO: Say hello"
    assert [entry["status"] for entry in llm.model_requests()] == [429, 500, 200]
    assert sleeps == [1.5, 1.5]


FAILURES = [("HTTP429", FailureKind.QUOTA), ("HTTP500", FailureKind.TRANSIENT)]


@pytest.mark.parametrize(("prompt", "kind"), FAILURES, ids=[p for p, _ in FAILURES])
async def test_a_refusal_that_outlasts_the_retries_fails_with_its_kind(
    backend: Backend, llm: FakeLLM, prompt: str, kind: FailureKind
) -> None:
    error = await failure(backend.create(llm.base_url, []), request_for(prompt))
    assert error.kind is kind
    assert error.message.startswith(f"{backend.provider.capabilities.display_name} provider")
    assert error.message.endswith("(after 3 requests)")
    assert error.retry_after_s == 0.0
    assert len(llm.model_requests()) == 3


async def test_max_retries_zero_sends_the_request_once(backend: Backend, llm: FakeLLM) -> None:
    error = await failure(backend.create(llm.base_url, [], max_retries="0"), request_for("HTTP500"))
    assert error.kind is FailureKind.TRANSIENT
    assert "after" not in error.message
    assert len(llm.model_requests()) == 1


async def test_a_wait_longer_than_a_minute_ends_the_call_with_the_wait_on_its_error(
    backend: Backend, llm: FakeLLM
) -> None:
    llm.fail_next(429, retry_after="120")
    sleeps: list[float] = []
    error = await failure(backend.create(llm.base_url, sleeps), request_for("hi"))
    assert (error.kind, error.retry_after_s, sleeps) == (FailureKind.QUOTA, 120.0, [])
    assert len(llm.model_requests()) == 1


async def test_a_request_the_api_refuses_as_invalid_is_a_configuration_failure(
    backend: Backend, llm: FakeLLM
) -> None:
    error = await failure(backend.create(llm.base_url, []), request_for("HTTP400"))
    assert error.kind is FailureKind.CONFIG
    assert "(HTTP 400 invalid_request_error): fakellm: scripted HTTP 400" in error.message
    assert len(llm.model_requests()) == 1


async def test_a_hung_model_is_stopped_by_the_idle_timeout(backend: Backend, llm: FakeLLM) -> None:
    error = await failure(backend.create(llm.base_url), request_for("HANG", idle_timeout_s=0.3))
    assert error.kind is FailureKind.TIMEOUT
    name = backend.provider.capabilities.display_name
    assert error.message == (
        f"{name} provider sent nothing for 0.3 s (idleTimeout); the request was cancelled: "
        "raise the agent() idleTimeout option or --agent-idle-timeout"
    )
    if backend.api != "responses":  # the others say hello before going silent
        assert error.session_id is not None


async def test_a_call_that_streams_too_long_is_stopped_by_its_timeout(backend: Backend) -> None:
    with FakeLLM(slow_delay_s=0.2) as slow:
        provider = backend.create(slow.base_url)
        error = await failure(provider, request_for("SLOW", timeout_s=0.5, idle_timeout_s=5))
    assert error.kind is FailureKind.TIMEOUT
    assert error.message.startswith(
        f"{backend.provider.capabilities.display_name} provider timed out after 0.5 s (timeout); "
        "the request was cancelled"
    )


async def test_a_call_without_a_model_fails_before_any_request(
    backend: Backend, llm: FakeLLM
) -> None:
    settings = ProviderSettings(env=backend.env(llm.base_url), options={})
    error = await failure(backend.provider(settings), request_for("hi"))
    assert error.kind is FailureKind.CONFIG
    assert error.message.endswith(
        f"needs a model: give agent() a model option, or --provider-setting {backend.name}.model=ID"
    )
    assert llm.requests == []


async def test_an_unreachable_server_is_a_transient_failure_after_the_retries(
    backend: Backend,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps: list[float] = []
    error = await failure(backend.create(f"http://127.0.0.1:{port}", sleeps), request_for("hi"))
    assert error.kind is FailureKind.TRANSIENT
    assert f"could not reach http://127.0.0.1:{port}" in error.message
    assert error.message.endswith("(after 3 requests)")
    assert len(sleeps) == 2 and 0 < sleeps[0] <= sleeps[1] <= BACKOFF_MAX_S


async def test_a_provider_answers_again_after_its_pool_was_closed(
    backend: Backend, llm: FakeLLM
) -> None:
    provider = backend.create(llm.base_url)
    first = await run(provider, request_for("one"))
    second = await run(provider, request_for("two"))
    assert (first.output, second.output) == ("ECHO: one", "ECHO: two")


# --- how a stream ends -----------------------------------------------------------------------


def sse(data: dict[str, Any] | str, event: str | None = None) -> ServerSentEvent:
    text = data if isinstance(data, str) else json.dumps(data)
    return ServerSentEvent(event=event or "", data=text)


START = {
    "anthropic": [
        sse({"type": "message_start", "message": {"id": "msg_1", "usage": {"input_tokens": 9}}}),
        sse({"type": "content_block_start", "index": 0, "content_block": {"type": "text"}}),
        sse(
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": "Hal"},
            }
        ),
    ],
    "responses": [
        sse({"type": "response.created", "response": {"id": "resp_1", "status": "in_progress"}}),
        sse({"type": "response.output_text.delta", "delta": "Hal"}),
    ],
    "chat": [sse({"id": "chat_1", "choices": [{"index": 0, "delta": {"content": "Hal"}}]})],
}


def _response(status: str, **extra: Any) -> dict[str, Any]:
    return {"id": "resp_1", "status": status, **extra}


ENDINGS: dict[str, dict[str, list[ServerSentEvent]]] = {
    "cut-short": {
        "anthropic": [
            sse({"type": "message_delta", "delta": {"stop_reason": "max_tokens"}}),
            sse({"type": "message_stop"}),
        ],
        "responses": [
            sse(
                {
                    "type": "response.incomplete",
                    "response": _response(
                        "incomplete", incomplete_details={"reason": "max_output_tokens"}
                    ),
                }
            )
        ],
        "chat": [sse({"id": "chat_1", "choices": [{"delta": {}, "finish_reason": "length"}]})],
    },
    "declined": {
        "anthropic": [
            sse({"type": "message_delta", "delta": {"stop_reason": "refusal"}}),
            sse({"type": "message_stop"}),
        ],
        "responses": [
            sse({"type": "response.refusal.delta", "delta": "I can't"}),
            sse({"type": "response.completed", "response": _response("completed", output=[])}),
        ],
        "chat": [
            sse({"id": "chat_1", "choices": [{"delta": {"refusal": "I can't"}}]}),
            sse({"id": "chat_1", "choices": [{"delta": {}, "finish_reason": "stop"}]}),
        ],
    },
    "error-event": {
        "anthropic": [
            sse({"type": "error", "error": {"type": "overloaded_error", "message": "busy"}})
        ],
        "responses": [
            sse(
                {
                    "type": "response.failed",
                    "response": _response(
                        "failed", error={"code": "server_error", "message": "busy"}
                    ),
                }
            )
        ],
        "chat": [sse({"error": {"message": "busy", "type": "server_error"}})],
    },
    "ended-early": {"anthropic": [], "responses": [], "chat": []},
}
KINDS = {
    "cut-short": (FailureKind.INVALID_OUTPUT, "stopped at the token limit (32)"),
    "declined": (FailureKind.CRASH, "model declined to answer"),
    "error-event": (FailureKind.TRANSIENT, "failed in the stream (server_error): busy"),
    "ended-early": (FailureKind.TRANSIENT, "stream ended before"),
}
CASES = [(ending, backend) for ending in ENDINGS for backend in BACKENDS]


@pytest.mark.parametrize(
    ("ending", "backend"), CASES, ids=[f"{ending}-{backend.id}" for ending, backend in CASES]
)
def test_a_stream_that_ends_without_an_answer_says_why(ending: str, backend: Backend) -> None:
    provider = backend.create("http://127.0.0.1:9", max_tokens="32")
    _, fold = provider.prepare(request_for("hi"), "fake-model")
    kind, said = KINDS[ending]
    if ending == "error-event" and backend.api == "anthropic":
        said = "failed in the stream (overloaded_error): busy"
    with pytest.raises(ProviderError) as caught:
        for event in [*START[backend.api], *ENDINGS[ending][backend.api]]:
            fold.take(event)
        fold.result()
    assert caught.value.kind is kind
    assert said in caught.value.message
    if ending == "cut-short":
        assert caught.value.message.endswith(f"raise --provider-setting {backend.name}.max_tokens")


# --- plumbing --------------------------------------------------------------------------------

RETRY_AFTER = [
    ({"retry-after": "2"}, 2.0),
    ({"retry-after": "0.5"}, 0.5),
    ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
    ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),
    ({"retry-after": "soon"}, None),
    ({}, None),
]


@pytest.mark.parametrize(("headers", "seconds"), RETRY_AFTER, ids=[str(h) for h, _ in RETRY_AFTER])
def test_the_wait_a_server_names_is_read_from_its_headers(
    headers: dict[str, str], seconds: float | None
) -> None:
    assert retry_after_seconds(httpx.Headers(headers)) == seconds


def test_the_backoff_doubles_up_to_its_ceiling_with_jitter() -> None:
    for attempt, ceiling in enumerate([0.5, 1.0, 2.0, 4.0, 8.0, 8.0]):
        assert 0.75 * ceiling <= backoff_s(attempt) <= ceiling
