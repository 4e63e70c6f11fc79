"""Permission levels as Claude Code flags, and Claude Code's refusals as ``Refusal``s.

Measured with claude 2.1.197 headless (``--print``), where a tool use that would need a
prompt is refused and listed in the ``result`` line's ``permission_denials``:

- ``read-only``: ``--permission-mode default`` (wins over a settings ``defaultMode``) and
  ``--settings`` ask rules for the file-writing tools. An ask rule of the ``--settings``
  source beats every allow rule of every settings file and a PreToolUse hook's "allow",
  and keeps the tool visible, so an attempt is refused and reported, never silently
  dropped (a deny rule would hide the tool). Bash keeps claude's own read-only check
  (``ls``, ``grep``, ``git log``… run; anything else is refused) unless a settings file
  claude reads could let Bash write (allow rules, hooks, plugins, its sandbox) or the
  call names an agent definition: then Bash gets an ask rule too, and every Bash use,
  read-only or not, is refused.
- ``edit``: ``--permission-mode acceptEdits --allowedTools Bash``. Edit/Write/NotebookEdit
  are confined to the working directory (and a settings file's ``additionalDirectories``);
  Bash runs any command with the user's rights from the working directory, and claude
  does not confine what an allowed command writes.
- ``full``: ``--permission-mode bypassPermissions``, which claude refuses for root unless
  ``IS_SANDBOX=1`` (or its own bubblewrap sandbox) is set: then the call fails first, in
  one line, instead of letting claude print its own.

A settings file's deny and ask rules still refuse at every level; those refusals are
reported like any other (a deny rule's with no level that would allow it).
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from collections.abc import Mapping
from pathlib import Path

from smolwf.jsontext import compact
from smolwf.jsontypes import JSON, JSONObject
from smolwf.permissions import PermissionLevel, Refusal, preview

MODES: dict[PermissionLevel, str] = {
    "read-only": "default",
    "edit": "acceptEdits",
    "full": "bypassPermissions",
}
"""The ``--permission-mode`` of each level, which ``system/init.permissionMode`` echoes."""
SHELL_TOOL = "Bash"
FILE_TOOLS = ("Edit", "Write", "NotebookEdit")
"""Claude's tools that only write files; ``edit`` confines them to the working directory."""
_PATH_KEYS = ("file_path", "notebook_path", "path")
_ATTEMPT_KEYS = ("command", *_PATH_KEYS, "url", "query", "pattern")
_DENY_RULE = re.compile(r"^Permission to use \S+(?: with .*)? has been denied\.$", re.DOTALL)
"""The tool result of a settings deny rule (``dontAsk`` mode's own text goes on after
"denied"): no level lifts it."""
ROOT_REFUSAL_TEXT = "cannot be used with root/sudo privileges"
"""What claude itself prints (exit 1) when it refuses bypassPermissions for root."""
_GRANTING_HOOKS = ("PreToolUse", "PermissionRequest")
_MANAGED_DIR = Path("/etc/claude-code")


def permission_flags(level: PermissionLevel, *, strict_shell: bool = False) -> list[str]:
    """The flags that make claude run one call at ``level`` (see the module docstring)."""
    flags = ["--permission-mode", MODES[level]]
    if level == "edit":
        flags += ["--allowedTools", SHELL_TOOL]
    elif level == "read-only":
        asked: list[JSON] = [SHELL_TOOL, *FILE_TOOLS] if strict_shell else list(FILE_TOOLS)
        flags += ["--settings", compact({"permissions": {"ask": asked}})]
    return flags


def settings_files(cwd: Path, env: Mapping[str, str]) -> list[Path]:
    """Every settings file claude 2.1.197 reads for a run in ``cwd``: the user's
    (``$CLAUDE_CONFIG_DIR``, else ``~/.claude``, with its server-managed cache), the
    project's and the local one in ``cwd``, and the managed (policy) ones."""
    home = env.get("HOME") or str(Path.home())
    config = Path(env.get("CLAUDE_CONFIG_DIR") or Path(home) / ".claude")
    files = [config / name for name in ("settings.json", "cowork_settings.json")]
    files.append(config / "remote-settings.json")
    files += [cwd / ".claude" / "settings.json", cwd / ".claude" / "settings.local.json"]
    files.append(_MANAGED_DIR / "managed-settings.json")
    drop_ins = _MANAGED_DIR / "managed-settings.d"
    if drop_ins.is_dir():
        files += sorted(drop_ins.glob("*.json"))
    return files


def shell_may_write(cwd: Path, env: Mapping[str, str], agent_type: str | None) -> str | None:
    """Why Bash could write at ``read-only`` despite ``--permission-mode default``, or
    ``None`` when nothing claude loads can grant it. Unreadable files count as granting."""
    if agent_type:
        return f"the agent definition {agent_type!r} may carry hooks"
    for path in settings_files(cwd, env):
        reason = _grant_in(path)
        if reason is not None:
            return f"{path} {reason}"
    return None


def _grant_in(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError:
        return "cannot be read"
    try:
        settings = json.loads(text) if text.strip() else {}
    except ValueError:
        return "is not valid JSON"
    return _granting_keys(settings) if isinstance(settings, dict) else "is not an object"


def _granting_keys(settings: JSONObject) -> str | None:
    permissions = settings.get("permissions")
    allow = permissions.get("allow") if isinstance(permissions, dict) else None
    for rule in allow if isinstance(allow, list) else []:
        if isinstance(rule, str) and (rule == SHELL_TOOL or rule.startswith(SHELL_TOOL + "(")):
            return f"allows {rule}"
    hooks = settings.get("hooks")
    if isinstance(hooks, dict) and any(hooks.get(event) for event in _GRANTING_HOOKS):
        return "has hooks that may allow tool uses"
    plugins = settings.get("enabledPlugins")
    if isinstance(plugins, dict) and any(plugins.values()):
        return "enables plugins, which may bring hooks"
    sandbox = settings.get("sandbox")
    if isinstance(sandbox, dict) and sandbox.get("enabled") is True:
        return "enables claude's sandbox, which auto-allows Bash"
    return None


def root_refusal(env: Mapping[str, str]) -> str | None:
    """Why claude would refuse ``full`` (bypassPermissions) here, or ``None``.

    Claude 2.1.197 exits 1 when its uid is 0 unless ``IS_SANDBOX`` is exactly ``1`` or
    ``CLAUDE_CODE_BUBBLEWRAP`` is set. smol-wf never sets either itself: saying a machine
    is a sandbox is the user's call.
    """
    getuid = getattr(os, "geteuid", None)
    if getuid is None or getuid() != 0:
        return None
    if env.get("IS_SANDBOX") == "1" or env.get("CLAUDE_CODE_BUBBLEWRAP"):
        return None
    return full_as_root(env.get("IS_SANDBOX"))


def full_as_root(sandbox: str | None = None) -> str:
    """The one line of a ``full`` call claude refuses for root (``sandbox``: the
    ``IS_SANDBOX`` value found, when it was set to something claude does not accept)."""
    found = "" if sandbox is None else f" (IS_SANDBOX is {sandbox!r}; claude accepts only 1)"
    return (
        "Claude Code provider cannot run permissions 'full' as root: claude refuses "
        "--permission-mode bypassPermissions for root unless IS_SANDBOX=1; run smol-wf as a "
        f"non-root user, or set IS_SANDBOX=1 if this machine is a sandbox{found} "
        "(permissions 'edit' works as root)"
    )


def refusals_of(events: list[JSON], level: PermissionLevel, cwd: Path) -> tuple[Refusal, ...]:
    """Every entry of the last ``result`` line's ``permission_denials``, as a ``Refusal``."""
    denials: JSON = None
    for event in reversed(events):
        if isinstance(event, dict) and event.get("type") == "result":
            denials = event.get("permission_denials")
            break
    if not isinstance(denials, list):
        return ()
    answers = _tool_results(events)
    found: list[Refusal] = []
    for denial in denials:
        if not isinstance(denial, dict) or not isinstance(tool := denial.get("tool_name"), str):
            continue
        raw = denial.get("tool_input")
        tool_input: JSONObject = raw if isinstance(raw, dict) else {}
        answer = answers.get(str(denial.get("tool_use_id")), "")
        needs = None if _DENY_RULE.match(answer) else _needs(tool, tool_input, level, cwd)
        found.append(Refusal(tool, _attempted(tool_input, cwd), needs))
    return tuple(found)


def _tool_results(events: list[JSON]) -> dict[str, str]:
    """The text claude answered each tool use with (its refusal message for a refused one)."""
    answers: dict[str, str] = {}
    for event in events:
        message = event.get("message") if isinstance(event, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        for block in content if isinstance(content, list) else []:
            if isinstance(block, dict) and block.get("type") == "tool_result":
                answers[str(block.get("tool_use_id"))] = _text(block.get("content")).strip()
    return answers


def _text(content: JSON) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = (item.get("text") for item in content if isinstance(item, dict))
        return "\n".join(part for part in parts if isinstance(part, str))
    return ""


def _needs(
    tool: str, tool_input: JSONObject, level: PermissionLevel, cwd: Path
) -> PermissionLevel | None:
    """The level whose flags allow this use: ``edit`` allows Bash and the file tools
    inside the working directory; everything else takes ``full``."""
    if level == "full":
        return None
    if level == "edit":
        return "full"
    if tool == SHELL_TOOL:
        return "edit"
    if tool in FILE_TOOLS:
        path = _path(tool_input)
        return "edit" if path is None or _within(path, cwd) is not None else "full"
    return "full"


def _path(tool_input: JSONObject) -> str | None:
    for key in _PATH_KEYS:
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _within(path: str, cwd: Path) -> str | None:
    """``path`` (absolute, or relative to ``cwd``) relative to ``cwd`` as given or
    resolved, or ``None`` when it is outside."""
    for root in dict.fromkeys((posixpath.normpath(str(cwd)), str(cwd.resolve()))):
        full = posixpath.normpath(posixpath.join(root, path))
        if full == root or full.startswith(root.rstrip("/") + "/"):
            return posixpath.relpath(full, root)
    return None


def _attempted(tool_input: JSONObject, cwd: Path) -> str:
    """The command, path, URL or query the tool was given (a path relative to the
    working directory when inside it), else its input as compact JSON."""
    for key in _ATTEMPT_KEYS:
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            if key in _PATH_KEYS:
                value = _within(value, cwd) or value
            return preview(value)
    return preview(compact(tool_input)) if tool_input else ""
