"""The claude-code provider: argv, stream parsing over real transcripts, failures, watchdogs."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from smolwf.errors import FailureKind, ProviderError
from smolwf.jsontypes import JSON, JSONObject
from smolwf.permissions import PermissionLevel, Refusal
from smolwf.providers import claude_permissions
from smolwf.providers.base import AgentRequest
from smolwf.providers.claude_code import (
    ClaudeCodeProvider,
    build_argv,
    parse_outcome,
)
from smolwf.providers.process import CliOutcome
from smolwf.usage import Usage
from tests.providers.fake_cli import FakeCli

TRANSCRIPTS = Path(__file__).parent / "transcripts" / "claude"
STREAM_FLAGS = ["--output-format", "stream-json", "--verbose", "--input-format", "text"]
READ_ONLY_FLAGS = [
    "--permission-mode",
    "default",
    "--settings",
    '{"permissions":{"ask":["Edit","Write","NotebookEdit"]}}',
]
WORK_DIR = Path("/work-dir")
"""Stands for the ``$WORK_DIR`` placeholder of the transcripts (see transcripts/README.md)."""
SCHEMA: JSONObject = {
    "type": "object",
    "properties": {"answer": {"type": "string"}, "confidence": {"type": "number"}},
    "required": ["answer", "confidence"],
    "additionalProperties": False,
}
ANSWER: JSONObject = {"answer": "ECHO: Give me the answer", "confidence": 42.5}
OPUS = "claude-opus-4-8[1m]"
"""The model every transcript's init line (or modelUsage key) names."""


def _events(case: str) -> list[JSON]:
    text = (TRANSCRIPTS / f"{case}.jsonl").read_text(encoding="utf-8")
    lines = text.replace("$WORK_DIR", str(WORK_DIR)).splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _outcome(case: str, returncode: int = 0) -> CliOutcome:
    return CliOutcome(returncode=returncode, events=_events(case))


def _request(tmp_path: Path, prompt: str = "hi", **kw: Any) -> AgentRequest:
    return AgentRequest(prompt=prompt, cwd=tmp_path, step_id="step", **kw)


def _result_line(events: list[JSON]) -> JSONObject:
    last = events[-1]
    assert isinstance(last, dict) and last["type"] == "result"
    return last


# --- parsing the real transcripts ----------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    output: JSON
    session_id: str
    usage: Usage
    structured: bool = False


# Usage is the result line's `usage` (input_tokens excludes cache; cache_* are 0 in every
# run against the fake server), which here equals the single `modelUsage` entry; cost is
# `total_cost_usd`. The assistant lines' snapshots (output_tokens 1) are never counted.
SUCCESSES = {
    # plain: result.usage 3214 in / 9 out (the assistant snapshot says 3214 / 1).
    "plain": Expected(
        "ECHO: Say hello to the fake server",
        "64502201-72c5-4709-8061-bd8ef4ce56e7",
        Usage(3214, 9, 0, 0, cost_usd=0.016295),
    ),
    # plain-json: the lone result object; the session id comes from it.
    "plain-json": Expected(
        "ECHO: Say hello to the fake server",
        "f6c8558e-fbc1-41b4-becb-95ed69168010",
        Usage(3218, 9, 0, 0, cost_usd=0.016315),
    ),
    # plain-partial: stream_event message_start (3220/1) and message_delta (3220/9) are
    # not added on top of result.usage 3220 / 9.
    "plain-partial": Expected(
        "ECHO: Say hello to the fake server",
        "8b4ebd4f-a6b1-476c-bc81-ceb831d80094",
        Usage(3220, 9, 0, 0, cost_usd=0.016325),
    ),
    "plain-bare": Expected(
        "ECHO: Say hello to the fake server",
        "af0e3ebd-e6b5-460e-b58b-c7069bed8fe4",
        Usage(208, 9, 0, 0, cost_usd=0.0012649999999999998),
    ),
    # structured: one StructuredOutput tool call; result.usage 3215 / 15.
    "structured": Expected(
        ANSWER,
        "5da6c916-b692-4252-a1e4-282b81bd157d",
        Usage(3215, 15, 0, 0, cost_usd=0.01645),
        structured=True,
    ),
    "structured-json": Expected(
        ANSWER,
        "ba89a760-4778-4118-8c97-cbe7ea1a64ab",
        Usage(3219, 15, 0, 0, cost_usd=0.016470000000000002),
        structured=True,
    ),
    # tool: two model calls whose snapshots say 3214 and 3295 input; result.usage sums
    # them: 3214 + 3295 = 6509 in, 25 out.
    "tool": Expected(
        "TOOL RESULT: FAKELLM_TOOL_OK",
        "625216c4-130e-44d8-ab58-786c19aadc38",
        Usage(6509, 25, 0, 0, cost_usd=0.033170000000000005),
    ),
}


@pytest.mark.parametrize("case", sorted(SUCCESSES))
def test_transcript_parses_to_output_session_usage_and_model(case: str) -> None:
    expected = SUCCESSES[case]
    outcome = _outcome(case)
    result = parse_outcome(outcome, structured=expected.structured, model=None)
    assert result.output == expected.output
    assert result.session_id == expected.session_id
    assert result.usage == expected.usage
    assert result.model == OPUS
    assert result.raw == outcome.events


def test_every_claude_transcript_has_a_parser_test() -> None:
    cases = {path.stem for path in TRANSCRIPTS.glob("*.jsonl")}
    errors = {"error-401", "error-500", "full-mode-disabled", "full-as-root"}
    assert cases == set(SUCCESSES) | set(REFUSALS) | errors


@pytest.mark.parametrize(
    ("case", "kind", "message", "session_id"),
    [
        (
            "error-401",
            FailureKind.AUTH,
            "Claude Code provider failed (HTTP 401): Invalid API key · Fix external API key",
            "0e10aa67-f294-4fa1-8b32-1d092cb13c21",
        ),
        (
            "error-500",
            FailureKind.TRANSIENT,
            "Claude Code provider failed (HTTP 500): API Error: 500 fakellm: scripted internal "
            "server error. This is a server-side issue, usually temporary — try again in a "
            "moment. If it persists, check your inference gateway (127.0.0.1:41329).",
            "76248a81-d0b4-44a1-af9c-c28b17b0883a",
        ),
    ],
)
def test_error_transcript_raises_kind_from_api_error_status(
    case: str, kind: FailureKind, message: str, session_id: str
) -> None:
    with pytest.raises(ProviderError) as caught:
        parse_outcome(_outcome(case, returncode=1), structured=False, model=None)
    assert caught.value.kind is kind
    assert caught.value.message == message
    assert caught.value.session_id == session_id
    # The failed attempt spent nothing: result.usage is all zeros, total_cost_usd 0.
    assert caught.value.usage == Usage(0, 0, 0, 0, cost_usd=0.0)
    assert caught.value.retry_after_s is None


def test_is_error_result_fails_even_when_claude_exits_zero() -> None:
    with pytest.raises(ProviderError) as caught:
        parse_outcome(_outcome("error-401", returncode=0), structured=False, model=None)
    assert caught.value.kind is FailureKind.AUTH


# --- permission levels: refusals and modes over the permission transcripts ----------------

SHELL_WRITE = "echo FAKELLM_EDIT_OK > agent-edit.txt"


@dataclass(frozen=True)
class Refused:
    level: PermissionLevel
    refusals: tuple[Refusal, ...]
    output: str = "TOOL RESULT: FAKELLM_TOOL_OK"


# permission_denials of the result line, one Refusal each: the tool, its command or its
# path (relative to the working directory), and the level whose flags allow it.
REFUSALS = {
    # read-only: claude's own check refuses the redirection ("Output redirection … was
    # blocked"); edit's --allowedTools Bash runs it.
    "refused-shell": Refused("read-only", (Refusal("Bash", SHELL_WRITE, "edit"),)),
    # read-only: our ask rule on Write; edit's acceptEdits writes inside the cwd.
    "refused-write": Refused("read-only", (Refusal("Write", "agent-edit.txt", "edit"),)),
    # read-only with a user's settings allowing Bash/Edit/Write and defaultMode
    # acceptEdits: the Bash ask rule and --permission-mode default win.
    "refused-settings-allow": Refused("read-only", (Refusal("Bash", SHELL_WRITE, "edit"),)),
    # edit with a user's deny rule "Bash(echo *)": no level lifts a deny rule.
    "refused-deny-rule": Refused("edit", (Refusal("Bash", SHELL_WRITE, None),)),
    "edit-shell": Refused("edit", ()),
    "full-shell": Refused("full", ()),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_permission_denials_become_refusals(case: str) -> None:
    expected = REFUSALS[case]
    outcome = _outcome(case)
    result = parse_outcome(
        outcome, structured=False, model=None, permissions=expected.level, cwd=WORK_DIR
    )
    assert result.refusals == expected.refusals
    assert result.output == expected.output
    assert result.session_id is not None


def test_a_file_tool_refused_outside_the_working_directory_needs_full() -> None:
    events = _events("refused-write")
    denials = _result_line(events)["permission_denials"]
    assert isinstance(denials, list) and isinstance(denials[0], dict)
    denials[0]["tool_input"] = {"file_path": "/etc/agent-edit.txt", "content": "x"}
    result = parse_outcome(
        CliOutcome(0, events), structured=False, model=None, permissions="read-only", cwd=WORK_DIR
    )
    assert result.refusals == (Refusal("Write", "/etc/agent-edit.txt", "full"),)


@pytest.mark.parametrize(("level", "needs"), [("edit", "full"), ("full", None)])
def test_a_refusal_above_read_only_needs_the_next_level_up(
    level: PermissionLevel, needs: PermissionLevel | None
) -> None:
    events = _events("refused-shell")
    init = events[0]
    assert isinstance(init, dict)
    init["permissionMode"] = claude_permissions.MODES[level]
    result = parse_outcome(
        CliOutcome(0, events), structured=False, model=None, permissions=level, cwd=WORK_DIR
    )
    assert result.refusals == (Refusal("Bash", SHELL_WRITE, needs),)


def test_refusals_ride_on_the_error_of_a_failed_run() -> None:
    events = _events("refused-shell")
    _result_line(events).update(is_error=True, subtype="error_max_turns", errors=["max turns"])
    with pytest.raises(ProviderError) as caught:
        parse_outcome(CliOutcome(1, events), structured=False, model=None, cwd=WORK_DIR)
    assert caught.value.refusals == (Refusal("Bash", SHELL_WRITE, "edit"),)


def test_a_run_in_another_mode_than_the_level_asked_fails_with_its_refusals() -> None:
    # full asked bypassPermissions; a settings file disabled it and claude ran in
    # default mode, saying so only in the init line.
    with pytest.raises(ProviderError) as caught:
        parse_outcome(
            _outcome("full-mode-disabled"),
            structured=False,
            model=None,
            permissions="full",
            cwd=WORK_DIR,
        )
    assert caught.value.kind is FailureKind.CONFIG
    assert caught.value.message == (
        "Claude Code provider ran in permission mode 'default', not 'bypassPermissions' as "
        "permissions 'full' needs; a settings or policy file may have overridden it"
    )
    assert caught.value.refusals == (Refusal("Bash", SHELL_WRITE, None),)
    assert caught.value.usage is not None


def test_a_run_in_a_more_permissive_mode_than_asked_fails_too() -> None:
    with pytest.raises(ProviderError) as caught:
        parse_outcome(_outcome("edit-shell"), structured=False, model=None, cwd=WORK_DIR)
    assert caught.value.kind is FailureKind.CONFIG
    assert "permission mode 'acceptEdits', not 'default'" in caught.value.message


def test_claude_refusing_full_as_root_is_one_config_line() -> None:
    stderr = (TRANSCRIPTS / "full-as-root.stderr.txt").read_text(encoding="utf-8")
    outcome = CliOutcome(returncode=1, events=_events("full-as-root"), stderr=stderr)
    with pytest.raises(ProviderError) as caught:
        parse_outcome(outcome, structured=False, model=None, permissions="full")
    assert caught.value.kind is FailureKind.CONFIG
    assert caught.value.message == claude_permissions.full_as_root()
    assert "\n" not in caught.value.message


# --- structured output -------------------------------------------------------------------


def test_structured_output_falls_back_to_result_text_parsed_as_json() -> None:
    events = _events("structured")
    del _result_line(events)["structured_output"]
    result = parse_outcome(CliOutcome(0, events), structured=True, model=None)
    assert result.output == ANSWER


def test_structured_output_accepts_a_json_fence_in_the_result_text() -> None:
    events = _events("structured")
    line = _result_line(events)
    del line["structured_output"]
    line["result"] = '```json\n{"answer": "x", "confidence": 1}\n```'
    result = parse_outcome(CliOutcome(0, events), structured=True, model=None)
    assert result.output == {"answer": "x", "confidence": 1}


def test_text_answer_to_a_schema_is_invalid_output_with_usage() -> None:
    with pytest.raises(ProviderError) as caught:
        parse_outcome(_outcome("plain"), structured=True, model=None)
    assert caught.value.kind is FailureKind.INVALID_OUTPUT
    assert caught.value.message == (
        "Claude Code provider did not return valid JSON for schema output"
    )
    assert caught.value.usage == Usage(3214, 9, 0, 0, cost_usd=0.016295)
    assert caught.value.session_id == "64502201-72c5-4709-8061-bd8ef4ce56e7"


def test_structured_output_retries_exhausted_is_invalid_output() -> None:
    events = _events("structured")
    line = _result_line(events)
    del line["structured_output"]
    line.update(
        subtype="error_max_structured_output_retries",
        is_error=True,
        result=None,
        errors=["Failed to provide valid structured output after 5 attempts"],
    )
    with pytest.raises(ProviderError) as caught:
        parse_outcome(CliOutcome(1, events), structured=True, model=None)
    assert caught.value.kind is FailureKind.INVALID_OUTPUT
    assert caught.value.message == (
        "Claude Code provider failed: Failed to provide valid structured output after 5 attempts"
    )


# --- other result shapes -------------------------------------------------------------------


def test_error_max_turns_is_a_crash_quoting_the_errors_list() -> None:
    events = _events("tool")
    line = _result_line(events)
    del line["result"]
    line.update(
        subtype="error_max_turns", is_error=True, errors=["Reached maximum number of turns (1)"]
    )
    with pytest.raises(ProviderError) as caught:
        parse_outcome(CliOutcome(1, events), structured=False, model=None)
    assert caught.value.kind is FailureKind.CRASH
    assert caught.value.message == (
        "Claude Code provider failed: Reached maximum number of turns (1)"
    )
    assert caught.value.usage == Usage(6509, 25, 0, 0, cost_usd=0.033170000000000005)


def test_error_during_execution_is_classified_by_its_text() -> None:
    events = _events("plain")
    line = _result_line(events)
    del line["result"]
    line.update(subtype="error_during_execution", is_error=True, errors=["API Error: overloaded"])
    with pytest.raises(ProviderError) as caught:
        parse_outcome(CliOutcome(1, events), structured=False, model=None)
    assert caught.value.kind is FailureKind.TRANSIENT


def _usage_limit_events(text: str, status: int | None = None) -> list[JSON]:
    events = _events("error-401")
    line = _result_line(events)
    line.update(api_error_status=status, result=text)
    synthetic = events[-2]
    assert isinstance(synthetic, dict)
    synthetic["error"] = "rate_limit"
    return events


def test_usage_limit_with_epoch_suffix_sets_retry_after_and_drops_the_suffix() -> None:
    reset = int(time.time()) + 3600
    events = _usage_limit_events(f"Claude AI usage limit reached|{reset}")
    with pytest.raises(ProviderError) as caught:
        parse_outcome(CliOutcome(1, events), structured=False, model=None)
    error = caught.value
    assert error.kind is FailureKind.QUOTA
    assert error.retry_after_s is not None and 3500 < error.retry_after_s <= 3600
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(reset))
    assert error.message == (
        f"Claude Code provider failed: Claude AI usage limit reached (resets at {stamp})"
    )


def test_http_429_with_reset_in_text_sets_retry_after() -> None:
    events = _usage_limit_events("API Error: 429 rate limited, try again in 20s", status=429)
    with pytest.raises(ProviderError) as caught:
        parse_outcome(CliOutcome(1, events), structured=False, model=None)
    assert caught.value.kind is FailureKind.QUOTA
    assert caught.value.retry_after_s == 20.0


def test_rejected_rate_limit_event_gives_the_reset_time() -> None:
    reset = int(time.time()) + 600
    events = _usage_limit_events("You've hit your limit · resets 3pm (UTC)")
    rate_event: JSONObject = {
        "type": "rate_limit_event",
        "rate_limit_info": {"status": "rejected", "resetsAt": reset, "rateLimitType": "five_hour"},
    }
    events.insert(1, rate_event)
    with pytest.raises(ProviderError) as caught:
        parse_outcome(CliOutcome(1, events), structured=False, model=None)
    assert caught.value.kind is FailureKind.QUOTA
    assert caught.value.retry_after_s is not None and 500 < caught.value.retry_after_s <= 600


def test_synthetic_assistant_error_classifies_an_unexplained_failure() -> None:
    events = _usage_limit_events("Something odd happened")
    with pytest.raises(ProviderError) as caught:
        parse_outcome(CliOutcome(1, events), structured=False, model=None)
    assert caught.value.kind is FailureKind.QUOTA


def test_model_usage_sums_win_when_other_models_were_used() -> None:
    events = _events("tool")
    model_usage = _result_line(events)["modelUsage"]
    assert isinstance(model_usage, dict)
    model_usage["claude-haiku-4-5"] = {
        "inputTokens": 100,
        "outputTokens": 20,
        "cacheReadInputTokens": 7,
        "cacheCreationInputTokens": 3,
        "costUSD": 0.0002,
    }
    result = parse_outcome(CliOutcome(0, events), structured=False, model=None)
    # 6509 + 100 in, 25 + 20 out, 0 + 7 cache read, 0 + 3 cache write.
    assert result.usage == Usage(6609, 45, 7, 3, cost_usd=0.033170000000000005)


def test_success_without_any_session_id_is_a_crash() -> None:
    events = _events("plain-json")
    del _result_line(events)["session_id"]
    with pytest.raises(ProviderError) as caught:
        parse_outcome(CliOutcome(0, events), structured=False, model=None)
    assert caught.value.kind is FailureKind.CRASH
    assert caught.value.message == "Claude Code provider response did not include a session id"


def test_exit_zero_without_a_result_line_is_a_crash() -> None:
    events = _events("plain")[:-1]
    with pytest.raises(ProviderError) as caught:
        parse_outcome(CliOutcome(0, events), structured=False, model=None)
    assert caught.value.kind is FailureKind.CRASH
    assert caught.value.message == "Claude Code provider ended without a result line"
    assert caught.value.session_id == "64502201-72c5-4709-8061-bd8ef4ce56e7"


def test_requested_model_is_used_when_the_stream_names_none() -> None:
    events = _events("plain-json")
    del _result_line(events)["modelUsage"]
    result = parse_outcome(CliOutcome(0, events), structured=False, model="sonnet")
    assert result.model == "sonnet"


# --- argv -------------------------------------------------------------------------------


def test_argv_without_options_is_the_reference_one_at_read_only(tmp_path: Path) -> None:
    argv = build_argv("claude", _request(tmp_path))
    assert argv == ["claude", *READ_ONLY_FLAGS, *STREAM_FLAGS, "--print"]


def test_argv_with_schema_passes_compact_json_before_print(tmp_path: Path) -> None:
    argv = build_argv("claude", _request(tmp_path, has_schema=True, schema=SCHEMA))
    compact = json.dumps(SCHEMA, separators=(",", ":"))
    assert argv == ["claude", *READ_ONLY_FLAGS, *STREAM_FLAGS, "--json-schema", compact, "--print"]


def test_argv_with_model_effort_and_agent_type(tmp_path: Path) -> None:
    request = _request(tmp_path, model="sonnet", effort="xhigh", agent_type="reviewer")
    argv = build_argv("claude", request)
    assert argv == [
        "claude",
        *["--model", "sonnet", "--effort", "xhigh", "--agent", "reviewer"],
        *READ_ONLY_FLAGS,
        *STREAM_FLAGS,
        "--print",
    ]


# Each level's flags sit between --agent and the output flags, so the variadic
# --allowedTools ends at --output-format (the prompt is on stdin anyway).
LEVEL_FLAGS: dict[str, tuple[PermissionLevel, bool, list[str]]] = {
    # read-only: claude's default mode (beats a settings defaultMode) and ask rules, which
    # beat any settings allow rule or hook and keep the tools visible, so refusals show.
    "read-only": ("read-only", False, READ_ONLY_FLAGS),
    # ... and Bash asked too when a settings file could grant it.
    "read-only-strict-shell": (
        "read-only",
        True,
        [
            "--permission-mode",
            "default",
            "--settings",
            '{"permissions":{"ask":["Bash","Edit","Write","NotebookEdit"]}}',
        ],
    ),
    "edit": ("edit", False, ["--permission-mode", "acceptEdits", "--allowedTools", "Bash"]),
    "full": ("full", False, ["--permission-mode", "bypassPermissions"]),
}


@pytest.mark.parametrize("case", list(LEVEL_FLAGS))
def test_argv_carries_the_flags_of_the_permission_level(tmp_path: Path, case: str) -> None:
    level, strict, flags = LEVEL_FLAGS[case]
    request = _request(tmp_path, agent_type="reviewer", permissions=level)
    argv = build_argv("claude", request, strict_shell=strict)
    assert argv == ["claude", "--agent", "reviewer", *flags, *STREAM_FLAGS, "--print"]


def test_strict_shell_changes_nothing_above_read_only(tmp_path: Path) -> None:
    for level in ("edit", "full"):
        request = _request(tmp_path, permissions=level)
        assert build_argv("claude", request, strict_shell=True) == build_argv("claude", request)


# --- the adapter against fake CLIs -----------------------------------------------------------


def _fake(tmp_path: Path) -> FakeCli:
    """The shared fake CLI as ``claude`` (what every CLI does alike is in
    test_cli_adapters.py)."""
    return FakeCli(tmp_path, "claude")


def _provider(
    fake: FakeCli, case: str | None = None, mode: str = "replay", **env: str
) -> ClaudeCodeProvider:
    """The provider running ``fake`` (replaying transcript ``case``), with a HOME of its
    own (no user settings)."""
    stream = TRANSCRIPTS / f"{case}.jsonl" if case else None
    home = str(fake.dir / "home")
    return ClaudeCodeProvider(fake.settings("claude-code", mode, stream, HOME=home, **env))


def _argv(fake: FakeCli) -> list[str]:
    """The arguments claude was given (its own path left out)."""
    argv: list[str] = fake.recorded()["argv"][1:]
    return argv


@pytest.mark.anyio
async def test_run_sends_prompt_on_stdin_and_returns_the_parsed_result(tmp_path: Path) -> None:
    fake = _fake(tmp_path)
    request = _request(tmp_path, "Give me the answer", has_schema=True, schema=SCHEMA)
    result = await _provider(fake, "structured").run(request, lambda event, session: None)
    assert result.output == ANSWER
    assert result.session_id == "5da6c916-b692-4252-a1e4-282b81bd157d"
    assert result.usage == Usage(3215, 15, 0, 0, cost_usd=0.01645)
    compact = json.dumps(SCHEMA, separators=(",", ":"))
    assert _argv(fake) == [*READ_ONLY_FLAGS, *STREAM_FLAGS, "--json-schema", compact, "--print"]
    assert fake.recorded()["stdin"] == "Give me the answer"


@pytest.mark.anyio
async def test_nonzero_exit_without_result_is_classified_by_its_text(tmp_path: Path) -> None:
    stderr = "Invalid API key · Please run /login\n"
    provider = _provider(_fake(tmp_path), mode="crash", FAKE_CLI_STDERR=stderr, FAKE_CLI_EXIT="1")
    with pytest.raises(ProviderError) as caught:
        await provider.run(_request(tmp_path), lambda e, s: None)
    assert caught.value.kind is FailureKind.AUTH
    assert caught.value.message == (
        "Claude Code provider exited with code 1: Invalid API key · Please run /login"
    )


@pytest.mark.anyio
async def test_error_result_with_exit_one_raises_the_result_error(tmp_path: Path) -> None:
    provider = _provider(_fake(tmp_path), "error-500", FAKE_CLI_EXIT="1")
    with pytest.raises(ProviderError) as caught:
        await provider.run(_request(tmp_path), lambda e, s: None)
    assert caught.value.kind is FailureKind.TRANSIENT
    assert caught.value.session_id == "76248a81-d0b4-44a1-af9c-c28b17b0883a"


# --- the adapter's permission checks before claude starts ------------------------------------


@pytest.fixture
def no_managed_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Managed (policy) settings read from a directory of the test's own."""
    managed = tmp_path / "managed"
    monkeypatch.setattr(claude_permissions, "_MANAGED_DIR", managed)
    return managed


def _settings(path: Path, value: JSON) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value), encoding="utf-8")


@pytest.mark.anyio
@pytest.mark.usefixtures("no_managed_settings")
async def test_read_only_asks_for_bash_too_when_user_settings_allow_it(tmp_path: Path) -> None:
    fake = _fake(tmp_path)
    allow: JSON = {"permissions": {"allow": ["Bash", "Edit"], "defaultMode": "acceptEdits"}}
    _settings(tmp_path / "home" / ".claude" / "settings.json", allow)
    result = await _provider(fake, "refused-settings-allow").run(
        _request(tmp_path), lambda e, s: None
    )
    assert _argv(fake)[:4] == [*LEVEL_FLAGS["read-only-strict-shell"][2]]
    assert [refusal.tool for refusal in result.refusals] == ["Bash"]


@pytest.mark.parametrize(
    ("where", "settings", "reason"),
    [
        ("user", {"permissions": {"allow": ["Read", "Bash(npm test:*)"]}}, "allows Bash(npm"),
        ("project", {"permissions": {"allow": ["Bash"]}}, "allows Bash"),
        ("local", {"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": []}]}}, "hooks"),
        ("user", {"enabledPlugins": {"formatter@market": True}}, "plugins"),
        ("user", {"sandbox": {"enabled": True}}, "sandbox"),
        ("managed", {"permissions": {"allow": ["Bash"]}}, "allows Bash"),
        ("config-dir", {"permissions": {"allow": ["Bash"]}}, "allows Bash"),
        ("user", "{not json", "not valid JSON"),
    ],
)
def test_settings_that_could_let_bash_write_are_found(
    tmp_path: Path, no_managed_settings: Path, where: str, settings: JSON, reason: str
) -> None:
    work, home, config = tmp_path / "work", tmp_path / "home", tmp_path / "config"
    path = {
        "user": home / ".claude" / "settings.json",
        "project": work / ".claude" / "settings.json",
        "local": work / ".claude" / "settings.local.json",
        "managed": no_managed_settings / "managed-settings.d" / "10-org.json",
        "config-dir": config / "settings.json",
    }[where]
    if isinstance(settings, str):
        path.parent.mkdir(parents=True)
        path.write_text(settings, encoding="utf-8")
    else:
        _settings(path, settings)
    env = {"HOME": str(home), "CLAUDE_CONFIG_DIR": str(config)} if where == "config-dir" else {}
    found = claude_permissions.shell_may_write(work, env or {"HOME": str(home)}, None)
    assert found is not None and found.startswith(str(path)) and reason in found


@pytest.mark.usefixtures("no_managed_settings")
def test_settings_that_grant_nothing_to_bash_keep_read_only_bash(tmp_path: Path) -> None:
    home = tmp_path / "home"
    quiet: JSON = {
        "permissions": {"allow": ["Read", "WebFetch"], "deny": ["Bash(rm *)"]},
        "env": {"FOO": "1"},
        "hooks": {"PostToolUse": [{"matcher": "Edit", "hooks": []}]},
        "enabledPlugins": {"off@market": False},
    }
    _settings(home / ".claude" / "settings.json", quiet)
    assert claude_permissions.shell_may_write(tmp_path, {"HOME": str(home)}, None) is None


@pytest.mark.usefixtures("no_managed_settings")
def test_an_agent_definition_makes_read_only_ask_for_bash(tmp_path: Path) -> None:
    found = claude_permissions.shell_may_write(tmp_path, {"HOME": str(tmp_path)}, "reviewer")
    assert found == "the agent definition 'reviewer' may carry hooks"


@pytest.fixture
def as_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.delenv("IS_SANDBOX", raising=False)
    monkeypatch.delenv("CLAUDE_CODE_BUBBLEWRAP", raising=False)


@pytest.mark.anyio
@pytest.mark.usefixtures("as_root")
async def test_full_as_root_fails_in_one_line_before_claude_starts(tmp_path: Path) -> None:
    fake = _fake(tmp_path)
    request = _request(tmp_path, permissions="full")
    with pytest.raises(ProviderError) as caught:
        await _provider(fake, "full-shell").run(request, lambda e, s: None)
    assert caught.value.kind is FailureKind.CONFIG
    assert caught.value.message == (
        "Claude Code provider cannot run permissions 'full' as root: claude refuses "
        "--permission-mode bypassPermissions for root unless IS_SANDBOX=1; run smol-wf as a "
        "non-root user, or set IS_SANDBOX=1 if this machine is a sandbox "
        "(permissions 'edit' works as root)"
    )
    assert not fake.record.exists()


@pytest.mark.anyio
@pytest.mark.usefixtures("as_root")
async def test_full_as_root_names_an_is_sandbox_value_claude_does_not_accept(
    tmp_path: Path,
) -> None:
    request = _request(tmp_path, permissions="full")
    with pytest.raises(ProviderError) as caught:
        await _provider(_fake(tmp_path), "full-shell", IS_SANDBOX="yes").run(
            request, lambda e, s: None
        )
    assert "(IS_SANDBOX is 'yes'; claude accepts only 1)" in caught.value.message


@pytest.mark.anyio
@pytest.mark.usefixtures("as_root")
async def test_full_as_root_runs_when_the_user_says_the_machine_is_a_sandbox(
    tmp_path: Path,
) -> None:
    fake = _fake(tmp_path)
    request = _request(tmp_path, permissions="full")
    result = await _provider(fake, "full-shell", IS_SANDBOX="1").run(request, lambda e, s: None)
    assert result.output == "TOOL RESULT: FAKELLM_TOOL_OK"
    assert result.refusals == ()
    argv = _argv(fake)
    assert argv == [*LEVEL_FLAGS["full"][2], *STREAM_FLAGS, "--print"]


@pytest.mark.anyio
async def test_full_as_another_user_needs_no_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.delenv("IS_SANDBOX", raising=False)
    provider = _provider(_fake(tmp_path), "full-shell")
    result = await provider.run(_request(tmp_path, permissions="full"), lambda e, s: None)
    assert result.output == "TOOL RESULT: FAKELLM_TOOL_OK"
