"""codex's sandbox: the flags that put one ``codex exec`` at a permission level, and the
audit of what its sandbox refused.

The audit reads the session rollout codex writes for every thread
(``$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<thread id>.jsonl``), because
``codex exec --json`` (0.169.0) prints no item at all for a command its sandbox denied
nor for a patch it rejected: the model sees the failure, the stream does not. Every tool
call of the rollout is paired with its output; one is refused when codex rejected it
(``patch rejected: …``, ``… rejected by user approval settings``, an MCP call that needs
an approval) or, at a sandboxed level, when it failed with one of the errors codex itself
takes for a sandbox denial (``Read-only file system``, ``Operation not permitted``,
``Permission denied``, ``Failed to write file``).

The audit also refuses to let a call pass at a level codex did not run it at: when codex's
Linux sandbox (bubblewrap) cannot start on this machine, and when a managed configuration
(``/etc/codex/managed_config.toml``, ``requirements.toml``) made codex fall back to another
sandbox than the one asked for, which codex only reports as a non-fatal ``error`` item.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path

from smolwf.jsontypes import JSON, JSONObject
from smolwf.permissions import PermissionLevel, Refusal, level_above, preview
from smolwf.records import record

SANDBOX_MODES: dict[PermissionLevel, str] = {
    "read-only": "read-only",
    "edit": "workspace-write",
    "full": "danger-full-access",
}
"""codex's ``--sandbox`` mode for each level (``full`` passes the bypass flag, which runs
``danger-full-access`` with approvals off)."""
BYPASS_FLAG = "--dangerously-bypass-approvals-and-sandbox"
NEVER_ASK = 'approval_policy="never"'
EDIT_PINS = (
    "sandbox_workspace_write.writable_roots=[]",
    "sandbox_workspace_write.network_access=false",
)
"""What ``edit`` pins over a user's ``[sandbox_workspace_write]``: no writable directory
besides the working directory and the temporary ones, no network (codex's own defaults)."""
PROTECTED_DIRS = (".git", ".agents", ".codex", ".aws")
"""Directories codex keeps read-only inside a writable workspace."""
TEMP_DIRS = ("/tmp",)
"""Writable under ``workspace-write`` besides the workspace (and ``$TMPDIR``)."""

_THREAD_ID = re.compile(r"^[0-9A-Za-z-]+$")
_ROLLOUT_MARKERS = ('"turn_context"', '"function_call', '"custom_tool_call', '"local_shell_call')
_CALLS = ("function_call", "custom_tool_call", "local_shell_call")
_OUTPUTS = ("function_call_output", "custom_tool_call_output", "local_shell_call_output")
_REJECTED = re.compile(
    r"^\s*(?:patch rejected\b|exec command rejected\b|MCP tool call requires approval\b)"
    r"|rejected by user approval settings",
    re.IGNORECASE,
)
_DENIED = re.compile(
    r"read-only file system|operation not permitted|permission denied|failed to write file",
    re.IGNORECASE,
)
_EXIT_CODE = re.compile(r"^(?:Process exited with code|Exit code:) (-?\d+)\s*$", re.MULTILINE)
_OUTPUT_MARK = "\nOutput:\n"
_READ_ONLY_TARGET = re.compile(
    r"(?:'([^'\n]+)'|‘([^’\n]+)’|([^:\s'‘][^:\n'‘’]*)): Read-only file system"
)
_PATCH_TARGET = re.compile(r"^\*\*\* (?:(Add|Update|Delete) File|Move to): (.+?)\s*$", re.MULTILINE)
_REQUIREMENTS = re.compile(r"disallowed by requirements", re.IGNORECASE)
_ABOUT_SANDBOX = re.compile(r"permission_profile|sandbox|default_permissions", re.IGNORECASE)


def permission_args(level: PermissionLevel) -> list[str]:
    """The flags for ``level``; they override ``sandbox_mode``, ``default_permissions``,
    ``approval_policy`` and ``[sandbox_workspace_write]`` of the user's config."""
    if level == "full":
        return [BYPASS_FLAG]
    args = ["--sandbox", SANDBOX_MODES[level], "-c", NEVER_ASK]
    if level == "edit":
        for pin in EDIT_PINS:
            args += ["-c", pin]
    return args


def codex_home(env: Mapping[str, str]) -> Path:
    """Where codex keeps its sessions: ``$CODEX_HOME``, else ``~/.codex``."""
    configured = env.get("CODEX_HOME")
    if configured:
        return Path(configured).expanduser()
    home = env.get("HOME")
    return (Path(home) if home else Path.home()) / ".codex"


def find_rollout(home: Path, thread_id: str) -> Path | None:
    """The rollout file of ``thread_id``, or ``None`` when codex wrote none.

    It is looked for under the days its thread id was made (codex's ids are UUIDv7,
    which hold their creation time, and codex files a session under its local date),
    and only then under every day, so that a long history is not listed for each call.
    """
    if not _THREAD_ID.match(thread_id):
        return None
    name = f"rollout-*-{thread_id}.jsonl"
    for day in _days_of(thread_id):
        found = sorted((home / "sessions" / day).glob(name))
        if found:
            return found[-1]
    found = sorted(home.glob(f"sessions/*/*/*/{name}"))
    return found[-1] if found else None


def _days_of(thread_id: str) -> list[str]:
    """``YYYY/MM/DD`` of the local day a UUIDv7 thread id was made, then of the days
    around it (a clock or a time zone may disagree); none for another kind of id."""
    digits = thread_id.replace("-", "")
    if len(digits) != 32 or digits[12] != "7":
        return []
    try:
        made = datetime.fromtimestamp(int(digits[:12], 16) / 1000)
    except (ValueError, OverflowError, OSError):
        return []
    return [(made + timedelta(days=shift)).strftime("%Y/%m/%d") for shift in (0, -1, 1)]


def read_rollout(path: Path) -> list[JSONObject] | None:
    """The rollout lines the audit reads (turn contexts, tool calls and their outputs);
    ``None`` when the file cannot be read."""
    lines: list[JSONObject] = []
    try:
        with path.open(encoding="utf-8", errors="replace") as rollout:
            for line in rollout:
                if not any(marker in line for marker in _ROLLOUT_MARKERS):
                    continue
                try:
                    value = json.loads(line)
                except ValueError:
                    continue
                if isinstance(value, dict):
                    lines.append(value)
    except OSError:
        return None
    return lines


@record
class Workspace:
    """What ``edit`` lets codex write: its working directory (but the directories codex
    protects in it) and the temporary directories."""

    cwd: str
    temp_dirs: tuple[str, ...] = TEMP_DIRS

    @classmethod
    def of(cls, cwd: Path, env: Mapping[str, str]) -> Workspace:
        tmpdir = env.get("TMPDIR")
        return cls(str(cwd), TEMP_DIRS + ((tmpdir,) if tmpdir else ()))

    def edit_allows(self, path: str, workdir: str | None = None) -> bool:
        full = posixpath.normpath(posixpath.join(workdir or self.cwd, path))
        if _inside(full, self.cwd):
            return not any(_inside(full, posixpath.join(self.cwd, d)) for d in PROTECTED_DIRS)
        return any(_inside(full, temp) for temp in self.temp_dirs)


def _inside(path: str, directory: str) -> bool:
    directory = posixpath.normpath(directory)
    return path == directory or path.startswith(directory.rstrip("/") + "/")


@record
class ToolCall:
    """One tool call of the rollout and what codex answered the model."""

    name: str
    arguments: JSON
    output: str | None


@record
class SandboxAudit:
    """What the sandbox refused, and why the call cannot count as run at its level."""

    refusals: tuple[Refusal, ...] = ()
    problem: str | None = None


def tool_calls(rollout: list[JSONObject]) -> list[ToolCall]:
    """Every tool call of the rollout, in order, with its output when it has one."""
    payloads = [p for line in rollout if isinstance(p := line.get("payload"), dict)]
    outputs = {
        p.get("call_id"): _output_text(p.get("output"))
        for p in payloads
        if p.get("type") in _OUTPUTS
    }
    return [
        ToolCall(str(p.get("name") or p.get("type")), _arguments(p), outputs.get(p.get("call_id")))
        for p in payloads
        if p.get("type") in _CALLS
    ]


def _arguments(payload: JSONObject) -> JSON:
    if payload.get("type") == "custom_tool_call":
        return payload.get("input")
    if payload.get("type") == "local_shell_call":
        action = payload.get("action")
        return action if isinstance(action, dict) else None
    raw = payload.get("arguments")
    try:
        parsed: JSON = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return raw
    return parsed


def _output_text(output: JSON) -> str | None:
    if isinstance(output, str):
        return output
    if isinstance(output, dict):
        content = output.get("content") or output.get("body")
        return content if isinstance(content, str) else json.dumps(output)
    return None if output is None else json.dumps(output)


def exit_code_and_body(text: str) -> tuple[int | None, str]:
    """The exit code codex reported to the model and the command's own output."""
    try:
        wrapped = json.loads(text) if text.lstrip().startswith("{") else None
    except ValueError:
        wrapped = None
    if isinstance(wrapped, dict) and isinstance(wrapped.get("metadata"), dict):
        code = wrapped["metadata"].get("exit_code")
        body = wrapped.get("output")
        return (code if isinstance(code, int) else None), (body if isinstance(body, str) else "")
    match = _EXIT_CODE.search(text)
    _, marked, body = text.partition(_OUTPUT_MARK)
    return (int(match.group(1)) if match else None), (body if marked else text)


def sandbox_start_failure(text: str) -> str | None:
    """bubblewrap's own error when codex's Linux sandbox could not start for a command."""
    code, body = exit_code_and_body(text)
    first = next((line.strip() for line in body.splitlines() if line.strip()), "")
    return first if code not in (None, 0) and first.startswith("bwrap: ") else None


def is_refused(output: str, level: PermissionLevel) -> bool:
    """Whether codex refused the call whose output (to the model) is ``output``."""
    if _REJECTED.search(output.lstrip().split("\n", 1)[0]):
        return True
    if level == "full" or sandbox_start_failure(output) is not None:
        return False
    code, body = exit_code_and_body(output)
    return code not in (None, 0) and _DENIED.search(body) is not None


def attempted(call: ToolCall) -> str:
    """A short form of what the call tried: the command, or the patch's file operations."""
    args = call.arguments
    if isinstance(args, str):
        targets = [
            f"{(kind or 'move to').lower()} {path}" for kind, path in _PATCH_TARGET.findall(args)
        ]
        return preview("; ".join(targets) if targets else args)
    if isinstance(args, dict):
        command = args.get("cmd", args.get("command"))
        if isinstance(command, list):
            command = " ".join(str(part) for part in command)
        if isinstance(command, str):
            return preview(command)
    return preview(json.dumps(args, ensure_ascii=False))


def _targets(call: ToolCall, output: str) -> list[str]:
    """The paths the call was refused writing, where they can be told."""
    if isinstance(call.arguments, str):
        return [path for _, path in _PATCH_TARGET.findall(call.arguments)]
    _, body = exit_code_and_body(output)
    return [next(group for group in m.groups() if group) for m in _READ_ONLY_TARGET.finditer(body)]


def needs(
    call: ToolCall, output: str, level: PermissionLevel, workspace: Workspace
) -> PermissionLevel | None:
    """The level that would have allowed the call: ``edit`` for a write ``read-only``
    refused inside the workspace, ``full`` for anything ``edit`` refuses too."""
    if level != "read-only":
        return level_above(level)
    if "outside of the project" in output:
        return "full"
    workdir = call.arguments.get("workdir") if isinstance(call.arguments, dict) else None
    where = workdir if isinstance(workdir, str) else None
    if any(not workspace.edit_allows(path, where) for path in _targets(call, output)):
        return "full"
    return "edit"


def refusals_of(
    calls: list[ToolCall], level: PermissionLevel, workspace: Workspace
) -> tuple[Refusal, ...]:
    return tuple(
        Refusal(call.name, attempted(call), needs(call, call.output, level, workspace))
        for call in calls
        if call.output is not None and is_refused(call.output, level)
    )


def sandbox_modes(rollout: list[JSONObject]) -> list[str]:
    """The sandbox each turn of the rollout ran with (``turn_context.sandbox_policy.type``)."""
    modes: list[str] = []
    for line in rollout:
        payload = line.get("payload")
        if line.get("type") != "turn_context" or not isinstance(payload, dict):
            continue
        policy = payload.get("sandbox_policy")
        mode = policy.get("type") if isinstance(policy, dict) else None
        if isinstance(mode, str):
            modes.append(mode)
    return modes


def requirements_fallback(events: list[JSON]) -> str | None:
    """codex's non-fatal ``error`` item saying a managed configuration overrode the
    sandbox, cut to its details."""
    for event in events:
        item = event.get("item") if isinstance(event, dict) else None
        if not isinstance(item, dict) or item.get("type") != "error":
            continue
        message = item.get("message")
        if (
            isinstance(message, str)
            and _REQUIREMENTS.search(message)
            and _ABOUT_SANDBOX.search(message)
        ):
            _, found, details = message.partition("Details: ")
            return preview(details if found else message, 240)
    return None


def _stream_start_failure(events: list[JSON]) -> str | None:
    """The same bubblewrap error, from a failed ``command_execution`` item of the stream."""
    for event in events:
        item = event.get("item") if isinstance(event, dict) else None
        if not isinstance(item, dict) or item.get("type") != "command_execution":
            continue
        output, code = item.get("aggregated_output"), item.get("exit_code")
        if isinstance(output, str) and isinstance(code, int) and code != 0:
            first = output.strip().split("\n", 1)[0]
            if first.startswith("bwrap: "):
                return first
    return None


def _start_problem(calls: list[ToolCall], events: list[JSON], level: PermissionLevel) -> str | None:
    if level == "full":
        return None
    failures = (sandbox_start_failure(call.output) for call in calls if call.output is not None)
    reason = next((found for found in failures if found), None) or _stream_start_failure(events)
    if reason is None:
        return None
    return (
        f"could not start its Linux sandbox on this machine ({preview(_first_clause(reason))}): "
        f"permissions '{level}' cannot be enforced here; permissions 'full' runs codex "
        "without its sandbox"
    )


def _first_clause(reason: str) -> str:
    """``bwrap: No permissions to create a new namespace`` without bubblewrap's advice."""
    return reason.split(", ", 1)[0]


def _level_problem(
    events: list[JSON], rollout: list[JSONObject] | None, level: PermissionLevel
) -> str | None:
    expected = SANDBOX_MODES[level]
    reason = requirements_fallback(events)
    other = [mode for mode in sandbox_modes(rollout or []) if mode != expected]
    if not other and reason is None:
        return None
    ran = f"sandbox '{other[0]}'" if other else "another sandbox"
    problem = f"ran with {ran} instead of '{expected}', which permissions '{level}' asks for"
    return f"{problem}: {reason}" if reason else problem


def audit(
    events: list[JSON],
    rollout: list[JSONObject] | None,
    level: PermissionLevel,
    workspace: Workspace,
) -> SandboxAudit:
    """The refusals of a finished call and, when it did not run at ``level``, why."""
    calls = tool_calls(rollout or [])
    problem = _level_problem(events, rollout, level) or _start_problem(calls, events, level)
    return SandboxAudit(refusals_of(calls, level, workspace), problem)


def audit_session(
    events: list[JSON],
    thread_id: str | None,
    level: PermissionLevel,
    cwd: Path,
    env: Mapping[str, str],
) -> SandboxAudit:
    """``audit`` over the rollout of ``thread_id``; at a sandboxed level a missing rollout
    is a problem too, since what the sandbox refused could not be checked."""
    if thread_id is None:
        return SandboxAudit()
    home = codex_home(env)
    path = find_rollout(home, thread_id)
    rollout = read_rollout(path) if path is not None else None
    found = audit(events, rollout, level, Workspace.of(cwd, env))
    if rollout is None and level != "full" and found.problem is None:
        missing = (
            f"wrote no readable session rollout for thread {thread_id} under "
            f"{home / 'sessions'}, so the tool uses its sandbox refused cannot be checked"
        )
        return SandboxAudit(found.refusals, missing)
    return found
