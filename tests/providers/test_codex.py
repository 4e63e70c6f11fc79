"""The codex provider: parsing real codex-cli 0.169.0 streams, and driving a fake ``codex``."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from smolwf.errors import FailureKind, ProviderError
from smolwf.jsontypes import JSON, JSONObject
from smolwf.permissions import PermissionLevel, Refusal
from smolwf.providers.base import AgentRequest
from smolwf.providers.codex import (
    CodexProvider,
    build_argv,
    error_kind,
    parse_outcome,
    reset_seconds,
    strict_schema,
)
from smolwf.providers.codex_sandbox import (
    SandboxAudit,
    Workspace,
    audit_session,
    exit_code_and_body,
    find_rollout,
    is_refused,
    permission_args,
)
from smolwf.providers.process import CliOutcome
from smolwf.usage import Usage
from tests.providers.cli_backends import CODEX_HOOKS
from tests.providers.fake_cli import FakeCli

TRANSCRIPTS = Path(__file__).parent / "transcripts" / "codex"
SESSION = "01a20101-9980-77e3-b39b-fdb05c6740d6"  # plain.jsonl's thread.started
SCHEMA: JSONObject = {
    "type": "object",
    "properties": {"answer": {"type": "string"}, "confidence": {"type": "number"}},
    "required": ["answer", "confidence"],
}
HTTP_401 = (
    "unexpected status 401 Unauthorized: fakellm: invalid x-api-key (scripted 401), "
    "url: http://127.0.0.1:41329/v1/responses, request id: req_fake_000036"
)
HIGH_DEMAND = "We’re currently experiencing high demand, which may cause temporary errors."
WORK_DIR = Path("$WORK_DIR")  # the transcripts' placeholder for the cwd codex ran in
PERMISSION_CASES: list[tuple[str, PermissionLevel]] = [
    ("edit-shell", "edit"),
    ("edit-patch", "edit"),
    ("full-shell", "full"),
    ("refused-shell-read-only", "read-only"),
    ("refused-shell-read-only-outside", "read-only"),
    ("refused-patch-read-only", "read-only"),
    ("refused-shell-git-dir-edit", "edit"),
    ("refused-patch-outside-edit", "edit"),
    ("sandbox-unavailable-edit", "edit"),
    ("requirements-fallback-edit", "edit"),
]
"""Transcripts captured at a permission level, each with its session rollout."""


def load(name: str) -> list[JSON]:
    lines = (TRANSCRIPTS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def parse(
    events: list[JSON],
    *,
    structured: bool = False,
    last_message: str | None = None,
    returncode: int = 0,
    stderr: str = "",
    model: str | None = "gpt-5.5",
    audit: SandboxAudit | None = None,
) -> Any:
    outcome = CliOutcome(returncode=returncode, events=events, stderr=stderr)
    return parse_outcome(outcome, last_message, structured, model, audit)


def parse_error(events: list[JSON], **kw: Any) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        parse(events, **kw)
    return caught.value


def turn(*events: JSON, usage: JSONObject | None = None) -> list[JSON]:
    """A successful codex stream: ``thread.started``, ``turn.started``, ``events``, then
    ``turn.completed`` with ``usage`` (input 100, output 5 by default)."""
    done: JSONObject = {"input_tokens": 100, "cached_input_tokens": 0, "output_tokens": 5}
    return [
        {"type": "thread.started", "thread_id": SESSION},
        {"type": "turn.started"},
        *events,
        {"type": "turn.completed", "usage": usage or done},
    ]


def message(text: str, item_id: str = "item_0") -> JSONObject:
    return {
        "type": "item.completed",
        "item": {"id": item_id, "type": "agent_message", "text": text},
    }


def failed(text: str) -> list[JSON]:
    return [
        {"type": "thread.started", "thread_id": SESSION},
        {"type": "turn.started"},
        {"type": "error", "message": text},
        {"type": "turn.failed", "error": {"message": text}},
    ]


# --- every real transcript ------------------------------------------------------------


def test_every_codex_transcript_has_a_parser_test() -> None:
    streams = [p.stem for p in TRANSCRIPTS.glob("*.jsonl") if not p.stem.endswith(".rollout")]
    assert sorted(streams) == sorted(
        ["error-401", "error-500", "plain", "plain-unknown-model", "structured", "tool"]
        + [case for case, _ in PERMISSION_CASES]
    )
    rollouts = {p.name.removesuffix(".rollout.jsonl") for p in TRANSCRIPTS.glob("*.rollout.jsonl")}
    assert rollouts == {case for case, _ in PERMISSION_CASES}


def test_plain_transcript_gives_the_agent_message_session_and_usage() -> None:
    result = parse(load("plain"))
    assert result.output == "ECHO: Say hello to the fake server"
    assert result.session_id == SESSION
    assert result.model == "gpt-5.5"  # codex reports no model: the requested one
    # turn.completed.usage: input 6942 (cached 0, cache writes 0), output 9; no cost.
    assert result.usage == Usage(6942, 9, 0, 0, total_tokens=None, cost_usd=None)
    assert result.raw == load("plain")


def test_an_error_item_is_a_warning_not_a_failure() -> None:
    result = parse(load("plain-unknown-model"), model=None)
    assert result.output == "ECHO: Say hello to the fake server"
    assert result.session_id == "01a200fe-ab93-78c2-b2ee-99bfe05a0d27"
    assert result.model is None
    # turn.completed.usage: input 5286, cached 0, output 9.
    assert result.usage == Usage(5286, 9, 0, 0)


def test_structured_transcript_parses_the_agent_message_as_json() -> None:
    result = parse(load("structured"), structured=True)
    assert result.output == {"answer": "ECHO: Give me the answer", "confidence": 42.5}
    assert result.session_id == "01a200fe-ad51-7d80-b153-9d6129174e6c"
    # turn.completed.usage: input 6943, cached 0, output 14.
    assert result.usage == Usage(6943, 14, 0, 0)


def test_tool_transcript_answers_after_the_command_and_counts_both_model_calls() -> None:
    result = parse(load("tool"))
    assert result.output == "TOOL RESULT: FAKELLM_TOOL_OK"
    assert result.session_id == "01a200fe-b423-7153-9a50-bb669b5a7629"
    # One turn.completed covering both model calls of the turn (the requests log has
    # input 6942 + 7050 = 13992 and output 8 + 7 = 15).
    assert result.usage == Usage(13992, 15, 0, 0)


def test_http_401_transcript_is_an_auth_failure_with_codex_words() -> None:
    error = parse_error(load("error-401"), returncode=1)
    assert error.kind is FailureKind.AUTH
    assert str(error) == f"Codex provider turn failed: {HTTP_401}"
    assert error.session_id == "01a200fe-af3b-7420-9c43-993deba03e8e"
    assert error.usage is None  # the turn failed before any usage was reported
    assert error.retry_after_s is None


def test_http_500_transcript_reported_as_high_demand_is_transient() -> None:
    error = parse_error(load("error-500"), returncode=1)
    assert error.kind is FailureKind.TRANSIENT
    assert str(error) == f"Codex provider turn failed: {HIGH_DEMAND}"
    assert error.session_id == "01a200fe-b1e4-7062-812a-0415e01ba982"
    assert error.usage is None


def test_a_failed_turn_is_a_failure_even_when_codex_exits_0() -> None:
    error = parse_error(load("error-401"), returncode=0)
    assert error.kind is FailureKind.AUTH


# --- final text ------------------------------------------------------------------------


def test_the_last_message_file_wins_over_the_stream() -> None:
    result = parse(load("plain"), last_message="from the file\n\n")
    assert result.output == "from the file"


def test_a_blank_last_message_file_falls_back_to_the_last_agent_message() -> None:
    events = turn(message("first"), message("second  \n", "item_1"))
    assert parse(events, last_message=" \n").output == "second"


def test_a_run_without_an_agent_message_is_invalid_output_with_its_usage() -> None:
    events = turn({"type": "item.completed", "item": {"id": "i", "type": "reasoning", "text": "x"}})
    error = parse_error(events)
    assert (error.kind, str(error)) == (
        FailureKind.INVALID_OUTPUT,
        "Codex provider did not return a final assistant message",
    )
    assert (error.session_id, error.usage) == (SESSION, Usage(100, 5, 0, 0))


def test_success_without_a_session_id_is_a_crash() -> None:
    error = parse_error(load("plain")[1:])
    assert (error.kind, str(error)) == (
        FailureKind.CRASH,
        "Codex provider response did not include a session id",
    )


def test_an_older_session_meta_line_gives_the_session_id() -> None:
    events: list[JSON] = [
        {"type": "session_meta", "payload": {"id": "older-session"}},
        *turn(message("hi"))[1:],
    ]
    assert parse(events).session_id == "older-session"


# --- structured output -----------------------------------------------------------------


def test_a_json_fence_is_accepted_as_structured_output() -> None:
    events = turn(message('```json\n{"answer": 1}\n```'))
    assert parse(events, structured=True).output == {"answer": 1}


def test_braces_inside_prose_are_not_sliced_out_as_structured_output() -> None:
    events = turn(message('Here you go: {"answer": 1} hope it helps'))
    error = parse_error(events, structured=True)
    assert (error.kind, str(error)) == (
        FailureKind.INVALID_OUTPUT,
        "Codex provider did not return valid JSON for schema output",
    )
    assert (error.session_id, error.usage) == (SESSION, Usage(100, 5, 0, 0))


# --- usage -----------------------------------------------------------------------------


def test_cached_input_is_taken_out_of_input_and_reasoning_stays_inside_output() -> None:
    usage: JSONObject = {
        "input_tokens": 23145,
        "cached_input_tokens": 16768,
        "output_tokens": 26,
        "reasoning_output_tokens": 15,
    }
    # input 23145 - 16768 cached = 6377; output 26 already includes the 15 reasoning tokens.
    assert parse(turn(message("x"), usage=usage)).usage == Usage(6377, 26, 16768, 0)


def test_usage_sums_every_completed_turn_and_counts_cache_writes_once() -> None:
    first: JSONObject = {
        "input_tokens": 1000,
        "cached_input_tokens": 600,
        "cache_write_input_tokens": 300,
        "output_tokens": 10,
    }
    second: JSONObject = {"input_tokens": 50, "cached_input_tokens": 0, "output_tokens": 7}
    events = [*turn(message("a"), usage=first), *turn(message("b"), usage=second)[1:]]
    # input (1000 - 600 - 300) + 50 = 150, output 17, cache read 600, cache write 300;
    # total = 150 + 17 + 300 (cache reads are re-use, not counted).
    result = parse(events)
    assert result.usage == Usage(150, 17, 600, 300)
    assert result.usage.total == 467
    assert result.output == "b"


# --- failures --------------------------------------------------------------------------


def test_retry_notices_before_a_completed_turn_are_not_failures() -> None:
    notice: JSONObject = {"type": "error", "message": "Reconnecting... 1/5 (stream disconnected)"}
    assert parse(turn(notice, message("made it"))).output == "made it"


def test_a_non_retry_top_level_error_fails_the_run_even_after_a_completed_turn() -> None:
    events: list[JSON] = [
        *turn(message("x")),
        {"type": "error", "message": "conversation interrupted"},
    ]
    error = parse_error(events, returncode=1)
    assert (error.kind, str(error)) == (
        FailureKind.CRASH,
        "Codex provider turn failed: conversation interrupted",
    )
    assert error.usage == Usage(100, 5, 0, 0)


def test_a_usage_limit_is_quota_with_the_seconds_until_it_resets() -> None:
    events = failed("You've hit your usage limit. Upgrade to Pro or try again in 90s.")
    error = parse_error(events, returncode=1)
    assert error.kind is FailureKind.QUOTA
    assert error.retry_after_s == 90
    assert str(error).startswith("Codex provider turn failed: You've hit your usage limit.")


def test_codex_local_reset_times_are_read_as_seconds_from_now() -> None:
    now = datetime(2026, 11, 22, 13, 0).timestamp()
    text = "You've hit your usage limit. Try again at 3:05 PM."
    assert reset_seconds(text, now=now) == 2 * 3600 + 5 * 60
    text = "You've hit your usage limit. Try again at Nov 23rd, 2026 12:30 AM."
    assert reset_seconds(text, now=now) == 11.5 * 3600
    assert reset_seconds("Try again at 9:00 AM.", now=now) == 0  # already passed
    assert reset_seconds("You've hit your usage limit. Try again later.", now=now) is None


@pytest.mark.parametrize(
    ("text", "retried", "kind"),
    [
        ("unexpected status 429 Too Many Requests: slow down", False, FailureKind.QUOTA),
        # codex 0.169.0's words for a 429 from the fake server, after its retries:
        ("exceeded retry limit, last status: 429 Too Many Requests", True, FailureKind.QUOTA),
        ("unexpected status 403 Forbidden: nope", False, FailureKind.AUTH),
        ("unexpected status 503 Service Unavailable: later", False, FailureKind.TRANSIENT),
        ("unexpected status 400 Bad Request: bad schema", False, FailureKind.CRASH),
        ("stream disconnected before completion", False, FailureKind.TRANSIENT),
        ("something odd", False, FailureKind.CRASH),
        ("something odd", True, FailureKind.TRANSIENT),
    ],
)
def test_error_kinds_come_from_the_status_then_the_words(
    text: str, retried: bool, kind: FailureKind
) -> None:
    assert error_kind(text, retried=retried) is kind


def test_an_unrecognised_failure_after_retries_is_transient() -> None:
    events: list[JSON] = [
        {"type": "thread.started", "thread_id": SESSION},
        {"type": "error", "message": "Reconnecting... 1/1 (something odd)"},
        {"type": "turn.failed", "error": {"message": "something odd"}},
    ]
    assert parse_error(events, returncode=1).kind is FailureKind.TRANSIENT


def test_a_non_zero_exit_without_a_completed_turn_quotes_stderr() -> None:
    events: list[JSON] = [{"type": "thread.started", "thread_id": SESSION}]
    error = parse_error(events, returncode=1, stderr="Error: bad config\n  at line 3\n")
    assert (error.kind, str(error), error.session_id) == (
        FailureKind.CRASH,
        "Codex provider exited with code 1: Error: bad config at line 3",
        SESSION,
    )


def test_a_non_zero_exit_after_only_retry_notices_is_transient() -> None:
    events: list[JSON] = [
        {"type": "thread.started", "thread_id": SESSION},
        {"type": "error", "message": "Reconnecting... waiting for network (Connection failed)"},
    ]
    error = parse_error(events, returncode=1, stderr="killed")
    assert (error.kind, str(error)) == (
        FailureKind.TRANSIENT,
        "Codex provider exited with code 1: killed",
    )


def test_a_non_zero_exit_after_a_completed_turn_without_errors_keeps_the_answer() -> None:
    assert parse(load("plain"), returncode=1).output == "ECHO: Say hello to the fake server"


# --- schema and effort -----------------------------------------------------------------


def test_strict_schema_closes_every_object_and_keeps_optional_properties_optional() -> None:
    schema: JSONObject = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "object", "properties": {}}},
            "properties": {"type": "object"},
            "either": {"anyOf": [{"$ref": "#/$defs/point"}, {"type": "null"}]},
            "fixed": {"const": {"type": "object"}},
        },
        "required": ["name"],
        "$defs": {"point": {"properties": {"x": {"type": "number"}}, "required": ["x"]}},
    }
    closed = {"required": [], "additionalProperties": False}
    assert strict_schema(schema) == {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "tags": {
                "type": "array",
                "items": {"type": "object", "properties": {}, **closed},
            },
            "properties": {"type": "object", "properties": {}, **closed},
            "either": {"anyOf": [{"$ref": "#/$defs/point"}, {"type": "null"}]},
            "fixed": {"const": {"type": "object"}},
        },
        "required": ["name"],
        "additionalProperties": False,
        "$defs": {
            "point": {
                "properties": {"x": {"type": "number"}},
                "required": ["x"],
                "additionalProperties": False,
            }
        },
    }


def test_strict_schema_leaves_non_object_schemas_alone() -> None:
    assert strict_schema({"type": "integer"}) == {"type": "integer"}
    assert strict_schema(True) is True


# --- permission levels: flags, and what codex's sandbox refused -------------------------


@pytest.mark.parametrize(
    ("level", "flags"),
    [
        ("read-only", ["--sandbox", "read-only", "-c", 'approval_policy="never"']),
        (
            "edit",
            [
                "--sandbox",
                "workspace-write",
                "-c",
                'approval_policy="never"',
                "-c",
                "sandbox_workspace_write.writable_roots=[]",
                "-c",
                "sandbox_workspace_write.network_access=false",
            ],
        ),
        ("full", ["--dangerously-bypass-approvals-and-sandbox"]),
    ],
    ids=["read-only", "edit", "full"],
)
def test_each_level_is_passed_as_codex_flags_after_exec(
    tmp_path: Path, level: PermissionLevel, flags: list[str]
) -> None:
    assert permission_args(level) == flags
    argv = build_argv("codex", request(tmp_path, permissions=level, model="gpt-5.5"), tmp_path)
    assert argv[:3] == ["codex", "exec", "--skip-git-repo-check"]
    assert argv[3 : 3 + len(flags)] == flags
    assert argv[3 + len(flags) :][:2] == ["--model", "gpt-5.5"]


def test_the_default_level_is_read_only_flags_not_the_users_config(tmp_path: Path) -> None:
    argv = build_argv("codex", request(tmp_path), tmp_path)
    assert argv[3:7] == ["--sandbox", "read-only", "-c", 'approval_policy="never"']


def thread_of(events: list[JSON]) -> str:
    first = events[0]
    assert isinstance(first, dict) and isinstance(first["thread_id"], str)
    return first["thread_id"]


def captured(tmp_path: Path, case: str, level: PermissionLevel, *, rollout: bool = True) -> Any:
    """``parse_outcome`` over a captured stream, audited against its rollout laid out in a
    ``CODEX_HOME`` as codex writes it."""
    events = load(case)
    thread = thread_of(events)
    home = tmp_path / "codex-home"
    day = home / "sessions" / "2026" / "12" / "06"
    day.mkdir(parents=True)
    if rollout:
        source = TRANSCRIPTS / f"{case}.rollout.jsonl"
        (day / f"rollout-2026-12-06T00-10-50-{thread}.jsonl").write_text(
            source.read_text(encoding="utf-8"), encoding="utf-8"
        )
    env = {"CODEX_HOME": str(home)}
    audit = audit_session(events, thread, level, WORK_DIR, env)
    return parse(events, audit=audit)


THREAD = "01a248b0-68c4-7c40-a601-678f8a996235"
"""A UUIDv7 thread id made on 2026-12-06 (refused-shell-read-only's)."""


@pytest.mark.parametrize(
    ("thread", "day"),
    [
        pytest.param(THREAD, "2026/12/06", id="under-the-day-its-id-was-made"),
        pytest.param(THREAD, "2025/01/01", id="under-another-day"),
        pytest.param("older-session-id", "2026/12/06", id="an-id-without-a-time"),
    ],
)
def test_the_rollout_of_a_thread_is_found_wherever_codex_filed_it(
    tmp_path: Path, thread: str, day: str
) -> None:
    sessions = tmp_path / "sessions"
    for other in ("2026/12/05", "2026/12/06", "2026/12/07"):
        (sessions / other).mkdir(parents=True, exist_ok=True)
        (sessions / other / "rollout-2026-12-06T00-00-00-another-thread.jsonl").touch()
    (sessions / day).mkdir(parents=True, exist_ok=True)
    rollout = sessions / day / f"rollout-2026-12-06T00-10-50-{thread}.jsonl"
    rollout.touch()
    assert find_rollout(tmp_path, thread) == rollout
    assert find_rollout(tmp_path, "no-such-thread") is None


def shell(command: str, needs: PermissionLevel) -> Refusal:
    return Refusal("exec_command", command, needs)


@pytest.mark.parametrize(
    ("case", "level", "refusals"),
    [
        ("edit-shell", "edit", []),
        ("edit-patch", "edit", []),
        ("full-shell", "full", []),
        (
            "refused-shell-read-only",
            "read-only",
            [shell("echo FAKELLM_EDIT_OK > agent-edit.txt", "edit")],
        ),
        (
            "refused-shell-read-only-outside",
            "read-only",
            [shell("echo FAKELLM_EDIT_OK > /var/tmp/smolwf-codex-outside.txt", "full")],
        ),
        (
            "refused-patch-read-only",
            "read-only",
            [Refusal("apply_patch", "add agent-edit.txt", "edit")],
        ),
        (
            "refused-shell-git-dir-edit",
            "edit",
            [shell("echo FAKELLM_EDIT_OK > .git/agent-edit.txt", "full")],
        ),
        (
            "refused-patch-outside-edit",
            "edit",
            [Refusal("apply_patch", "add /var/tmp/smolwf-codex-outside.txt", "full")],
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_refusals_are_read_from_the_session_rollout(
    tmp_path: Path, case: str, level: PermissionLevel, refusals: list[Refusal]
) -> None:
    result = captured(tmp_path, case, level)
    assert result.output == "TOOL RESULT: FAKELLM_TOOL_OK"
    assert list(result.refusals) == refusals


def test_the_json_stream_alone_shows_no_sign_of_a_refused_command() -> None:
    """Why the rollout is read: codex prints no item for what its sandbox denied."""
    kinds = [e.get("type") for e in load("refused-shell-read-only") if isinstance(e, dict)]
    assert kinds == ["thread.started", "turn.started", "item.completed", "turn.completed"]


def test_a_sandbox_that_cannot_start_fails_the_call_naming_full(tmp_path: Path) -> None:
    with pytest.raises(ProviderError) as caught:
        captured(tmp_path, "sandbox-unavailable-edit", "edit")
    assert caught.value.kind is FailureKind.CONFIG
    assert str(caught.value) == (
        "Codex provider could not start its Linux sandbox on this machine (bwrap: No "
        "permissions to create a new namespace): permissions 'edit' cannot be enforced "
        "here; permissions 'full' runs codex without its sandbox"
    )
    assert caught.value.session_id == thread_of(load("sandbox-unavailable-edit"))


def test_a_managed_config_that_changed_the_sandbox_fails_the_call(tmp_path: Path) -> None:
    with pytest.raises(ProviderError) as caught:
        captured(tmp_path, "requirements-fallback-edit", "edit")
    assert caught.value.kind is FailureKind.CONFIG
    assert str(caught.value) == (
        "Codex provider ran with sandbox 'read-only' instead of 'workspace-write', which "
        "permissions 'edit' asks for: invalid value for `sandbox_mode`: `WorkspaceWrite` is "
        "not in the allowed set [ReadOnly] (set by /etc/codex/managed_config.toml)"
    )
    assert caught.value.refusals == (shell("echo FAKELLM_EDIT_OK > agent-edit.txt", "full"),)


def test_a_call_that_ran_at_another_level_than_asked_fails(tmp_path: Path) -> None:
    """edit-shell ran in workspace-write: audited as read-only it is not what was asked."""
    with pytest.raises(ProviderError) as caught:
        captured(tmp_path, "edit-shell", "read-only")
    assert str(caught.value).startswith(
        "Codex provider ran with sandbox 'workspace-write' instead of 'read-only'"
    )


@pytest.mark.parametrize("level", ["read-only", "edit"])
def test_a_missing_rollout_at_a_sandboxed_level_fails_the_call(
    tmp_path: Path, level: PermissionLevel
) -> None:
    with pytest.raises(ProviderError) as caught:
        captured(tmp_path, "edit-shell", level, rollout=False)
    assert caught.value.kind is FailureKind.CONFIG
    assert "wrote no readable session rollout for thread 01a" in str(caught.value)
    assert "so the tool uses its sandbox refused cannot be checked" in str(caught.value)


def test_a_missing_rollout_at_full_needs_no_check(tmp_path: Path) -> None:
    result = captured(tmp_path, "full-shell", "full", rollout=False)
    assert (result.output, result.refusals) == ("TOOL RESULT: FAKELLM_TOOL_OK", ())


def test_a_failed_turn_still_reports_what_was_refused() -> None:
    refused = (shell("touch a", "edit"),)
    error = parse_error(failed(HTTP_401), returncode=1, audit=SandboxAudit(refused))
    assert error.kind is FailureKind.AUTH
    assert error.refusals == refused


@pytest.mark.parametrize(
    ("output", "level", "refused"),
    [
        ("Process exited with code 1\nOutput:\nx: Read-only file system\n", "read-only", True),
        ("Process exited with code 1\nOutput:\nsocket: Operation not permitted\n", "edit", True),
        ("Process exited with code 0\nOutput:\nPermission denied (ignored)\n", "edit", False),
        ("Process exited with code 1\nOutput:\nx: Read-only file system\n", "full", False),
        ("Process running with session ID 3\nOutput:\nPermission denied\n", "edit", False),
        (
            "patch rejected: writing outside of the project; rejected by user approval settings",
            "edit",
            True,
        ),
        ("exec command rejected by user", "full", True),
        ("Exit code: 1\nWall time: 0 seconds\nOutput:\nFailed to write file /a\n", "edit", True),
        (
            '{"output": "x: Read-only file system\\n", "metadata": {"exit_code": 1}}',
            "read-only",
            True,
        ),
        (
            "Process exited with code 1\nOutput:\nbwrap: setting up uid map: Permission denied\n",
            "edit",
            False,
        ),
    ],
)
def test_what_counts_as_refused(output: str, level: PermissionLevel, refused: bool) -> None:
    assert is_refused(output, level) is refused


def test_exit_codes_and_bodies_of_each_output_format() -> None:
    unified = "Chunk ID: 1\nWall time: 0.0 seconds\nProcess exited with code 2\nOutput:\nboom\n"
    assert exit_code_and_body(unified) == (2, "boom\n")
    assert exit_code_and_body("Exit code: 1\nWall time: 0 seconds\nOutput:\nno\n") == (1, "no\n")
    legacy = '{"output": "hi\\n", "metadata": {"exit_code": 0, "duration_seconds": 0.1}}'
    assert exit_code_and_body(legacy) == (0, "hi\n")
    assert exit_code_and_body("patch rejected: nope") == (None, "patch rejected: nope")


@pytest.mark.parametrize(
    ("path", "workdir", "allowed"),
    [
        ("a.txt", None, True),
        ("/work/src/a.py", None, True),
        ("/work/src/../../etc/passwd", None, False),
        ("/tmp/scratch", None, True),
        ("/scratch/t", None, True),
        ("/var/tmp/x", None, False),
        (".git/index.lock", None, False),
        ("/work/.codex/config.toml", None, False),
        ("b.txt", "/elsewhere", False),
        ("b.txt", "/work/sub", True),
    ],
)
def test_what_edit_would_let_codex_write(path: str, workdir: str | None, allowed: bool) -> None:
    workspace = Workspace.of(Path("/work"), {"TMPDIR": "/scratch"})
    assert workspace.edit_allows(path, workdir) is allowed


# --- the adapter, against a fake codex executable (what every CLI does alike is in
# test_cli_adapters.py) -------------------------------------------------------------------


class FakeCodex:
    """The shared fake CLI as ``codex``: it also records its schema file and temporary
    directory, writes ``FAKE_CODEX_LAST`` as its last message and a session rollout."""

    def __init__(self, tmp_path: Path) -> None:
        self.dir = tmp_path
        self.cli = FakeCli(tmp_path, "codex", CODEX_HOOKS)
        self.path = self.cli.path
        self.child = self.cli.child

    def provider(self, mode: str, stream: list[JSON] | None = None, **env: str) -> CodexProvider:
        home = str(self.dir / "codex-home")
        return CodexProvider(self.cli.settings("codex", mode, stream, CODEX_HOME=home, **env))

    def recorded(self) -> dict[str, Any]:
        return self.cli.recorded()


def request(tmp_path: Path, **kw: Any) -> AgentRequest:
    fields: dict[str, Any] = {
        "prompt": "Say hello\nto the fake server",
        "cwd": tmp_path,
        "step_id": "s1",
        **kw,
    }
    return AgentRequest(**fields)


def ignore(event: JSON, session: str | None) -> None:
    pass


def removed(directory: str) -> bool:
    """Whether the provider's temporary directory is gone."""
    return not Path(directory).exists()


@pytest.mark.anyio
async def test_model_effort_and_level_flags_come_after_exec_and_the_temp_dir_goes(
    tmp_path: Path,
) -> None:
    fake = FakeCodex(tmp_path)
    req = request(tmp_path, model="gpt-5.5", effort="max", agent_type="reviewer")
    await fake.provider("replay", load("plain")).run(req, ignore)
    recorded = fake.recorded()
    tmp_dir = recorded["tmp_dir"]
    assert Path(tmp_dir).name.startswith("smol-wf-codex-")
    assert recorded["argv"] == [
        str(fake.path),
        "exec",
        "--skip-git-repo-check",
        "--sandbox",
        "read-only",
        "-c",
        'approval_policy="never"',
        "--model",
        "gpt-5.5",
        "-c",
        'model_reasoning_effort="xhigh"',
        "--json",
        "--output-last-message",
        f"{tmp_dir}/last-message.txt",
        "-",
    ]
    assert recorded["schema"] is None
    assert recorded["tmp_dir_existed"]
    assert removed(tmp_dir)


@pytest.mark.anyio
async def test_without_model_or_known_effort_codex_gets_neither_flag(tmp_path: Path) -> None:
    fake = FakeCodex(tmp_path)
    await fake.provider("replay", load("plain")).run(request(tmp_path, effort="turbo"), ignore)
    argv = fake.recorded()["argv"]
    assert argv[1:3] == ["exec", "--skip-git-repo-check"]
    assert argv[3:7] == ["--sandbox", "read-only", "-c", 'approval_policy="never"']
    assert argv[7:9] == ["--json", "--output-last-message"]
    assert argv[10:] == ["-"]


@pytest.mark.anyio
async def test_a_schema_is_written_strict_and_the_last_message_file_is_the_answer(
    tmp_path: Path,
) -> None:
    fake = FakeCodex(tmp_path)
    answer = '{"answer": "from the file", "confidence": 1}'
    provider = fake.provider("replay", load("structured"), FAKE_CODEX_LAST=answer)
    req = request(tmp_path, has_schema=True, schema=SCHEMA)
    result = await provider.run(req, ignore)
    recorded = fake.recorded()
    tmp_dir = recorded["tmp_dir"]
    assert recorded["argv"][-4:] == [
        f"{tmp_dir}/last-message.txt",
        "--output-schema",
        f"{tmp_dir}/schema.json",
        "-",
    ]
    assert json.loads(recorded["schema"]) == {**SCHEMA, "additionalProperties": False}
    assert result.output == {"answer": "from the file", "confidence": 1}
    assert removed(tmp_dir)


@pytest.mark.anyio
async def test_refusals_in_the_rollout_codex_wrote_are_on_the_result(tmp_path: Path) -> None:
    fake = FakeCodex(tmp_path)
    case = "refused-patch-read-only"
    rollout = str(TRANSCRIPTS / f"{case}.rollout.jsonl")
    provider = fake.provider("replay", load(case), FAKE_CODEX_ROLLOUT=rollout)
    result = await provider.run(request(tmp_path), ignore)
    assert result.output == "TOOL RESULT: FAKELLM_TOOL_OK"
    assert result.refusals == (Refusal("apply_patch", "add agent-edit.txt", "edit"),)


@pytest.mark.anyio
async def test_a_codex_that_wrote_no_rollout_fails_a_sandboxed_call(tmp_path: Path) -> None:
    fake = FakeCodex(tmp_path)
    provider = fake.provider("replay", load("plain"), FAKE_CODEX_NO_ROLLOUT="1")
    with pytest.raises(ProviderError) as caught:
        await provider.run(request(tmp_path, permissions="edit"), ignore)
    assert caught.value.kind is FailureKind.CONFIG
    assert str(caught.value).startswith(
        f"Codex provider wrote no readable session rollout for thread {SESSION} under "
        f"{tmp_path / 'codex-home' / 'sessions'}"
    )


@pytest.mark.anyio
async def test_a_failed_turn_raises_its_kind_with_the_session(tmp_path: Path) -> None:
    fake = FakeCodex(tmp_path)
    provider = fake.provider("replay", load("error-401"), FAKE_CLI_EXIT="1")
    with pytest.raises(ProviderError) as caught:
        await provider.run(request(tmp_path), ignore)
    assert caught.value.kind is FailureKind.AUTH
    assert str(caught.value) == f"Codex provider turn failed: {HTTP_401}"
    assert caught.value.session_id == "01a200fe-af3b-7420-9c43-993deba03e8e"
    assert removed(fake.recorded()["tmp_dir"])


@pytest.mark.anyio
async def test_a_watchdog_stop_still_reports_what_the_rollout_refused(tmp_path: Path) -> None:
    fake = FakeCodex(tmp_path)
    seen: list[JSON] = []
    rollout = str(TRANSCRIPTS / "refused-shell-read-only.rollout.jsonl")
    with pytest.raises(ProviderError) as caught:
        await fake.provider("hang", load("plain"), FAKE_CODEX_ROLLOUT=rollout).run(
            request(tmp_path, idle_timeout_s=0.3), lambda e, s: seen.append(e)
        )
    assert caught.value.kind is FailureKind.TIMEOUT
    assert seen == load("plain")[:1]
    assert caught.value.refusals == (shell("echo FAKELLM_EDIT_OK > agent-edit.txt", "edit"),)
    assert removed(fake.recorded()["tmp_dir"])
