"""opencode's permission rules for a smol-wf level, and the refusals read back from its output.

opencode (1.18) decides every tool use with rules ``{permission, pattern, action}``: the
LAST rule whose permission and pattern both match wins, and a tool whose last matching
rule is a ``*`` deny is not offered to the model at all. Its own defaults allow nearly
everything (``opencode run`` writes files out of the box), and a rule that resolves to
``ask`` is auto-rejected headless (and ends the run) or hangs a server nobody answers.
So every level is written out in full, ``allow`` or ``deny``, never ``ask``:

- ``opencode run``: ``OPENCODE_PERMISSION`` (read after every config file, so it is the
  last word on the global ``permission``) plus ``OPENCODE_CONFIG_CONTENT`` pinning the
  same rules on the agent that runs and the built-in subagents (an agent's own
  ``permission`` is applied after the global one). opencode deep-merges permission
  objects and a key the user's config already has keeps the user's place in the order;
  so every key is written with a trailing ``*`` (``bash*`` matches ``bash``), a key no
  config has, which lands after the user's keys and wins.
- the server used for schemas: the same environment, and the same rules on the session
  (``POST /session``), which opencode applies after agent and config rules.

Refusals: a tool part whose error is opencode's "prevents you from using" (a deny rule)
or "rejected permission" (an ask turned down), and each auto-rejected request no tool
part shows; each needs the lowest level whose rules here allow it.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TypeAlias

from smolwf.errors import FailureKind, ProviderError
from smolwf.jsontext import compact
from smolwf.jsontypes import JSON, JSONObject
from smolwf.permissions import PERMISSION_LEVELS, PermissionLevel, Refusal, preview
from smolwf.providers.json_fields import as_object

Rule: TypeAlias = tuple[str, str, str]
"""``(permission, pattern, action)``; ``*`` and ``?`` are wildcards, as in opencode."""

PERMISSION_ENV = "OPENCODE_PERMISSION"
CONFIG_CONTENT_ENV = "OPENCODE_CONFIG_CONTENT"
FULL_FLAGS = ("--auto",)
"""``opencode run``'s own "approve what is not denied" mode, for ``full``."""
DEFAULT_AGENT = "build"
PINNED_SUBAGENTS = ("general", "explore")
"""Built-in subagents the ``task`` tool may start: they get the call's rules too."""
HEADLESS_DENIED = ("question", "plan_enter", "plan_exit")
"""Denied on every ``opencode run`` session (nobody can answer); the server's sessions
get the same."""

ANSWER_TOOLS = ("StructuredOutput",)
"""How opencode's server returns a structured answer: a tool, allowed at every level."""
READ_TOOLS = (
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
"""Tools ``read-only`` allows besides ``read``: they search, fetch or keep the session's
own to-do list. Subagents started by ``task`` inherit the call's rules."""
READ_ONLY_COMMANDS = (
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
"""Shell commands ``read-only`` runs (opencode checks each command of a pipeline or list,
and of a ``$(…)``, on its own); a trailing `` *`` also matches the bare command."""
WRITING_FORMS = (
    "*>*",
    "find *-exec*",
    "find *-ok*",
    "find *-delete*",
    "find *-fprint*",
    "find *-fls*",
    "rg *--pre*",
    "git *--output*",
)
"""Forms of those commands that write or run other programs: any redirection (opencode's
pattern for a command includes it), and options that write files or execute."""
SECRET_FILES = (("*.env", "deny"), ("*.env.*", "deny"), ("*.env.example", "allow"))
"""opencode asks before reading ``.env`` files; below ``full`` they stay unread."""

_DENIED = "prevents you from using this specific tool call"
_REJECTED = "rejected permission to use this specific tool call"
_RULES_IN_ERROR = re.compile(r"relevant rules (\[.*\])\s*$", re.DOTALL)
_ASKED = re.compile(r"permission requested: (\S+) \((.*)\); auto-rejecting")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_PATCH_FILE = re.compile(r"^\*\*\* (?:Add|Update|Delete) File: .*$", re.MULTILINE)
_EDIT_TOOLS = frozenset({"edit", "write", "apply_patch", "multiedit"})
"""Tools opencode checks under the ``edit`` permission."""


def opencode_dirs(env: Mapping[str, str]) -> tuple[str, ...]:
    """Directories outside the project opencode itself pre-approves (its scratch
    directory, which its system prompt offers the model, and where it keeps long tool
    output); computed as opencode does, from the environment it runs with."""
    tmp = (env.get("TMPDIR") or "/tmp").rstrip("/") or "/"
    home = env.get("HOME") or str(Path.home())
    data = env.get("XDG_DATA_HOME") or posixpath.join(home, ".local", "share")
    return (posixpath.join(tmp, "opencode"), posixpath.join(data, "opencode", "tool-output"))


def level_rules(level: PermissionLevel, dirs: Iterable[str] = ()) -> list[Rule]:
    """Every rule of ``level``, in order (the last match wins)."""
    if level == "full":
        return [("*", "*", "allow")]
    outside = [("external_directory", "*", "deny")]
    outside += [("external_directory", posixpath.join(d, "*"), "allow") for d in dirs]
    reads = [("read", "*", "allow"), *(("read", p, a) for p, a in SECRET_FILES)]
    if level == "edit":
        edits = [("edit", "*", "allow"), ("bash", "*", "allow")]
        return [("*", "*", "allow"), *reads, *edits, *outside, ("doom_loop", "*", "deny")]
    bash = [("bash", "*", "deny")]
    bash += [("bash", command, "allow") for command in READ_ONLY_COMMANDS]
    bash += [("bash", form, "deny") for form in WRITING_FORMS]
    tools = [(tool, "*", "allow") for tool in (*ANSWER_TOOLS, *READ_TOOLS)]
    return [
        ("*", "*", "deny"),
        *tools,
        *reads,
        ("edit", "*", "deny"),
        *bash,
        *outside,
        ("doom_loop", "*", "deny"),
    ]


def permission_config(level: PermissionLevel, dirs: Iterable[str] = ()) -> JSONObject:
    """``level`` as opencode's ``permission`` config, every key written with a trailing
    ``*`` so that it follows, and overrides, whatever the user's config holds."""
    config: JSONObject = {}
    for permission, pattern, action in level_rules(level, dirs):
        key = permission + "*"
        patterns = config.setdefault(key, {})
        assert isinstance(patterns, dict)
        patterns[pattern] = action
    return {key: _compact(value) for key, value in config.items()}


def _compact(patterns: JSON) -> JSON:
    """``{"*": action}`` as the plain ``action`` opencode also accepts."""
    if isinstance(patterns, dict) and list(patterns) == ["*"]:
        return patterns["*"]
    return patterns


def session_rules(level: PermissionLevel, dirs: Iterable[str] = ()) -> list[JSON]:
    """``level`` as the rules of a server session (applied after every agent and config
    rule), with what ``opencode run`` denies headless. Without ``read-only``'s catch-all
    deny: opencode hands a session's deny rules, not its allow rules, to the subagents
    it starts, so it would leave them no tool at all; the environment's rules deny what
    is not listed."""
    rules = [rule for rule in level_rules(level, dirs) if rule != ("*", "*", "deny")]
    rules += [(permission, "*", "deny") for permission in HEADLESS_DENIED]
    return [{"permission": p, "pattern": pattern, "action": a} for p, pattern, a in rules]


def pinned_agents(agent_type: str | None) -> tuple[str, ...]:
    """The agents whose own ``permission`` gets the call's rules: the one that runs (the
    ``agentType``, else opencode's default ``build``) and the built-in subagents."""
    first = agent_type or DEFAULT_AGENT
    return (first, *(name for name in PINNED_SUBAGENTS if name != first))


def permission_env(
    level: PermissionLevel, agent_type: str | None, env: Mapping[str, str]
) -> dict[str, str]:
    """The environment that puts ``level`` over the user's opencode config; ``env`` is
    the one opencode would otherwise run with (its ``OPENCODE_CONFIG_CONTENT`` is kept,
    with the rules added)."""
    rules = permission_config(level, opencode_dirs(env))
    content = _config_content(env.get(CONFIG_CONTENT_ENV))
    agents = content.setdefault("agent", {})
    if not isinstance(agents, dict):
        raise _content_error("its 'agent' is not an object")
    for name in pinned_agents(agent_type):
        agent = agents.setdefault(name, {})
        if not isinstance(agent, dict):
            raise _content_error(f"its agent {name!r} is not an object")
        agent["permission"] = rules
    return {
        PERMISSION_ENV: compact(rules),
        CONFIG_CONTENT_ENV: compact(content),
    }


def _config_content(text: str | None) -> JSONObject:
    if not text or not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise _content_error("it is not a plain JSON object (no comments or trailing commas)")
    return value


def _content_error(why: str) -> ProviderError:
    return ProviderError(
        f"OpenCode provider cannot add its permission rules to {CONFIG_CONTENT_ENV}: {why}",
        kind=FailureKind.CONFIG,
    )


def matches(value: str, pattern: str) -> bool:
    """opencode's wildcard match: ``*`` any text, ``?`` one character, and a trailing
    `` *`` also matches nothing (``ls *`` matches ``ls``)."""
    value, pattern = value.replace("\\", "/"), pattern.replace("\\", "/")
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    if regex.endswith(r"\ .*"):
        regex = regex[: -len(r"\ .*")] + "( .*)?"
    return re.fullmatch(regex, value, re.DOTALL) is not None


def allows(rules: Iterable[Rule], permission: str, pattern: str) -> bool:
    """Whether the last rule matching ``permission`` and ``pattern`` allows it."""
    found = [r for r in rules if matches(permission, r[0]) and matches(pattern, r[1])]
    return bool(found) and found[-1][2] == "allow"


def needs(
    level: PermissionLevel, permission: str, pattern: str, dirs: Iterable[str] = ()
) -> PermissionLevel | None:
    """The lowest level above ``level`` whose rules allow ``permission`` on ``pattern``."""
    dirs = tuple(dirs)
    above = PERMISSION_LEVELS[PERMISSION_LEVELS.index(level) + 1 :]
    return next((up for up in above if allows(level_rules(up, dirs), permission, pattern)), None)


def is_refusal_error(error: JSON) -> bool:
    """Whether a tool's error is opencode refusing it (a deny rule, or a rejected ask)."""
    return isinstance(error, str) and (_DENIED in error or _REJECTED in error)


def is_rejected_ask(error: JSON) -> bool:
    return isinstance(error, str) and _REJECTED in error


def tool_refusal(
    part: JSONObject, level: PermissionLevel, dirs: Iterable[str] = ()
) -> Refusal | None:
    """The ``Refusal`` of a tool part (``tool_use`` line or server message part) that
    opencode refused, else ``None``."""
    state = part.get("state")
    if not isinstance(state, dict) or state.get("status") != "error":
        return None
    error = state.get("error")
    if not is_refusal_error(error):
        return None
    assert isinstance(error, str)
    tool = str(part.get("tool") or "tool")
    tried = attempt_text(tool, state.get("input"))
    permission = denied_permission(error) or tool_permission(tool)
    return Refusal(tool, preview(tried), needs(level, permission, tried, dirs))


def ask_refusal(
    permission: str, patterns: list[str], level: PermissionLevel, dirs: Iterable[str] = ()
) -> Refusal:
    """The ``Refusal`` of a permission request that was turned down."""
    first = patterns[0] if patterns else "*"
    return Refusal(permission, preview(", ".join(patterns)), needs(level, permission, first, dirs))


def without_ansi(text: str) -> str:
    """``text`` without terminal colour codes (opencode colours its stderr notices)."""
    return _ANSI.sub("", text)


def asked_in(stderr: str) -> list[tuple[str, list[str]]]:
    """``(permission, patterns)`` of each request ``opencode run`` auto-rejected, from
    the notices it prints on stderr."""
    found = (_ASKED.search(without_ansi(line)) for line in stderr.splitlines())
    return [(m.group(1), m.group(2).split(", ")) for m in found if m is not None]


def collect_refusals(
    parts: Iterable[JSONObject],
    asked: list[tuple[str, list[str]]],
    level: PermissionLevel,
    dirs: Iterable[str] = (),
) -> tuple[Refusal, ...]:
    """Every refusal of a call: its refused tool parts, then the turned-down requests
    that no tool part shows (a subagent's: its tool parts are not in the stream)."""
    dirs = tuple(dirs)
    found: list[Refusal] = []
    shown = 0
    for part in parts:
        refusal = tool_refusal(part, level, dirs)
        if refusal is not None:
            found.append(refusal)
            shown += is_rejected_ask(as_object(part.get("state")).get("error"))
    found += [ask_refusal(name, patterns, level, dirs) for name, patterns in asked[shown:]]
    return tuple(found)


def attempt_text(tool: str, tool_input: JSON) -> str:
    """What a tool tried, in a line: a command, a path, else its input as JSON."""
    if isinstance(tool_input, dict):
        for key in ("command", "filePath", "filepath", "path", "url", "pattern"):
            value = tool_input.get(key)
            if isinstance(value, str) and value:
                return value
        patch = tool_input.get("patchText")
        if isinstance(patch, str):
            return " ".join(_PATCH_FILE.findall(patch)) or patch
    if tool_input in (None, {}, ""):
        return ""
    return compact(tool_input)


def tool_permission(tool: str) -> str:
    """The permission opencode checks for ``tool`` (its own name, or ``edit``)."""
    return "edit" if tool in _EDIT_TOOLS else tool


def denied_permission(error: str) -> str | None:
    """The permission a deny-rule error names: opencode lists the rules of the refused
    permission; the most specific key (``bash*`` → ``bash``) is it."""
    found = _RULES_IN_ERROR.search(error)
    try:
        rules = json.loads(found.group(1)) if found else []
    except ValueError:
        return None
    names = {
        str(rule.get("permission")).rstrip("*")
        for rule in rules
        if isinstance(rule, dict) and isinstance(rule.get("permission"), str)
    }
    names.discard("")
    return max(sorted(names), key=len) if names else None
