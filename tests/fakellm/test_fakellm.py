"""The scripted LLM server, first on its own, then driven by the real code-agent CLIs.

The real-CLI tests skip when ``tests/clis`` has no installed CLIs (``npm install --prefix
tests/clis``), unless ``SMOLWF_REQUIRE_REAL_CLIS=1``, which turns a missing CLI into a failure.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fakellm import FakeLLM, cli_env, cli_path, installed_clis
from tests.fakellm.script import TOOL_COMMAND, TOOL_RESULT_TEXT, add_file_patch, echo

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"answer": {"type": "string"}, "confidence": {"type": "number"}},
    "required": ["answer", "confidence"],
    "additionalProperties": False,
}
ANSWER = {"answer": "ECHO: Give me the answer", "confidence": 42.5}
PI_EXTENSION = Path(__file__).with_name("pi_structured_output.ts")
CLI_TIMEOUT_S = 90


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


# --- talking to the server directly ----------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    raw: bytes

    def json(self) -> Any:
        return json.loads(self.raw)

    def events(self) -> list[tuple[str | None, Any]]:
        """SSE frames as (event name or None, parsed data or the literal ``[DONE]``)."""
        frames = []
        for block in self.raw.decode().split("\n\n"):
            if not block.strip():
                continue
            fields = dict(line.split(": ", 1) for line in block.splitlines())
            data = fields["data"]
            frames.append((fields.get("event"), data if data == "[DONE]" else json.loads(data)))
        return frames


def call(
    llm: FakeLLM,
    path: str,
    body: dict[str, Any] | None = None,
    *,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    connection: http.client.HTTPConnection | None = None,
) -> Answer:
    conn = connection or http.client.HTTPConnection("127.0.0.1", llm.port, timeout=10)
    data = None if body is None else json.dumps(body).encode()
    conn.request(
        method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})}
    )
    response = conn.getresponse()
    raw = response.read()
    if connection is None:
        conn.close()
    return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, raw)


def anthropic_body(prompt: str, **extra: Any) -> dict[str, Any]:
    return {
        "model": "claude-test",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": prompt}],
        **extra,
    }


def chat_body(prompt: str, **extra: Any) -> dict[str, Any]:
    return {"model": "fake-model", "messages": [{"role": "user", "content": prompt}], **extra}


def responses_body(prompt: str, **extra: Any) -> dict[str, Any]:
    content = [{"type": "input_text", "text": prompt}]
    message = {"type": "message", "role": "user", "content": content}
    return {"model": "gpt-test", "input": [message], **extra}


def test_anthropic_stream_echoes_the_prompt_in_small_deltas(llm: FakeLLM) -> None:
    answer = call(
        llm, "/v1/messages?beta=true", anthropic_body("Say hello to the fake server", stream=True)
    )
    assert answer.status == 200
    assert answer.headers["content-type"] == "text/event-stream"
    assert answer.headers["transfer-encoding"] == "chunked"
    assert answer.headers["request-id"].startswith("req_")
    events = answer.events()
    assert [name for name, _ in events] == [
        "message_start",
        "content_block_start",
        "ping",
        *["content_block_delta"] * 3,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    text = "".join(data["delta"]["text"] for name, data in events if name == "content_block_delta")
    assert text == "ECHO: Say hello to the fake server"
    usage = llm.requests[0]["usage"]
    assert events[0][1]["message"]["usage"]["input_tokens"] == usage["input"]
    assert events[-2][1]["usage"]["output_tokens"] == usage["output"] == 9
    assert events[-2][1]["delta"]["stop_reason"] == "end_turn"


def test_anthropic_whole_message_when_not_streaming(llm: FakeLLM) -> None:
    answer = call(llm, "/v1/messages", anthropic_body("hi"))
    body = answer.json()
    assert answer.headers["content-length"] == str(len(answer.raw))
    assert body["content"] == [{"type": "text", "text": "ECHO: hi"}]
    assert body["usage"]["output_tokens"] == llm.requests[0]["usage"]["output"] == 2


def test_anthropic_prompt_skips_system_reminders_and_system_messages(llm: FakeLLM) -> None:
    content = [
        {"type": "text", "text": "<system-reminder>\nignore me\n</system-reminder>\n"},
        {"type": "text", "text": "The real prompt"},
    ]
    messages = [{"role": "user", "content": content}, {"role": "system", "content": "agents..."}]
    answer = call(llm, "/v1/messages", {"model": "m", "messages": messages})
    assert answer.json()["content"][0]["text"] == "ECHO: The real prompt"


def test_chat_stream_ends_with_a_usage_chunk_and_done(llm: FakeLLM) -> None:
    body = chat_body(
        "Say hello to the fake server", stream=True, stream_options={"include_usage": True}
    )
    events = call(llm, "/v1/chat/completions", body).events()
    assert all(name is None for name, _ in events)
    assert events[0][1]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    text = "".join(d["choices"][0]["delta"].get("content", "") for _, d in events[1:-3])
    assert text == "ECHO: Say hello to the fake server"
    assert events[-3][1]["choices"][0]["finish_reason"] == "stop"
    usage = events[-2][1]["usage"]
    assert events[-2][1]["choices"] == []
    recorded = llm.requests[0]["usage"]
    assert (usage["prompt_tokens"], usage["completion_tokens"]) == (
        recorded["input"],
        recorded["output"],
    )
    assert events[-1][1] == "[DONE]"


def test_chat_whole_completion_when_not_streaming(llm: FakeLLM) -> None:
    body = call(llm, "/v1/chat/completions", chat_body("hi there")).json()
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "ECHO: hi there"}
    assert body["usage"]["total_tokens"] == sum(llm.requests[0]["usage"].values())


def test_responses_stream_numbers_its_events(llm: FakeLLM) -> None:
    events = call(
        llm, "/v1/responses", responses_body("Say hello to the fake server", stream=True)
    ).events()
    names = [name for name, _ in events]
    assert names[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert names[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [data["sequence_number"] for _, data in events] == list(range(len(events)))
    assert all(data["type"] == name for name, data in events)
    completed = events[-1][1]["response"]
    assert completed["output"][0]["content"][0]["text"] == "ECHO: Say hello to the fake server"
    recorded = llm.requests[0]["usage"]
    assert completed["usage"]["input_tokens"] == recorded["input"]
    assert completed["usage"]["output_tokens"] == recorded["output"]


def test_responses_prompt_skips_environment_context_and_agents_md(llm: FakeLLM) -> None:
    body = responses_body("the prompt")
    context = {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": "<environment_context>x"}],
    }
    body["input"].append(context)
    answer = call(llm, "/v1/responses", body).json()
    assert answer["output_text"] == "ECHO: the prompt"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/messages", anthropic_body("x HTTP401")),
        ("/v1/chat/completions", chat_body("x HTTP401")),
        ("/v1/responses", responses_body("x HTTP401")),
    ],
)
def test_unauthorized_has_the_provider_error_shape(
    llm: FakeLLM, path: str, body: dict[str, Any]
) -> None:
    answer = call(llm, path, body)
    assert answer.status == 401
    error = answer.json()["error"]
    if path == "/v1/messages":
        assert answer.json()["type"] == "error"
        assert error["type"] == "authentication_error"
        assert "request-id" in answer.headers
    else:
        assert (error["type"], error["code"]) == ("invalid_request_error", "invalid_api_key")
        assert "x-request-id" in answer.headers
    assert "retry-after" not in answer.headers
    assert llm.requests[0]["status"] == 401
    assert llm.requests[0]["usage"] is None


@pytest.mark.parametrize("status", [500, 429, 400])
def test_server_errors_say_retry_at_once(llm: FakeLLM, status: int) -> None:
    answer = call(llm, "/v1/messages", anthropic_body(f"HTTP{status}", stream=True))
    assert answer.status == status
    kind = {500: "api_error", 429: "rate_limit_error", 400: "invalid_request_error"}[status]
    assert answer.json()["error"]["type"] == kind
    assert answer.headers.get("retry-after") == ("0" if status != 400 else None)


def test_requested_schemas_get_an_instance_as_text(llm: FakeLLM) -> None:
    chat_format = {"type": "json_schema", "json_schema": {"name": "out", "schema": SCHEMA}}
    responses_format = {"type": "json_schema", "strict": True, "name": "codex", "schema": SCHEMA}
    anthropic_format = {"type": "json_schema", "schema": SCHEMA}
    prompt = "Give me the answer"
    chat = call(llm, "/v1/chat/completions", chat_body(prompt, response_format=chat_format))
    responses = call(
        llm, "/v1/responses", responses_body(prompt, text={"format": responses_format})
    )
    output_format = call(
        llm, "/v1/messages", anthropic_body(prompt, output_format=anthropic_format)
    )
    output_config = call(
        llm, "/v1/messages", anthropic_body(prompt, output_config={"format": anthropic_format})
    )
    texts = [
        chat.json()["choices"][0]["message"]["content"],
        responses.json()["output_text"],
        output_format.json()["content"][0]["text"],
        output_config.json()["content"][0]["text"],
    ]
    assert [json.loads(text) for text in texts] == [ANSWER] * 4


def test_a_structured_output_tool_is_called_with_an_instance_of_its_schema(llm: FakeLLM) -> None:
    tools = [
        {"type": "function", "function": {"name": "bash", "parameters": {}}},
        {
            "type": "function",
            "function": {"name": "smol_wf_structured_output", "parameters": SCHEMA},
        },
    ]
    body = chat_body("Give me the answer", tools=tools, stream=True)
    events = call(llm, "/v1/chat/completions", body).events()
    calls = [
        c
        for _, d in events
        if d != "[DONE]"
        for ch in d["choices"]
        for c in ch["delta"].get("tool_calls", [])
    ]
    assert calls[0]["function"]["name"] == "smol_wf_structured_output"
    assert json.loads("".join(c["function"]["arguments"] for c in calls)) == ANSWER
    assert events[-2][1]["choices"][0]["finish_reason"] == "tool_calls"
    assert llm.requests[0]["reply"] == {
        "kind": "tool",
        "tool": {"name": "smol_wf_structured_output", "input": ANSWER},
    }

    tool = {"name": "StructuredOutput", "input_schema": SCHEMA}
    answer = call(llm, "/v1/messages", anthropic_body("Give me the answer", tools=[tool])).json()
    assert answer["stop_reason"] == "tool_use"
    assert answer["content"][0]["input"] == ANSWER


def test_toolcall_runs_the_shell_tool_then_reports_its_result(llm: FakeLLM) -> None:
    tool = {
        "name": "Bash",
        "input_schema": {
            "type": "object",
            "properties": {"command": {}, "description": {}, "timeout": {}},
        },
    }
    body = anthropic_body("TOOLCALL run the echo command", tools=[tool], stream=True)
    events = call(llm, "/v1/messages", body).events()
    start = events[1][1]["content_block"]
    assert (start["type"], start["name"], start["input"]) == ("tool_use", "Bash", {})
    arguments = "".join(d["delta"]["partial_json"] for n, d in events if n == "content_block_delta")
    assert json.loads(arguments) == {"command": TOOL_COMMAND, "description": "fakellm tool test"}
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"

    use = {"type": "tool_use", "id": start["id"], "name": "Bash", "input": json.loads(arguments)}
    result = {"type": "tool_result", "tool_use_id": start["id"], "content": "FAKELLM_TOOL_OK\n"}
    body["messages"] += [
        {"role": "assistant", "content": [use]},
        {"role": "user", "content": [result]},
    ]
    body["stream"] = False
    assert call(llm, "/v1/messages", body).json()["content"][0]["text"] == TOOL_RESULT_TEXT


def test_toolcall_with_responses_fills_cmd_and_array_commands(llm: FakeLLM) -> None:
    tools = [
        {
            "type": "function",
            "name": "exec_command",
            "parameters": {"properties": {"cmd": {"type": "string"}}},
        },
        {"type": "custom", "name": "apply_patch"},
    ]
    body = responses_body("TOOLCALL please", tools=tools, stream=True)
    events = call(llm, "/v1/responses", body).events()
    item = events[-2][1]["item"]
    assert (item["type"], item["name"], json.loads(item["arguments"])) == (
        "function_call",
        "exec_command",
        {"cmd": TOOL_COMMAND},
    )
    assert "response.function_call_arguments.done" in [name for name, _ in events]

    shell = {
        "type": "function",
        "function": {"name": "shell", "parameters": {"properties": {"command": {"type": "array"}}}},
    }
    answer = call(llm, "/v1/chat/completions", chat_body("TOOLCALL", tools=[shell])).json()
    arguments = answer["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
    assert json.loads(arguments) == {"command": ["bash", "-lc", TOOL_COMMAND]}


def test_toolwrite_with_responses_calls_the_freeform_patch_tool(llm: FakeLLM) -> None:
    """codex's only file-writing tool is ``apply_patch``, a ``custom`` tool taking text."""
    tools = [
        {"type": "function", "name": "exec_command", "parameters": {"properties": {}}},
        {"type": "custom", "name": "apply_patch"},
    ]
    body = responses_body("TOOLWRITE:agent-edit.txt", tools=tools, stream=True)
    events = call(llm, "/v1/responses", body).events()
    item = events[-2][1]["item"]
    patch = "*** Begin Patch\n*** Add File: agent-edit.txt\n+FAKELLM_EDIT_OK\n*** End Patch\n"
    assert add_file_patch("agent-edit.txt") == patch
    assert (item["type"], item["name"], item["input"]) == ("custom_tool_call", "apply_patch", patch)
    names = [name for name, _ in events]
    assert names[2] == "response.output_item.added" and events[2][1]["item"]["input"] == ""
    assert "response.custom_tool_call_input.done" in names
    assert llm.requests[-1]["reply"]["tool"] == {"name": "apply_patch", "input": {}, "text": patch}

    output = {"type": "custom_tool_call_output", "call_id": item["call_id"], "output": "Done!"}
    body["input"] += [item, output]
    body["stream"] = False
    assert call(llm, "/v1/responses", body).json()["output_text"] == TOOL_RESULT_TEXT


def test_models_count_tokens_and_unknown_routes(llm: FakeLLM) -> None:
    models = call(llm, "/v1/models", method="GET").json()
    assert models["object"] == "list"
    assert models["data"][0]["id"] == "fake-model"
    assert models["data"][0]["type"] == "model"
    counted = call(llm, "/v1/messages/count_tokens", anthropic_body("count me")).json()
    assert counted["input_tokens"] > 0
    missing = call(llm, "/v2/elsewhere", {})
    assert missing.status == 404
    assert "error" in missing.json()
    assert [r["api"] for r in llm.requests] == ["models", "count_tokens", None]
    assert llm.model_requests() == []


def test_log_redacts_auth_and_keeps_the_parsed_body(llm: FakeLLM) -> None:
    secrets = {
        "Authorization": "Bearer sk-secret",
        "x-api-key": "sk-secret",
        "anthropic-version": "2023-06-01",
    }
    call(llm, "/v1/messages?beta=true", anthropic_body("hi"), headers=secrets)
    entry = llm.requests[0]
    assert entry["headers"]["Authorization"] == entry["headers"]["x-api-key"] == "<redacted>"
    assert entry["headers"]["anthropic-version"] == "2023-06-01"
    assert "sk-secret" not in json.dumps(entry)
    assert (entry["method"], entry["path"], entry["api"], entry["status"]) == (
        "POST",
        "/v1/messages?beta=true",
        "anthropic",
        200,
    )
    assert entry["body"]["messages"][0]["content"] == "hi"
    assert entry["reply"] == {"kind": "text", "text": "ECHO: hi"}


def test_connections_are_kept_alive_across_requests(llm: FakeLLM) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", llm.port, timeout=10)
    first = call(llm, "/v1/chat/completions", chat_body("one", stream=True), connection=conn)
    second = call(llm, "/v1/chat/completions", chat_body("two"), connection=conn)
    conn.close()
    assert first.status == second.status == 200
    assert second.json()["choices"][0]["message"]["content"] == "ECHO: two"


def test_sticky_status_fails_every_model_call(llm: FakeLLM) -> None:
    llm.sticky_status = 500
    assert call(llm, "/v1/responses", responses_body("fine")).status == 500
    assert llm.requests[0]["reply"] == {"kind": "error", "status": 500}


def test_scripted_failures_answer_the_next_calls_then_the_script_resumes(llm: FakeLLM) -> None:
    llm.fail_next(429, 500, retry_after="1.5")
    first = call(llm, "/v1/messages", anthropic_body("fine"))
    second = call(llm, "/v1/messages", anthropic_body("fine"))
    third = call(llm, "/v1/messages", anthropic_body("fine"))
    assert (first.status, second.status, third.status) == (429, 500, 200)
    assert first.headers["retry-after"] == second.headers["retry-after"] == "1.5"


def test_calls_beyond_the_concurrency_limit_are_refused_with_429(llm: FakeLLM) -> None:
    llm.concurrency_limit = 1
    llm.hold_until(2, timeout=5)
    answers: list[int] = []
    threads = [
        threading.Thread(
            target=lambda: answers.append(call(llm, "/v1/responses", responses_body("x")).status)
        )
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200, 429]
    assert llm.max_in_flight == 2
    assert llm.in_flight == 0


def test_held_calls_wait_for_each_other_and_count_as_in_flight_together(llm: FakeLLM) -> None:
    llm.hold_until(3, timeout=10)
    threads = [
        threading.Thread(target=call, args=(llm, "/v1/chat/completions", chat_body(str(n))))
        for n in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert llm.max_in_flight == 3
    assert [entry["status"] for entry in llm.requests] == [200, 200, 200]


def test_slow_prompts_pause_between_chunks() -> None:
    with FakeLLM(slow_delay_s=0.05) as llm:
        started = time.monotonic()
        events = call(llm, "/v1/chat/completions", chat_body("SLOW", stream=True)).events()
        elapsed = time.monotonic() - started
    assert elapsed >= 0.05 * (len(events) - 1)


@pytest.mark.parametrize(
    ("path", "body", "first_frame"),
    [
        ("/v1/messages", anthropic_body("HANG", stream=True), b"event: message_start"),
        ("/v1/chat/completions", chat_body("HANG", stream=True), b"data: {"),
        ("/v1/responses", responses_body("HANG", stream=True), None),
    ],
)
def test_a_hung_model_goes_silent_and_closing_the_server_ends_it(
    path: str, body: dict[str, Any], first_frame: bytes | None
) -> None:
    llm = FakeLLM().start()
    idle = http.client.HTTPConnection("127.0.0.1", llm.port, timeout=10)
    call(llm, "/v1/models", method="GET", connection=idle)  # an idle keep-alive connection
    conn = http.client.HTTPConnection("127.0.0.1", llm.port, timeout=10)
    conn.request("POST", path, body=json.dumps(body).encode())
    response = conn.getresponse()
    assert response.status == 200
    assert response.getheader("content-type") == "text/event-stream"
    if first_frame is not None:
        assert response.readline().startswith(first_frame)
    llm.wait_for_requests(2)
    assert llm.requests[1]["reply"] == {"kind": "hang"}
    outcome: list[str] = []
    reader = threading.Thread(target=lambda: outcome.append(_read_to_end(response)))
    reader.start()
    started = time.monotonic()
    llm.close()
    assert time.monotonic() - started < 3
    reader.join(5)
    assert outcome == ["cut"]
    conn.close()
    idle.close()


def _read_to_end(response: http.client.HTTPResponse) -> str:
    try:
        response.read()
    except (http.client.IncompleteRead, OSError):
        return "cut"
    return "complete"


# --- the real CLIs -----------------------------------------------------------------------------


def require_cli(name: str) -> None:
    if installed_clis()[name]:
        return
    message = f"{name} is not installed in tests/clis (npm install --prefix tests/clis)"
    if os.environ.get("SMOLWF_REQUIRE_REAL_CLIS") == "1":
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class CliRun:
    returncode: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.startswith("{")]


def run_cli(
    name: str,
    args: list[str],
    llm: FakeLLM,
    tmp_path: Path,
    *,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
) -> CliRun:
    require_cli(name)
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    process = subprocess.run(
        [str(cli_path(name)), *args],
        cwd=work,
        env={**cli_env(name, llm.port, tmp_path / "home"), **(env or {})},
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
    )
    return CliRun(process.returncode, process.stdout, process.stderr)


PROMPT = "Say hello to the fake server"
PLAIN_ARGS = {
    "claude": ["-p", PROMPT, "--output-format", "stream-json", "--verbose"],
    "codex": ["exec", "--json", "--skip-git-repo-check", PROMPT],
    "pi": ["--mode", "json", "-p", PROMPT],
    "opencode": ["run", "--format", "json", PROMPT],
}


def final_text_and_usage(name: str, lines: list[dict[str, Any]]) -> tuple[str, tuple[int, int]]:
    """Where each CLI's JSON stream puts the answer and the token counts of its last call."""
    if name == "claude":
        result = lines[-1]
        assert result["type"] == "result"
        return result["result"], (result["usage"]["input_tokens"], result["usage"]["output_tokens"])
    if name == "codex":
        messages = [
            e["item"]
            for e in lines
            if e["type"] == "item.completed" and e["item"]["type"] == "agent_message"
        ]
        usage = next(e["usage"] for e in lines if e["type"] == "turn.completed")
        return messages[-1]["text"], (usage["input_tokens"], usage["output_tokens"])
    if name == "pi":
        ends = [
            e["message"]
            for e in lines
            if e["type"] == "message_end" and e["message"]["role"] == "assistant"
        ]
        text = "".join(part["text"] for part in ends[-1]["content"] if part["type"] == "text")
        return text, (ends[-1]["usage"]["input"], ends[-1]["usage"]["output"])
    texts = [e["part"]["text"] for e in lines if e["type"] == "text"]
    tokens = [e["part"]["tokens"] for e in lines if e["type"] == "step_finish"][-1]
    return texts[-1], (tokens["input"], tokens["output"])


@pytest.mark.parametrize("name", list(PLAIN_ARGS))
def test_real_cli_answers_a_plain_prompt_offline(name: str, llm: FakeLLM, tmp_path: Path) -> None:
    run = run_cli(name, PLAIN_ARGS[name], llm, tmp_path)
    assert run.returncode == 0, run.stderr
    text, usage = final_text_and_usage(name, run.lines)
    # opencode wraps a message argument that contains spaces in double quotes.
    assert text == (echo(f'"{PROMPT}"') if name == "opencode" else echo(PROMPT))
    expected_path = {
        "claude": "/v1/messages?beta=true",
        "codex": "/v1/responses",
        "pi": "/v1/chat/completions",
        "opencode": "/v1/chat/completions",
    }[name]
    calls = 2 if name == "opencode" else 1  # opencode first asks for a session title
    assert [(r["method"], r["path"], r["status"]) for r in llm.requests] == [
        ("POST", expected_path, 200)
    ] * calls
    if name == "opencode":
        title_request = llm.requests[0]["body"]
        assert "title generator" in json.dumps(title_request["messages"][0])
        assert "tools" not in title_request
    last = llm.requests[-1]
    assert last["body"]["stream"] is True
    assert usage == (last["usage"]["input"], last["usage"]["output"])


def test_claude_reads_the_prompt_from_stdin_and_answers_a_schema(
    llm: FakeLLM, tmp_path: Path
) -> None:
    args = ["--print", "--output-format", "stream-json", "--verbose", "--input-format", "text"]
    run = run_cli(
        "claude",
        [*args, "--json-schema", json.dumps(SCHEMA)],
        llm,
        tmp_path,
        stdin="Give me the answer",
    )
    assert run.returncode == 0, run.stderr
    result = run.lines[-1]
    assert result["structured_output"] == ANSWER
    assert json.loads(result["result"]) == ANSWER
    [request] = llm.requests
    assert request["reply"]["tool"]["name"] == "StructuredOutput"


def test_codex_reads_stdin_and_writes_the_schema_answer_to_a_file(
    llm: FakeLLM, tmp_path: Path
) -> None:
    schema_file, last_message = tmp_path / "schema.json", tmp_path / "last.txt"
    schema_file.write_text(json.dumps(SCHEMA), encoding="utf-8")
    args = ["exec", "--skip-git-repo-check", "--json", "--output-last-message", str(last_message)]
    run = run_cli(
        "codex",
        [*args, "--output-schema", str(schema_file), "-"],
        llm,
        tmp_path,
        stdin="Give me the answer",
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(last_message.read_text(encoding="utf-8")) == ANSWER
    [request] = llm.requests
    assert request["body"]["text"]["format"]["schema"] == SCHEMA


def test_pi_structured_output_extension_ends_the_run_on_its_tool_call(
    llm: FakeLLM, tmp_path: Path
) -> None:
    args = ["--print", "--mode", "json", "--extension", str(PI_EXTENSION), "Give me the answer"]
    run = run_cli("pi", args, llm, tmp_path, env={"SMOL_WF_OUTPUT_SCHEMA": json.dumps(SCHEMA)})
    assert run.returncode == 0, run.stderr
    [end] = [e for e in run.lines if e["type"] == "tool_execution_end"]
    assert end["toolName"] == "smol_wf_structured_output"
    assert end["result"]["details"]["structured"] == ANSWER
    assert [r["reply"]["kind"] for r in llm.requests] == ["tool"]


def test_opencode_serve_answers_a_schema_through_its_api(llm: FakeLLM, tmp_path: Path) -> None:
    require_cli("opencode")
    work = tmp_path / "work"
    work.mkdir()
    port = _free_port()  # `--port 0` does not pick a free port: it means the default, 4096
    process = subprocess.Popen(
        ["opencode", "serve", "--hostname", "127.0.0.1", "--port", str(port)],
        cwd=work,
        env=cli_env("opencode", llm.port, tmp_path / "home"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(CLI_TIMEOUT_S, process.kill)
    watchdog.start()
    try:
        assert process.stdout is not None
        listening = ""
        for line in process.stdout:
            if "listening on" in line:
                listening = line
                break
        assert listening.strip() == f"opencode server listening on http://127.0.0.1:{port}"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CLI_TIMEOUT_S)
        conn.request("POST", "/session", body=b"{}", headers={"Content-Type": "application/json"})
        session = json.loads(conn.getresponse().read())
        message = {
            "parts": [{"type": "text", "text": "Give me the answer"}],
            "format": {"type": "json_schema", "schema": SCHEMA},
        }
        conn.request("POST", f"/session/{session['id']}/message", body=json.dumps(message).encode())
        reply = json.loads(conn.getresponse().read())
        conn.close()
    finally:
        watchdog.cancel()
        process.terminate()
        process.communicate(timeout=30)
    assert reply["info"]["structured"] == ANSWER
    assert [p["tool"] for p in reply["parts"] if p["type"] == "tool"] == ["StructuredOutput"]
    structured_request = llm.requests[-1]["body"]
    assert structured_request["tool_choice"] == "required"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


ERROR_ARGS = {
    "claude": ["-p", "Trigger {marker} please", "--output-format", "stream-json", "--verbose"],
    "codex": ["exec", "--json", "--skip-git-repo-check", "Trigger {marker} please"],
    "pi": ["--mode", "json", "-p", "Trigger {marker} please"],
    "opencode": ["run", "--format", "json", "Trigger {marker} please"],
}


@pytest.mark.parametrize(
    ("name", "status"),
    [(name, 401) for name in ERROR_ARGS] + [(name, 500) for name in ("claude", "codex", "pi")],
)
def test_real_cli_fails_fast_on_a_provider_error(
    name: str, status: int, llm: FakeLLM, tmp_path: Path
) -> None:
    args = [arg.format(marker=f"HTTP{status}") for arg in ERROR_ARGS[name]]
    run = run_cli(name, args, llm, tmp_path)
    # opencode's title request carries the prompt too, so it fails as well.
    assert [r["status"] for r in llm.requests] == [status] * (2 if name == "opencode" else 1)
    if name == "pi":  # pi exits 0 in json mode; the error is in the assistant message
        assert run.returncode == 0
        [end] = [
            e
            for e in run.lines
            if e["type"] == "message_end" and e["message"]["role"] == "assistant"
        ]
        assert end["message"]["stopReason"] == "error"
        assert end["message"]["errorMessage"].startswith(f"{status} ")
        return
    assert run.returncode == 1
    last = run.lines[-1]
    if name == "claude":
        assert (last["type"], last["is_error"], last["api_error_status"]) == (
            "result",
            True,
            status,
        )
        assert not [e for e in run.lines if e.get("subtype") == "api_retry"]
    elif name == "codex":
        assert last["type"] == "turn.failed"
    else:
        assert last["type"] == "error"
        assert last["error"]["data"]["statusCode"] == status
