"""The opencode provider's CLI transport: parsing real ``opencode run --format json``
streams, and driving a fake ``opencode`` executable."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from smolwf.errors import FailureKind, ProviderError
from smolwf.jsontypes import JSON
from smolwf.permissions import PermissionLevel, Refusal
from smolwf.providers.base import AgentRequest
from smolwf.providers.opencode.cli import NO_ANSWER, build_argv, parse_outcome
from smolwf.providers.opencode.permissions import (
    CONFIG_CONTENT_ENV,
    PERMISSION_ENV,
    allows,
    level_rules,
    matches,
    needs,
    opencode_dirs,
    permission_config,
    permission_env,
)
from smolwf.providers.opencode.provider import OpenCodeProvider
from smolwf.providers.opencode.wire import describe_error
from smolwf.providers.process import CliOutcome
from smolwf.usage import Usage
from tests.providers.fake_cli import FakeCli

TRANSCRIPTS = Path(__file__).parent / "transcripts" / "opencode"


def _events(name: str) -> list[JSON]:
    lines = (TRANSCRIPTS / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _outcome(events: list[JSON], returncode: int = 0, stderr: str = "") -> CliOutcome:
    return CliOutcome(returncode=returncode, events=events, stderr=stderr)


def _request(tmp_path: Path, prompt: str = "Say hello", **kw: Any) -> AgentRequest:
    return AgentRequest(prompt=prompt, cwd=tmp_path, step_id="s1", **kw)


# --- parsing the real transcripts -------------------------------------------------------


def test_plain_transcript_answers_with_its_text_session_and_step_usage() -> None:
    result = parse_outcome(_outcome(_events("plain.jsonl")), "fakellm/fake-model")
    # The prompt went positionally in that capture, so opencode quoted it.
    assert result.output == 'ECHO: "Say hello to the fake server"'
    assert result.session_id == "ses_dff00d3b0ffeOmIBAhlrRB3bAi"
    assert result.model == "fakellm/fake-model"
    # One step_finish: tokens {total 2456, input 2447, output 9, reasoning 0, cache 0/0},
    # cost 0.007476.
    assert result.usage == Usage(
        input_tokens=2447,
        output_tokens=9,
        cache_read_tokens=0,
        cache_write_tokens=0,
        total_tokens=2456,
        cost_usd=0.007476,
    )
    assert result.raw == _events("plain.jsonl")


def test_tool_transcript_answers_with_the_last_step_and_sums_both_steps() -> None:
    result = parse_outcome(_outcome(_events("tool.jsonl")), None)
    assert result.output == "TOOL RESULT: FAKELLM_TOOL_OK"
    assert result.session_id == "ses_dff007186ffehmrZo14Pjqj2RH"
    assert result.model is None
    # Two step_finish lines: input 2447 + 2515, output 9 + 7 (reasoning 0 + 0),
    # total 2456 + 2522, cost 0.007476 + 0.00765.
    assert result.usage is not None
    assert replace(result.usage, cost_usd=None) == Usage(
        input_tokens=4962,
        output_tokens=16,
        cache_read_tokens=0,
        cache_write_tokens=0,
        total_tokens=4978,
    )
    assert result.usage.cost_usd == pytest.approx(0.015126)


def test_http_401_transcript_is_an_auth_failure_with_the_servers_message() -> None:
    with pytest.raises(ProviderError) as caught:
        parse_outcome(_outcome(_events("error-401.jsonl"), returncode=1), None)
    error = caught.value
    assert error.kind is FailureKind.AUTH
    assert str(error) == (
        "OpenCode provider error (APIError, HTTP 401): fakellm: invalid x-api-key (scripted 401)"
    )
    assert error.session_id == "ses_dff00af99ffe8oujckGFqjw87x"
    assert error.usage is None  # the stream has no step_finish
    assert error.retry_after_s is None


def test_http_500_transcript_is_a_transient_failure() -> None:
    with pytest.raises(ProviderError) as caught:
        parse_outcome(_outcome(_events("error-500.jsonl"), returncode=1), None)
    error = caught.value
    assert error.kind is FailureKind.TRANSIENT
    assert str(error) == (
        "OpenCode provider error (APIError, HTTP 500): fakellm: scripted internal server error"
    )
    assert error.session_id == "ses_dff009007fferYRq90MP5N7BP7"


# --- parsing edge cases -----------------------------------------------------------------

SID = "ses_1"


def _line(kind: str, **part: Any) -> JSON:
    return {"type": kind, "sessionID": SID, "part": {"type": kind.replace("_", "-"), **part}}


def _finish(reason: str = "stop", **tokens: Any) -> JSON:
    counts = {"input": 10, "output": 2, "reasoning": 3, "cache": {"read": 5, "write": 1}}
    return _line("step_finish", reason=reason, tokens={**counts, **tokens}, cost=0.5)


def _rejected_tool() -> JSON:
    state = {
        "status": "error",
        "input": {"command": "rm -rf /tmp/x"},
        "error": "The user rejected permission to use this specific tool call.",
    }
    return _line("tool_use", tool="bash", state=state)


def test_answer_is_only_the_last_steps_text_without_reasoning() -> None:
    events = [
        _line("step_start"),
        _line("text", text="Let me look."),
        _finish("tool-calls"),
        _line("step_start"),
        _line("reasoning", text="thinking hard"),
        _line("text", text="First."),
        _line("text", text="Second."),
        _finish(),
    ]
    result = parse_outcome(_outcome(events), None)
    assert result.output == "First.\nSecond."
    # Output counts reasoning: 2 + 3 per step; no reported total, so None; cache summed.
    assert result.usage == Usage(
        input_tokens=20,
        output_tokens=10,
        cache_read_tokens=10,
        cache_write_tokens=2,
        total_tokens=None,
        cost_usd=1.0,
    )


def test_rejected_permission_is_invalid_output_naming_the_refused_tool() -> None:
    events = [_line("step_start"), _line("text", text="I will delete it."), _rejected_tool()]
    events.append(_finish("tool-calls"))
    with pytest.raises(ProviderError) as caught:
        parse_outcome(_outcome(events), None)
    assert caught.value.kind is FailureKind.INVALID_OUTPUT
    assert str(caught.value) == (
        f"{NO_ANSWER}: a tool call was refused (bash: The user rejected permission to use "
        "this specific tool call.)"
    )
    assert caught.value.session_id == SID
    assert caught.value.usage is not None and caught.value.usage.input_tokens == 10


def test_run_without_any_text_is_invalid_output() -> None:
    with pytest.raises(ProviderError) as caught:
        parse_outcome(_outcome([_line("step_start"), _finish()]), None)
    assert caught.value.kind is FailureKind.INVALID_OUTPUT
    assert str(caught.value) == NO_ANSWER


def test_no_text_with_an_auto_rejecting_notice_quotes_it() -> None:
    stderr = "! permission requested: external_directory (/tmp/*); auto-rejecting\n"
    with pytest.raises(ProviderError) as caught:
        parse_outcome(_outcome([_line("step_start"), _finish("tool-calls")], stderr=stderr), None)
    assert str(caught.value) == (
        f"{NO_ANSWER}: ! permission requested: external_directory (/tmp/*); auto-rejecting"
    )


def test_non_zero_exit_without_an_error_line_quotes_stderr() -> None:
    with pytest.raises(ProviderError) as caught:
        parse_outcome(_outcome([], returncode=2, stderr="Error: boom\n  at x\n"), None)
    assert caught.value.kind is FailureKind.CRASH
    assert str(caught.value) == "OpenCode provider exited with code 2: Error: boom at x"


def test_success_without_a_session_id_is_a_crash() -> None:
    events: list[JSON] = [{"type": "text", "part": {"type": "text", "text": "hi"}}]
    with pytest.raises(ProviderError) as caught:
        parse_outcome(_outcome(events), None)
    assert caught.value.kind is FailureKind.CRASH
    assert str(caught.value) == "OpenCode provider response did not include a session id"


def test_rate_limit_error_is_quota_with_the_retry_after_header() -> None:
    error: JSON = {
        "name": "APIError",
        "data": {
            "message": "Rate limit exceeded",
            "statusCode": 429,
            "isRetryable": True,
            "responseHeaders": {"retry-after": "30"},
        },
    }
    assert describe_error(error) == (
        "OpenCode provider error (APIError, HTTP 429): Rate limit exceeded",
        FailureKind.QUOTA,
        30.0,
    )


def test_errors_without_status_are_sorted_by_name_and_words() -> None:
    auth: JSON = {"name": "ProviderAuthError", "data": {"providerID": "x", "message": "nope"}}
    assert describe_error(auth)[1] is FailureKind.AUTH
    v2: JSON = {"type": "error", "message": "service unavailable"}
    assert describe_error(v2) == (
        "OpenCode provider error (error): service unavailable",
        FailureKind.TRANSIENT,
        None,
    )
    retryable: JSON = {"name": "UnknownError", "data": {"message": "odd", "isRetryable": True}}
    assert describe_error(retryable)[1] is FailureKind.TRANSIENT


def test_argv_maps_model_effort_and_agent_type_and_never_holds_the_prompt(
    tmp_path: Path,
) -> None:
    request = _request(
        tmp_path, "-n do it", model="anthropic/claude", effort="high", agent_type="plan"
    )
    assert build_argv("oc", request) == [
        "oc",
        "run",
        "--format",
        "json",
        "--model",
        "anthropic/claude",
        "--variant",
        "high",
        "--agent",
        "plan",
    ]
    assert build_argv("oc", _request(tmp_path)) == ["oc", "run", "--format", "json"]


# --- permission levels: opencode's own rules, over the user's config ------------------

DIRS = ("/tmp/opencode", "/home/u/.local/share/opencode/tool-output")
OUTSIDE = {
    "*": "deny",
    "/tmp/opencode/*": "allow",
    "/home/u/.local/share/opencode/tool-output/*": "allow",
}
READS = {"*": "allow", "*.env": "deny", "*.env.*": "deny", "*.env.example": "allow"}
READ_ONLY_CONFIG: JSON = {
    "**": "deny",
    "StructuredOutput*": "allow",
    **{
        f"{tool}*": "allow"
        for tool in (
            "glob",
            "grep",
            "list",
            "lsp",
            "codesearch",
            "webfetch",
            "websearch",
            "skill",
            "task",
            "todoread",
            "todowrite",
        )
    },
    "read*": READS,
    "edit*": "deny",
    "bash*": {
        "*": "deny",
        **{
            command: "allow"
            for command in (
                "ls *",
                "pwd",
                "cat *",
                "head *",
                "tail *",
                "wc *",
                "grep *",
                "rg *",
                "find *",
                "stat *",
                "du *",
                "which *",
                "echo *",
                "diff *",
                "git status *",
                "git diff *",
                "git log *",
                "git show *",
                "git ls-files *",
                "git rev-parse *",
                "git blame *",
            )
        },
        **{
            form: "deny"
            for form in (
                "*>*",
                "find *-exec*",
                "find *-ok*",
                "find *-delete*",
                "find *-fprint*",
                "find *-fls*",
                "rg *--pre*",
                "git *--output*",
            )
        },
    },
    "external_directory*": OUTSIDE,
    "doom_loop*": "deny",
}
EDIT_CONFIG: JSON = {
    "**": "allow",
    "read*": READS,
    "edit*": "allow",
    "bash*": "allow",
    "external_directory*": OUTSIDE,
    "doom_loop*": "deny",
}


@pytest.mark.parametrize(
    ("level", "config"),
    [("read-only", READ_ONLY_CONFIG), ("edit", EDIT_CONFIG), ("full", {"**": "allow"})],
)
def test_each_level_is_a_complete_permission_config_with_no_ask(
    level: PermissionLevel, config: JSON
) -> None:
    assert permission_config(level, DIRS) == config
    assert {action for _, _, action in level_rules(level, DIRS)} <= {"allow", "deny"}


@pytest.mark.parametrize(
    ("level", "flags"), [("read-only", []), ("edit", []), ("full", ["--auto"])]
)
def test_only_full_runs_with_opencodes_own_auto_approval(
    tmp_path: Path, level: PermissionLevel, flags: list[str]
) -> None:
    argv = build_argv("oc", _request(tmp_path, permissions=level))
    assert argv == ["oc", "run", "--format", "json", *flags]


def test_rules_go_over_the_global_config_and_the_agents_that_may_run() -> None:
    user = {
        "provider": {"x": {}},
        "agent": {"build": {"model": "x/y", "permission": {"bash": "allow"}}},
    }
    env = {"HOME": "/home/u", "TMPDIR": "/tmp/", CONFIG_CONTENT_ENV: json.dumps(user)}
    added = permission_env("edit", None, env)
    assert json.loads(added[PERMISSION_ENV]) == EDIT_CONFIG
    content = json.loads(added[CONFIG_CONTENT_ENV])
    assert content["provider"] == {"x": {}}
    assert content["agent"] == {
        "build": {"model": "x/y", "permission": EDIT_CONFIG},
        "general": {"permission": EDIT_CONFIG},
        "explore": {"permission": EDIT_CONFIG},
    }


def test_an_agent_type_gets_the_rules_instead_of_build() -> None:
    added = permission_env("full", "review", {"HOME": "/home/u"})
    agents = json.loads(added[CONFIG_CONTENT_ENV])["agent"]
    assert list(agents) == ["review", "general", "explore"]


@pytest.mark.parametrize("content", ["{ // mine\n}", "[1]", '{"agent": []}'])
def test_config_content_the_rules_cannot_join_is_a_config_error(content: str) -> None:
    with pytest.raises(ProviderError) as caught:
        permission_env("read-only", None, {"HOME": "/h", CONFIG_CONTENT_ENV: content})
    assert caught.value.kind is FailureKind.CONFIG
    assert str(caught.value).startswith(
        "OpenCode provider cannot add its permission rules to OPENCODE_CONFIG_CONTENT: "
    )


def test_opencode_dirs_follow_its_environment() -> None:
    assert opencode_dirs({"HOME": "/home/u"}) == DIRS
    env = {"TMPDIR": "/scratch/", "XDG_DATA_HOME": "/data", "HOME": "/home/u"}
    assert opencode_dirs(env) == ("/scratch/opencode", "/data/opencode/tool-output")


@pytest.mark.parametrize(
    ("pattern", "value", "matched"),
    [
        ("ls *", "ls", True),
        ("ls *", "ls -la src", True),
        ("ls *", "lsof", False),
        ("*>*", "echo hi > a.txt", True),
        ("git *--output*", "git diff --output=x", True),
        ("/tmp/opencode/*", "/tmp/opencode/a/*", True),
        ("a.b", "axb", False),
    ],
)
def test_wildcards_match_as_opencode_matches_them(pattern: str, value: str, matched: bool) -> None:
    assert matches(value, pattern) is matched


@pytest.mark.parametrize(
    ("level", "permission", "pattern", "allowed"),
    [
        ("read-only", "read", "src/app.py", True),
        ("read-only", "read", "config/.env", False),
        ("read-only", "grep", "*", True),
        ("read-only", "StructuredOutput", "*", True),
        ("read-only", "bash", "git status", True),
        ("read-only", "bash", "ls -la", True),
        ("read-only", "bash", "echo hi > a.txt", False),
        ("read-only", "bash", "cat a 2>/dev/null", False),
        ("read-only", "bash", "find . -name x -delete", False),
        ("read-only", "bash", "rm -rf build", False),
        ("read-only", "edit", "src/app.py", False),
        ("read-only", "mcp_github_create_issue", "*", False),
        ("read-only", "external_directory", "/etc/*", False),
        ("read-only", "external_directory", "/tmp/opencode/*", True),
        ("edit", "edit", "src/app.py", True),
        ("edit", "bash", "rm -rf build", True),
        ("edit", "external_directory", "/etc/*", False),
        ("edit", "read", ".env", False),
        ("edit", "doom_loop", "bash", False),
        ("full", "external_directory", "/etc/*", True),
        ("full", "read", ".env", True),
    ],
)
def test_what_each_level_allows(
    level: PermissionLevel, permission: str, pattern: str, allowed: bool
) -> None:
    assert allows(level_rules(level, DIRS), permission, pattern) is allowed


@pytest.mark.parametrize(
    ("level", "permission", "pattern", "needed"),
    [
        ("read-only", "bash", "echo hi > a.txt", "edit"),
        ("read-only", "edit", "a.txt", "edit"),
        ("read-only", "external_directory", "/etc/*", "full"),
        ("edit", "external_directory", "/etc/*", "full"),
        ("edit", "read", ".env", "full"),
        ("full", "bash", "anything", None),
    ],
)
def test_a_refusal_needs_the_lowest_level_that_allows_it(
    level: PermissionLevel, permission: str, pattern: str, needed: str | None
) -> None:
    assert needs(level, permission, pattern, DIRS) == needed


# --- refusals in real transcripts -------------------------------------------------------

ECHO_WRITE = "echo FAKELLM_EDIT_OK > agent-edit.txt"
OUTSIDE_FILE = "/var/tmp/outside/agent-edit.txt"


def test_read_only_bash_write_is_refused_and_the_model_answers() -> None:
    # Captured with the read-only rules: opencode denies the redirection, the model goes on.
    outcome = _outcome(_events("refused-bash-read-only.jsonl"))
    result = parse_outcome(outcome, None, "read-only", DIRS)
    assert result.output == "TOOL RESULT: FAKELLM_TOOL_OK"
    assert result.refusals == (Refusal("bash", ECHO_WRITE, "edit"),)


def test_edit_refuses_a_write_outside_the_project_and_it_needs_full() -> None:
    outcome = _outcome(_events("refused-write-outside-edit.jsonl"))
    result = parse_outcome(outcome, None, "edit", DIRS)
    assert result.output == "TOOL RESULT: FAKELLM_TOOL_OK"
    assert result.refusals == (Refusal("write", OUTSIDE_FILE, "full"),)


def test_same_refusal_needs_no_level_when_full_already_runs() -> None:
    result = parse_outcome(_outcome(_events("refused-write-outside-edit.jsonl")), None, "full")
    assert result.refusals == (Refusal("write", OUTSIDE_FILE, None),)


def test_auto_rejected_request_ends_the_run_and_the_failure_carries_it() -> None:
    # Without smol-wf's rules opencode asks for the outside directory; headless, it rejects
    # the request, prints a notice on stderr and stops with exit code 0 and no answer.
    stderr = (TRANSCRIPTS / "rejected-ask-no-rules.stderr.txt").read_text(encoding="utf-8")
    outcome = _outcome(_events("rejected-ask-no-rules.jsonl"), stderr=stderr)
    with pytest.raises(ProviderError) as caught:
        parse_outcome(outcome, None, "edit", DIRS)
    assert caught.value.kind is FailureKind.INVALID_OUTPUT
    assert str(caught.value) == (
        f"{NO_ANSWER}: a tool call was refused (write: The user rejected permission to use "
        "this specific tool call.)"
    )
    # One refusal: the notice on stderr is the same request as the refused tool part.
    assert caught.value.refusals == (Refusal("write", OUTSIDE_FILE, "full"),)


def test_a_request_no_tool_part_shows_is_reported_from_the_notice() -> None:
    # A subagent's tool parts are not in the stream; its auto-rejected request is.
    notice = "\x1b[93m\x1b[1m! \x1b[0mpermission requested: external_directory (/etc/*); auto-rejecting\n"
    result = parse_outcome(_outcome(_events("plain.jsonl"), stderr=notice), None, "edit", DIRS)
    assert result.refusals == (Refusal("external_directory", "/etc/*", "full"),)


def test_plain_transcript_has_no_refusals() -> None:
    assert parse_outcome(_outcome(_events("tool.jsonl")), None).refusals == ()


# --- the adapter, against a fake CLI (what every CLI does alike is in
# test_cli_adapters.py) -------------------------------------------------------------------

PERMISSION_NAMES = ("OPENCODE_PERMISSION", "OPENCODE_CONFIG_CONTENT")


def _provider(fake: FakeCli, transcript: str = "plain.jsonl", **env: str) -> OpenCodeProvider:
    stream = TRANSCRIPTS / transcript
    settings = fake.settings("opencode", "replay", stream, record_env=PERMISSION_NAMES, **env)
    return OpenCodeProvider(settings)


@pytest.mark.anyio
async def test_adapter_sends_the_prompt_on_stdin_and_flags_in_argv(tmp_path: Path) -> None:
    fake = FakeCli(tmp_path, "opencode")
    request = _request(
        tmp_path, "-dash first, with spaces", model="fakellm/fake-model", effort="max"
    )
    result = await _provider(fake).run(request, lambda event, sid: None)
    recorded = fake.recorded()
    assert recorded["argv"][1:] == [
        "run",
        "--format",
        "json",
        "--model",
        "fakellm/fake-model",
        "--variant",
        "max",
    ]
    assert recorded["stdin"] == "-dash first, with spaces"
    assert result.output == 'ECHO: "Say hello to the fake server"'
    assert result.session_id == "ses_dff00d3b0ffeOmIBAhlrRB3bAi"


@pytest.mark.anyio
async def test_error_line_wins_over_the_exit_code(tmp_path: Path) -> None:
    provider = _provider(FakeCli(tmp_path, "opencode"), "error-401.jsonl", FAKE_CLI_EXIT="1")
    with pytest.raises(ProviderError) as caught:
        await provider.run(_request(tmp_path), lambda event, sid: None)
    assert caught.value.kind is FailureKind.AUTH
    assert "fakellm: invalid x-api-key (scripted 401)" in str(caught.value)


@pytest.mark.anyio
async def test_adapter_puts_the_level_over_the_users_config(tmp_path: Path) -> None:
    fake = FakeCli(tmp_path, "opencode")
    request = _request(tmp_path, permissions="full")
    await _provider(fake).run(request, lambda event, sid: None)
    recorded = fake.recorded()
    assert recorded["argv"][1:] == ["run", "--format", "json", "--auto"]
    env = recorded["env"]
    assert json.loads(env["OPENCODE_PERMISSION"]) == {"**": "allow"}
    assert json.loads(env["OPENCODE_CONFIG_CONTENT"])["agent"]["build"] == {
        "permission": {"**": "allow"}
    }
