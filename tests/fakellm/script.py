"""The deterministic answer to a turn: tests know the reply from the prompt alone.

Markers in the prompt: ``HTTP401``/``HTTP500``/``HTTP429``/``HTTP400`` (that error), ``HANG`` (a
model that never finishes), ``SLOW`` (2 s between stream chunks), ``TOOLCALL`` (one shell-tool
round), ``SHELLWRITE:<path>`` (one shell-tool round that writes ``FAKELLM_EDIT_OK`` to
``<path>`` with a redirection), ``TOOLWRITE:<path>`` (one round of the CLI's file-writing
tool, writing the same; a relative path is joined to the working directory the CLI
announced, for tools that need absolute paths; a CLI whose only file-writing tool is a
freeform patch tool, codex's ``apply_patch``, gets a patch adding the file at ``<path>``),
``FORCEWRITE:<tool>:<path>`` (one round of calling ``<tool>`` to write the same even when
the CLI does not offer it, as a model that ignores the tool list would: a shell tool gets
``{command}``, any other ``{path, content}``; an offered tool gets arguments shaped by its
schema). A requested schema or a structured-output tool gets an instance of its schema;
anything else ``ECHO: <first 40 chars of the prompt>``.
"""

from __future__ import annotations

import json
import math
import posixpath
import re
from dataclasses import dataclass
from typing import Any, TypeAlias

from tests.fakellm.turns import JSONDict, Tool, Turn

TOOL_MARKER = "FAKELLM_TOOL_OK"
TOOL_COMMAND = f"echo {TOOL_MARKER}"
TOOL_RESULT_TEXT = f"TOOL RESULT: {TOOL_MARKER}"
EDIT_MARKER = "FAKELLM_EDIT_OK"
WRITE_TOOLS = ("Write", "write")
PATCH_TOOLS = ("apply_patch",)
PATH_KEYS = ("file_path", "filePath", "path")
_WRITE_MARKERS = re.compile(r"\b(SHELLWRITE|TOOLWRITE):(\S+)")
_FORCED_WRITE = re.compile(r"\bFORCEWRITE:([A-Za-z_][\w-]*):(\S+)")
ERROR_STATUSES = (401, 500, 429, 400)
SHELL_TOOLS = ("Bash", "exec_command", "bash", "shell")
SLOW_CHUNK_DELAY_S = 2.0


@dataclass(frozen=True)
class TextReply:
    text: str


@dataclass(frozen=True)
class ToolReply:
    name: str
    input: JSONDict
    text: str | None = None
    """The input of a freeform (Responses ``custom``) tool call, instead of ``input``."""

    @property
    def arguments(self) -> str:
        return json.dumps(self.input) if self.text is None else self.text


@dataclass(frozen=True)
class ErrorReply:
    status: int


@dataclass(frozen=True)
class HangReply:
    pass


Reply: TypeAlias = TextReply | ToolReply | ErrorReply | HangReply


def echo(prompt: str) -> str:
    return "ECHO: " + prompt.strip().replace("\r", " ").replace("\n", " ")[:40]


def choose_reply(turn: Turn) -> Reply:
    prompt = turn.prompt
    for status in ERROR_STATUSES:
        if f"HTTP{status}" in prompt:
            return ErrorReply(status)
    if "HANG" in prompt:
        return HangReply()
    shell = _shell_tool(turn.tools)
    if "TOOLCALL" in prompt and turn.tool_result_for is None and shell is not None:
        return ToolReply(shell.name, shell_arguments(shell.parameters))
    forced = _FORCED_WRITE.search(prompt)
    if forced is not None and turn.tool_result_for is None:
        return _forced_write_reply(forced.group(1), forced.group(2), turn)
    write = _WRITE_MARKERS.search(prompt)
    if write is not None and turn.tool_result_for is None:
        reply = _write_reply(write.group(1), write.group(2), turn)
        if reply is not None:
            return reply
    structured = _structured_tool(turn.tools)
    if structured is not None and turn.tool_result_for != structured.name:
        return ToolReply(structured.name, instance(structured.parameters, echo(prompt)))
    if turn.schema is not None:
        return TextReply(json.dumps(instance(turn.schema, echo(prompt))))
    if turn.tool_result_for is not None:
        return TextReply(TOOL_RESULT_TEXT)
    return TextReply(echo(prompt))


def is_slow(turn: Turn) -> bool:
    return "SLOW" in turn.prompt


def output_tokens(reply: Reply) -> int:
    if isinstance(reply, TextReply):
        return math.ceil(len(reply.text) / 4)
    if isinstance(reply, ToolReply):
        return math.ceil(len(reply.arguments) / 4)
    return 0


def _shell_tool(tools: list[Tool]) -> Tool | None:
    by_name = {tool.name: tool for tool in tools}
    return next((by_name[name] for name in SHELL_TOOLS if name in by_name), None)


def _write_reply(marker: str, path: str, turn: Turn) -> ToolReply | None:
    """The tool call a ``SHELLWRITE:``/``TOOLWRITE:`` prompt asks for, if the CLI offers it."""
    if marker == "SHELLWRITE":
        shell = _shell_tool(turn.tools)
        command = f"echo {EDIT_MARKER} > {path}"
        return (
            None
            if shell is None
            else ToolReply(shell.name, shell_arguments(shell.parameters, command))
        )
    by_name = {tool.name: tool for tool in turn.tools}
    tool = next((by_name[name] for name in WRITE_TOOLS if name in by_name), None)
    if tool is None:
        patch = next((by_name[name] for name in PATCH_TOOLS if name in by_name), None)
        return None if patch is None else ToolReply(patch.name, {}, text=add_file_patch(path))
    if not posixpath.isabs(path) and turn.cwd is not None:
        path = posixpath.join(turn.cwd, path)
    return ToolReply(tool.name, write_arguments(tool.parameters, path))


def _forced_write_reply(name: str, path: str, turn: Turn) -> ToolReply:
    """A call of tool ``name`` writing ``path``, whether the CLI offers that tool or not."""
    offered = {tool.name: tool for tool in turn.tools}.get(name)
    command = f"echo {EDIT_MARKER} > {path}"
    if name in SHELL_TOOLS:
        if offered is not None:
            return ToolReply(name, shell_arguments(offered.parameters, command))
        return ToolReply(name, {"command": command})
    if not posixpath.isabs(path) and turn.cwd is not None:
        path = posixpath.join(turn.cwd, path)
    if offered is not None:
        return ToolReply(name, write_arguments(offered.parameters, path))
    return ToolReply(name, {"path": path, "content": EDIT_MARKER + "\n"})


def write_arguments(parameters: JSONDict, path: str) -> JSONDict:
    """Arguments for a file-writing tool, shaped by its schema: the path and the content."""
    properties: dict[str, Any] = parameters.get("properties") or {}
    arguments: JSONDict = {}
    for name in properties:
        if name in PATH_KEYS:
            arguments[name] = path
        elif name == "content":
            arguments[name] = EDIT_MARKER + "\n"
    return arguments


def add_file_patch(path: str) -> str:
    """An ``apply_patch`` patch that creates ``path`` holding the edit marker."""
    return f"*** Begin Patch\n*** Add File: {path}\n+{EDIT_MARKER}\n*** End Patch\n"


def _structured_tool(tools: list[Tool]) -> Tool | None:
    return next(
        (t for t in tools if t.name == "StructuredOutput" or t.name.endswith("structured_output")),
        None,
    )


def shell_arguments(parameters: JSONDict, command: str = TOOL_COMMAND) -> JSONDict:
    """Arguments for a shell tool that runs ``command``, shaped by its schema."""
    properties: dict[str, Any] = parameters.get("properties") or {}
    arguments: JSONDict = {}
    for name, schema in properties.items():
        if name in ("command", "cmd", "script"):
            is_array = isinstance(schema, dict) and schema.get("type") == "array"
            arguments[name] = ["bash", "-lc", command] if is_array else command
        elif name == "description":
            arguments[name] = "fakellm tool test"
    for name in parameters.get("required") or []:
        if name not in arguments and name in properties:
            arguments[name] = instance(properties[name], TOOL_MARKER)
    return arguments


def instance(schema: object, text: str) -> Any:
    """A value valid for common JSON schemas; strings are ``text``."""
    if not isinstance(schema, dict):
        return text
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for combinator in ("anyOf", "oneOf", "allOf"):
        if schema.get(combinator):
            return instance(schema[combinator][0], text)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and "properties" in schema):
        properties = schema.get("properties") or {}
        return {name: instance(sub, text) for name, sub in properties.items()}
    if kind == "array":
        count = max(1, int(schema.get("minItems", 1)))
        return [instance(schema.get("items") or {}, text) for _ in range(count)]
    if kind == "integer":
        return int(schema.get("minimum", 42))
    if kind == "number":
        return schema.get("minimum", 42.5)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return text
