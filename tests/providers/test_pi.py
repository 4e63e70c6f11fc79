"""The pi provider: parsing real pi 0.73.1 streams, and driving a fake ``pi`` executable."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from smolwf.errors import FailureKind, ProviderError
from smolwf.jsontypes import JSON, JSONObject
from smolwf.permissions import PermissionLevel, Refusal
from smolwf.providers.base import AgentRequest
from smolwf.providers.pi import (
    EXTENSION_PATH,
    PERMISSIONS_EXTENSION_PATH,
    SCHEMA_ENV,
    OutputMode,
    PiProvider,
    build_argv,
    needed_level,
    parse_outcome,
    refusals,
    tool_parameters,
)
from smolwf.providers.process import CliOutcome
from smolwf.usage import Usage
from tests.providers.fake_cli import FakeCli

TRANSCRIPTS = Path(__file__).parent / "transcripts" / "pi"
TEXT = OutputMode()
OBJECT = OutputMode(structured=True)
WRAPPED = OutputMode(structured=True, wrapped=True)
SESSION = "01a200fe-bd24-73c5-a320-3edc76602e21"  # plain.jsonl's header line
ZERO_USAGE = Usage(0, 0, 0, 0, total_tokens=0, cost_usd=0.0)
SCHEMA: JSONObject = {
    "type": "object",
    "properties": {"answer": {"type": "string"}, "confidence": {"type": "number"}},
    "required": ["answer", "confidence"],
}
INSTRUCTIONS = (
    "Call the smol_wf_structured_output tool exactly once, as your final action, "
    "with the answer as its arguments.\n"
    "Do not write any assistant message after calling smol_wf_structured_output."
)


def rounded(usage: Usage | None) -> Usage | None:
    """``usage`` with its cost rounded to 9 decimals, so sums of floats compare exactly."""
    if usage is None or usage.cost_usd is None:
        return usage
    return replace(usage, cost_usd=round(usage.cost_usd, 9))


def load(name: str) -> list[JSON]:
    lines = (TRANSCRIPTS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def parse(
    events: list[JSON],
    mode: OutputMode = TEXT,
    *,
    returncode: int = 0,
    stderr: str = "",
    permissions: PermissionLevel = "read-only",
) -> Any:
    outcome = CliOutcome(returncode=returncode, events=events, stderr=stderr)
    return parse_outcome(outcome, mode, "requested/model", permissions)


def parse_error(events: list[JSON], mode: OutputMode = TEXT, **kw: Any) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        parse(events, mode, **kw)
    return caught.value


def assistant_end(
    content: list[JSON], *, stop: str = "stop", tokens: int = 10, **extra: JSON
) -> JSONObject:
    """An assistant ``message_end`` in pi's shape: input ``tokens``, output 1, cost 0.01."""
    usage: JSONObject = {
        "input": tokens,
        "output": 1,
        "cacheRead": 2,
        "cacheWrite": 3,
        "totalTokens": tokens + 1,
        "cost": {"total": 0.01},
    }
    message: JSONObject = {
        "role": "assistant",
        "content": content,
        "provider": "fakellm",
        "model": "fake-model",
        "usage": usage,
        "stopReason": stop,
        **extra,
    }
    return {"type": "message_end", "message": message}


def text_end(text: str, **kw: Any) -> JSONObject:
    return assistant_end([{"type": "text", "text": text}], **kw)


def tool_end(structured: JSON, *, is_error: bool = False) -> JSONObject:
    """A ``tool_execution_end`` of the structured-output tool, as pi 0.73.1 prints it."""
    if is_error:
        result: JSONObject = {
            "content": [{"type": "text", "text": "Validation failed:\n  bad"}],
            "details": {},
        }
    else:
        text = json.dumps(structured)
        result = {
            "content": [{"type": "text", "text": text}],
            "details": {"structured": structured},
            "terminate": True,
        }
    return {
        "type": "tool_execution_end",
        "toolCallId": "call_1",
        "toolName": "smol_wf_structured_output",
        "result": result,
        "isError": is_error,
    }


def structured_stream(*tools: JSONObject) -> list[JSON]:
    """A schema run: the model's tool call (usage 10+1), then the tool executions."""
    call: JSONObject = {
        "type": "toolCall",
        "id": "call_1",
        "name": "smol_wf_structured_output",
        "arguments": {},
    }
    return [{"type": "session", "id": SESSION}, assistant_end([call], stop="toolUse"), *tools]


# --- every real transcript ------------------------------------------------------------


def test_every_pi_transcript_has_a_parser_test() -> None:
    assert sorted(p.stem for p in TRANSCRIPTS.glob("*.jsonl")) == [
        "blocked-by-extension",
        "edit-bash-error",
        "edit-write",
        "error-401",
        "error-500",
        "error-500-default-retries",
        "plain",
        "refused-bash",
        "refused-structured",
        "refused-unknown-full",
        "refused-write",
        "tool",
    ]
    assert not list(TRANSCRIPTS.glob("*.stderr.txt"))


def test_plain_transcript_gives_the_last_assistant_text_session_and_usage() -> None:
    result = parse(load("plain"))
    assert result.output == "ECHO: Say hello to the fake server"
    assert result.session_id == SESSION
    assert result.model == "fakellm/fake-model"
    # One assistant message_end: usage {input 615, output 9, cacheRead 0, cacheWrite 0,
    # totalTokens 624, cost.total 0.00198}.
    assert rounded(result.usage) == Usage(615, 9, 0, 0, total_tokens=624, cost_usd=0.00198)
    assert result.raw == load("plain")


def test_tool_transcript_sums_the_usage_of_both_model_calls() -> None:
    result = parse(load("tool"))
    assert result.output == "TOOL RESULT: FAKELLM_TOOL_OK"
    assert result.session_id == "01a200ff-1962-7186-8241-7add5d76f4d8"
    # Two assistant message_ends (the bash tool call, then the answer):
    # input 615 + 683 = 1298, output 9 + 7 = 16, totalTokens 624 + 690 = 1314,
    # cost.total 0.00198 + 0.002154 = 0.004134 (the reference kept only the second call).
    assert rounded(result.usage) == Usage(1298, 16, 0, 0, total_tokens=1314, cost_usd=0.004134)


def test_http_401_transcript_is_an_auth_failure_although_pi_exited_0() -> None:
    error = parse_error(load("error-401"))
    assert error.kind is FailureKind.AUTH
    assert (
        str(error) == "Pi provider model call failed: 401 fakellm: invalid x-api-key (scripted 401)"
    )
    assert error.session_id == "01a200fe-c675-759d-8063-ed57580a35f4"
    # One failed model call whose usage is all zeros (cost.total 0).
    assert error.usage == ZERO_USAGE
    assert error.retry_after_s is None


@pytest.mark.parametrize(
    ("name", "session"),
    [
        ("error-500", "01a200fe-cf77-77c2-9c64-05cf422bbd5f"),
        ("error-500-default-retries", "01a200fe-d97e-75b7-8d3d-feb0a4edeb67"),
    ],
)
def test_http_500_transcripts_after_pi_gave_up_retrying_are_transient(
    name: str, session: str
) -> None:
    error = parse_error(load(name))
    assert error.kind is FailureKind.TRANSIENT
    assert (
        str(error) == "Pi provider model call failed: 500 fakellm: scripted internal server error"
    )
    assert error.session_id == session
    # 2 (error-500) or 4 (default retries) failed model calls, each with zero usage.
    assert error.usage == ZERO_USAGE


# --- stream rules, on streams built in pi's shape --------------------------------------


def test_an_error_in_the_last_assistant_message_fails_even_after_earlier_text() -> None:
    events = [
        *load("plain"),
        assistant_end([], stop="error", errorMessage="429 fakellm: rate limited, try again in 20s"),
    ]
    error = parse_error(events)
    assert error.kind is FailureKind.QUOTA
    assert error.retry_after_s == 20
    assert (
        str(error) == "Pi provider model call failed: 429 fakellm: rate limited, try again in 20s"
    )
    # plain's call (615 + 9, 0.00198) plus the failed one (10 + 1, cache 2/3, total 11, 0.01).
    assert rounded(error.usage) == Usage(625, 10, 2, 3, total_tokens=635, cost_usd=0.01198)


def test_an_error_message_without_a_status_is_sorted_by_its_words() -> None:
    events: list[JSON] = [
        {"type": "session", "id": SESSION},
        assistant_end([], stop="error", errorMessage="fetch failed\n  ECONNREFUSED"),
    ]
    error = parse_error(events)
    assert (error.kind, str(error)) == (
        FailureKind.TRANSIENT,
        "Pi provider model call failed: fetch failed ECONNREFUSED",
    )


def test_an_aborted_call_without_an_error_message_says_how_it_stopped() -> None:
    events: list[JSON] = [{"type": "session", "id": SESSION}, assistant_end([], stop="aborted")]
    error = parse_error(events)
    assert (error.kind, str(error)) == (
        FailureKind.CRASH,
        "Pi provider model call failed: the model call ended with stopReason aborted",
    )


def test_auto_retry_end_without_success_is_a_failure() -> None:
    events: list[JSON] = [
        *load("plain"),
        {"type": "auto_retry_end", "success": False, "attempt": 3, "finalError": "503 overloaded"},
    ]
    error = parse_error(events)
    assert (error.kind, str(error)) == (
        FailureKind.TRANSIENT,
        "Pi provider model call failed: 503 overloaded",
    )


def test_a_retry_that_succeeds_returns_its_text_and_counts_every_call() -> None:
    events: list[JSON] = [
        {"type": "session", "id": SESSION},
        assistant_end([], stop="error", errorMessage="500 boom", tokens=0),
        {
            "type": "auto_retry_start",
            "attempt": 1,
            "maxAttempts": 3,
            "delayMs": 0,
            "errorMessage": "500 boom",
        },
        text_end("fine now", tokens=20),
        {"type": "auto_retry_end", "success": True, "attempt": 1},
    ]
    result = parse(events)
    assert result.output == "fine now"
    # input 0 + 20, output 1 + 1, cacheRead 2 + 2, cacheWrite 3 + 3, total 1 + 21, cost 2 x 0.01.
    assert rounded(result.usage) == Usage(20, 2, 4, 6, total_tokens=22, cost_usd=0.02)


def test_text_joins_the_text_parts_of_the_last_message_and_skips_thinking() -> None:
    content: list[JSON] = [
        {"type": "thinking", "thinking": "hmm"},
        {"type": "text", "text": "one"},
        {"type": "toolCall", "id": "t", "name": "bash", "arguments": {}},
        {"type": "text", "text": "two"},
    ]
    events: list[JSON] = [
        {"type": "session", "id": SESSION},
        text_end("earlier"),
        assistant_end(content),
    ]
    assert parse(events).output == "one\ntwo"


def test_a_final_message_without_text_is_invalid_output() -> None:
    events: list[JSON] = [
        {"type": "session", "id": SESSION},
        text_end("earlier"),
        assistant_end([], stop="length"),
    ]
    error = parse_error(events)
    assert (error.kind, str(error)) == (
        FailureKind.INVALID_OUTPUT,
        "Pi provider's final assistant message has no text (stopReason length)",
    )


def test_a_stream_without_an_assistant_message_is_invalid_output() -> None:
    error = parse_error([{"type": "session", "id": SESSION}, {"type": "agent_end", "messages": []}])
    assert (error.kind, str(error), error.usage) == (
        FailureKind.INVALID_OUTPUT,
        "Pi provider did not return an assistant message",
        None,
    )


def test_success_without_a_session_header_is_a_crash() -> None:
    error = parse_error(load("plain")[1:])
    assert (error.kind, str(error)) == (
        FailureKind.CRASH,
        "Pi provider response did not include a session id",
    )


def test_a_non_zero_exit_quotes_stderr_and_sorts_it() -> None:
    error = parse_error([], returncode=1, stderr='Error: Model "x/y" not found.\n')
    assert (error.kind, str(error)) == (
        FailureKind.CRASH,
        'Pi provider exited with code 1: Error: Model "x/y" not found.',
    )
    error = parse_error([], returncode=1, stderr="No API key found for fakellm.\nUse /login")
    assert (error.kind, str(error)) == (
        FailureKind.AUTH,
        "Pi provider exited with code 1: No API key found for fakellm. Use /login",
    )


def test_a_model_error_in_the_stream_wins_over_the_exit_code() -> None:
    error = parse_error(load("error-401"), returncode=1, stderr="exiting")
    assert error.kind is FailureKind.AUTH
    assert "invalid x-api-key" in str(error)


# --- structured output ---------------------------------------------------------------


def test_structured_output_is_the_tool_arguments() -> None:
    answer: JSONObject = {"answer": "ECHO: hi", "confidence": 42.5}
    result = parse(structured_stream(tool_end(answer)), OBJECT)
    assert result.output == answer
    assert result.session_id == SESSION
    assert rounded(result.usage) == Usage(10, 1, 2, 3, total_tokens=11, cost_usd=0.01)


def test_a_wrapped_schema_answer_is_unwrapped_from_value() -> None:
    result = parse(structured_stream(tool_end({"value": ["a", "b"]})), WRAPPED)
    assert result.output == ["a", "b"]


def test_the_last_successful_structured_call_wins_over_failed_ones() -> None:
    events = structured_stream(
        tool_end({"n": 1}),
        tool_end(None, is_error=True),
        tool_end({"n": 2}),
        tool_end(None, is_error=True),
    )
    assert parse(events, OBJECT).output == {"n": 2}


def test_a_schema_run_that_never_calls_the_tool_is_invalid_output() -> None:
    error = parse_error(load("plain"), OBJECT)
    assert error.kind is FailureKind.INVALID_OUTPUT
    assert str(error) == "Pi provider did not call smol_wf_structured_output for schema output"
    assert error.session_id == SESSION
    assert rounded(error.usage) == Usage(615, 9, 0, 0, total_tokens=624, cost_usd=0.00198)


def test_a_schema_run_whose_tool_calls_all_failed_quotes_the_tool_error() -> None:
    error = parse_error(structured_stream(tool_end(None, is_error=True)), OBJECT)
    assert (error.kind, str(error)) == (
        FailureKind.INVALID_OUTPUT,
        "Pi provider smol_wf_structured_output tool failed: Validation failed: bad",
    )


def test_a_wrapped_answer_without_value_is_invalid_output() -> None:
    error = parse_error(structured_stream(tool_end({"other": 1})), WRAPPED)
    assert (error.kind, str(error)) == (
        FailureKind.INVALID_OUTPUT,
        "Pi provider smol_wf_structured_output arguments have no `value`",
    )


def test_object_schemas_are_tool_parameters_as_they_are() -> None:
    assert tool_parameters(SCHEMA) == (SCHEMA, False)


def test_other_schemas_are_wrapped_as_value_with_their_definitions_lifted() -> None:
    schema: JSONObject = {
        "type": "array",
        "items": {"$ref": "#/$defs/item"},
        "$defs": {"item": {"type": "string"}},
    }
    assert tool_parameters(schema) == (
        {
            "type": "object",
            "properties": {"value": {"type": "array", "items": {"$ref": "#/$defs/item"}}},
            "required": ["value"],
            "additionalProperties": False,
            "$defs": {"item": {"type": "string"}},
        },
        True,
    )
    assert tool_parameters(True)[0]["properties"] == {"value": True}


# --- permissions: the tool set of each level, and the calls pi refused -----------------

READ_ONLY = ["--tools", "read,grep,find,ls"]
EDIT = ["--tools", "read,bash,edit,write,grep,find,ls"]


@pytest.mark.parametrize(
    ("level", "has_schema", "tools"),
    [
        ("read-only", False, READ_ONLY),
        ("read-only", True, ["--tools", "read,grep,find,ls,smol_wf_structured_output"]),
        ("edit", False, EDIT),
        ("edit", True, ["--tools", "read,bash,edit,write,grep,find,ls,smol_wf_structured_output"]),
        ("full", False, []),
        ("full", True, []),
    ],
    ids=["read-only", "read-only-schema", "edit", "edit-schema", "full", "full-schema"],
)
def test_each_level_is_a_tools_allowlist_and_the_permissions_extension_on_every_call(
    tmp_path: Path, level: PermissionLevel, has_schema: bool, tools: list[str]
) -> None:
    req = request(tmp_path, permissions=level, has_schema=has_schema, schema=SCHEMA)
    schema_extension = ["--extension", str(EXTENSION_PATH)] if has_schema else []
    assert build_argv("pi", req) == [
        "pi",
        "--extension",
        str(PERMISSIONS_EXTENSION_PATH),
        *schema_extension,
        *tools,
        "--print",
        "--mode",
        "json",
    ]


def test_the_default_request_is_read_only() -> None:
    assert build_argv("pi", request(Path())) == [
        "pi",
        "--extension",
        str(PERMISSIONS_EXTENSION_PATH),
        *READ_ONLY,
        "--print",
        "--mode",
        "json",
    ]


def test_the_permissions_extension_turns_on_every_registered_tool_at_agent_start() -> None:
    source = PERMISSIONS_EXTENSION_PATH.read_text(encoding="utf-8")
    assert 'pi.on("before_agent_start"' in source
    assert "pi.setActiveTools(pi.getAllTools().map((tool) => tool.name))" in source


@pytest.mark.parametrize(
    ("tool", "level", "needs"),
    [
        ("bash", "read-only", "edit"),
        ("write", "read-only", "edit"),
        ("edit", "read-only", "edit"),
        ("bash", "edit", None),
        ("read", "read-only", None),
        ("grep", "edit", None),
        ("web_search", "read-only", "full"),
        ("web_search", "edit", "full"),
        ("web_search", "full", None),
        ("bash", "full", None),
    ],
)
def test_a_refused_tool_needs_the_level_whose_tool_set_has_it(
    tool: str, level: PermissionLevel, needs: PermissionLevel | None
) -> None:
    assert needed_level(tool, level) == needs


def test_a_bash_call_refused_at_read_only_needs_edit() -> None:
    result = parse(load("refused-bash"))
    assert result.output == "TOOL RESULT: FAKELLM_TOOL_OK"
    assert result.refusals == (Refusal("bash", "echo FAKELLM_EDIT_OK > agent-edit.txt", "edit"),)


def test_a_write_call_refused_at_read_only_shows_its_path() -> None:
    assert parse(load("refused-write")).refusals == (
        Refusal("write", "$WORK_DIR/agent-edit.txt", "edit"),
    )


def test_a_structured_answer_keeps_the_refusals_made_before_it() -> None:
    result = parse(load("refused-structured"), OBJECT)
    assert result.output == {
        "answer": "ECHO: FORCEWRITE:bash:agent-edit.txt then give",
        "confidence": 42.5,
    }
    assert result.refusals == (Refusal("bash", "echo FAKELLM_EDIT_OK > agent-edit.txt", "edit"),)


def test_an_unknown_tool_needs_full_below_full_and_nothing_at_full() -> None:
    events = load("refused-unknown-full")
    assert parse(events, permissions="full").refusals == (
        Refusal("python", "$WORK_DIR/agent-edit.txt", None),
    )
    assert parse(events).refusals == (Refusal("python", "$WORK_DIR/agent-edit.txt", "full"),)


def test_a_call_an_extension_blocked_without_a_reason_is_a_refusal_no_level_allows() -> None:
    assert parse(load("blocked-by-extension"), permissions="edit").refusals == (
        Refusal("bash", "echo FAKELLM_EDIT_OK > agent-edit.txt", None),
    )


@pytest.mark.parametrize("name", ["edit-write", "edit-bash-error", "tool", "plain"])
def test_tools_that_ran_even_failing_ones_are_not_refusals(name: str) -> None:
    assert parse(load(name), permissions="edit").refusals == ()


def test_a_failed_run_still_carries_its_refusals() -> None:
    events = [
        *load("refused-bash"),
        assistant_end([], stop="error", errorMessage="500 fakellm: boom"),
    ]
    error = parse_error(events)
    assert error.kind is FailureKind.TRANSIENT
    assert error.refusals == (Refusal("bash", "echo FAKELLM_EDIT_OK > agent-edit.txt", "edit"),)


def test_attempts_without_a_command_or_path_are_compact_json() -> None:
    events: list[JSON] = [
        {
            "type": "tool_execution_start",
            "toolCallId": "a",
            "toolName": "fetch",
            "args": {"url": "u"},
        },
        {"type": "tool_execution_start", "toolCallId": "b", "toolName": "noop", "args": {}},
        *(
            {
                "type": "tool_execution_end",
                "toolCallId": call,
                "toolName": name,
                "result": {"content": [{"type": "text", "text": f"Tool {name} not found"}]},
                "isError": True,
            }
            for call, name in (("a", "fetch"), ("b", "noop"))
        ),
    ]
    assert refusals(events, "edit") == (
        Refusal("fetch", '{"url":"u"}', "full"),
        Refusal("noop", "", "full"),
    )


# --- the adapter, against a fake pi executable (what every CLI does alike is in
# test_cli_adapters.py) -------------------------------------------------------------------


class FakePi:
    """The shared fake CLI as ``pi``, recording the schema variable the extension reads."""

    def __init__(self, tmp_path: Path) -> None:
        self.cli = FakeCli(tmp_path, "pi")
        self.path = self.cli.path

    def provider(self, mode: str, stream: list[JSON] | None = None) -> PiProvider:
        return PiProvider(self.cli.settings("pi", mode, stream, record_env=[SCHEMA_ENV]))

    def recorded(self) -> dict[str, Any]:
        recorded = self.cli.recorded()
        return {
            "argv": recorded["argv"],
            "stdin": recorded["stdin"],
            "schema": recorded["env"][SCHEMA_ENV],
        }


def request(tmp_path: Path, **kw: Any) -> AgentRequest:
    fields: dict[str, Any] = {
        "prompt": "Say hello\nto the fake server",
        "cwd": tmp_path,
        "step_id": "s1",
        **kw,
    }
    return AgentRequest(**fields)


@pytest.mark.anyio
async def test_model_and_effort_become_pi_flags_after_the_level_tools(tmp_path: Path) -> None:
    fake = FakePi(tmp_path)
    req = request(tmp_path, model="fakellm/fake-model", effort="max", agent_type="reviewer")
    result = await fake.provider("replay", load("plain")).run(req, lambda e, s: None)
    assert fake.recorded() == {
        "argv": [
            str(fake.path),
            "--extension",
            str(PERMISSIONS_EXTENSION_PATH),
            "--tools",
            "read,grep,find,ls",
            "--print",
            "--mode",
            "json",
            "--model",
            "fakellm/fake-model",
            "--thinking",
            "xhigh",
        ],
        "stdin": "Say hello\nto the fake server",
        "schema": None,
    }
    assert result.model == "fakellm/fake-model"


@pytest.mark.anyio
async def test_without_model_or_effort_pi_gets_no_model_or_thinking_flags(tmp_path: Path) -> None:
    fake = FakePi(tmp_path)
    await fake.provider("replay", load("plain")).run(
        request(tmp_path, effort="turbo"), lambda e, s: None
    )
    assert fake.recorded()["argv"] == [
        str(fake.path),
        "--extension",
        str(PERMISSIONS_EXTENSION_PATH),
        "--tools",
        "read,grep,find,ls",
        "--print",
        "--mode",
        "json",
    ]


@pytest.mark.anyio
async def test_a_schema_loads_the_extension_passes_the_schema_and_asks_for_the_tool(
    tmp_path: Path,
) -> None:
    fake = FakePi(tmp_path)
    stream = structured_stream(tool_end({"value": 42}))
    req = request(tmp_path, has_schema=True, schema={"type": "integer"})
    result = await fake.provider("replay", stream).run(req, lambda e, s: None)
    recorded = fake.recorded()
    assert recorded["argv"] == [
        str(fake.path),
        "--extension",
        str(PERMISSIONS_EXTENSION_PATH),
        "--extension",
        str(EXTENSION_PATH),
        "--tools",
        "read,grep,find,ls,smol_wf_structured_output",
        "--print",
        "--mode",
        "json",
    ]
    assert recorded["stdin"] == "Say hello\nto the fake server\n\n" + INSTRUCTIONS
    assert json.loads(recorded["schema"]) == tool_parameters({"type": "integer"})[0]
    assert result.output == 42
    assert EXTENSION_PATH.is_file()
    assert SCHEMA_ENV == "SMOL_WF_OUTPUT_SCHEMA"


@pytest.mark.anyio
async def test_a_model_error_with_exit_0_raises_with_the_session(tmp_path: Path) -> None:
    fake = FakePi(tmp_path)
    with pytest.raises(ProviderError) as caught:
        await fake.provider("replay", load("error-401")).run(request(tmp_path), lambda e, s: None)
    assert caught.value.kind is FailureKind.AUTH
    assert caught.value.session_id == "01a200fe-c675-759d-8063-ed57580a35f4"
