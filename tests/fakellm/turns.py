"""What a model request asks for, read the same way from all three wire protocols.

The script only needs the prompt, whether a tool result just came back, the offered tools and
a requested JSON schema; each protocol hides those in different places.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

Api: TypeAlias = Literal["anthropic", "chat", "responses"]
JSONDict: TypeAlias = dict[str, Any]


@dataclass(frozen=True)
class Tool:
    name: str
    parameters: JSONDict
    freeform: bool = False
    """A Responses ``custom`` tool (codex's ``apply_patch``): its input is plain text."""


@dataclass(frozen=True)
class Turn:
    """One model request, protocol-neutral."""

    api: Api
    model: str
    stream: bool
    prompt: str
    """Text of the last user message that has text of its own (reminders stripped)."""
    tool_result_for: str | None
    """Name of the tool whose result is the last turn, or None when the last turn is not one."""
    tools: list[Tool] = field(default_factory=list)
    schema: JSONDict | None = None
    input_tokens: int = 0
    cwd: str | None = None
    """The working directory the CLI told the model about, when it did."""


_CWD_PATTERNS = (
    re.compile(r"<cwd>([^<\n]+)</cwd>"),
    re.compile(
        r"(?:Primary working directory|Current working directory|Working directory):\s*(/[^\n]*)"
    ),
)


def read_turn(api: Api, body: JSONDict) -> Turn:
    reader = {"anthropic": _anthropic, "chat": _chat, "responses": _responses}[api]
    prompt, tool_result_for, tools, schema = reader(body)
    return Turn(
        api=api,
        model=str(body.get("model") or "fake-model"),
        stream=bool(body.get("stream", False)),
        prompt=prompt,
        tool_result_for=tool_result_for,
        tools=tools,
        schema=schema,
        input_tokens=count_tokens(body),
        cwd=find_cwd(body),
    )


def find_cwd(body: object) -> str | None:
    """The first working directory announced anywhere in the request (system prompt,
    environment context), read with each CLI's wording."""
    for text in _strings(body):
        for pattern in _CWD_PATTERNS:
            found = pattern.search(text)
            if found is not None:
                return found.group(1).strip()
    return None


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    return []


def count_tokens(body: JSONDict) -> int:
    """ceil(characters of every string in the request body / 4): deterministic, cheap."""
    return math.ceil(_text_chars(body) / 4)


def _text_chars(value: object) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list):
        return sum(_text_chars(item) for item in value)
    if isinstance(value, dict):
        return sum(_text_chars(item) for item in value.values())
    return 0


def _texts(content: object, part_types: tuple[str, ...]) -> list[str]:
    """The text pieces of a message content: a string or a list of typed parts."""
    if isinstance(content, str):
        return [content]
    if not isinstance(content, list):
        return []
    return [
        part["text"]
        for part in content
        if isinstance(part, dict)
        and part.get("type") in part_types
        and isinstance(part.get("text"), str)
    ]


_Reading: TypeAlias = tuple[str, str | None, list[Tool], JSONDict | None]


def _anthropic(body: JSONDict) -> _Reading:
    messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
    users = [m for m in messages if m.get("role") == "user"]
    prompt = ""
    for message in reversed(users):
        texts = [
            text
            for text in _texts(message.get("content"), ("text",))
            if not text.lstrip().startswith("<system-reminder>")
        ]
        if texts:
            prompt = "\n".join(texts)
            break
    tool_result_for = None
    last = users[-1] if users else {}
    content = last.get("content")
    results = [
        part
        for part in (content if isinstance(content, list) else [])
        if isinstance(part, dict) and part.get("type") == "tool_result"
    ]
    if results:
        called = _anthropic_tool_names(messages)
        tool_result_for = called.get(str(results[-1].get("tool_use_id")), "")
    tools = [
        Tool(str(t["name"]), t.get("input_schema") or {})
        for t in body.get("tools", [])
        if isinstance(t, dict) and "name" in t
    ]
    schema = _format_schema(body.get("output_format")) or _format_schema(
        (body.get("output_config") or {}).get("format")
    )
    return prompt, tool_result_for, tools, schema


def _anthropic_tool_names(messages: list[JSONDict]) -> dict[str, str]:
    names: dict[str, str] = {}
    for message in messages:
        content = message.get("content")
        for part in content if isinstance(content, list) else []:
            if isinstance(part, dict) and part.get("type") == "tool_use":
                names[str(part.get("id"))] = str(part.get("name"))
    return names


def _chat(body: JSONDict) -> _Reading:
    messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
    prompt = ""
    for message in reversed(messages):
        if message.get("role") == "user":
            prompt = "\n".join(_texts(message.get("content"), ("text",)))
            break
    tool_result_for = None
    turns = [m for m in messages if m.get("role") != "system"]
    if turns and turns[-1].get("role") == "tool":
        called: dict[str, str] = {}
        for message in messages:
            for call in message.get("tool_calls") or []:
                called[str(call.get("id"))] = str((call.get("function") or {}).get("name"))
        tool_result_for = called.get(str(turns[-1].get("tool_call_id")), "")
    tools = [
        Tool(str(t["function"]["name"]), t["function"].get("parameters") or {})
        for t in body.get("tools", [])
        if isinstance(t, dict) and isinstance(t.get("function"), dict)
    ]
    response_format = body.get("response_format") or {}
    schema: JSONDict | None = None
    if response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema") or {}
    elif response_format.get("type") == "json_object":
        schema = {"type": "object"}
    return prompt, tool_result_for, tools, schema


def _responses(body: JSONDict) -> _Reading:
    items = body.get("input", [])
    if isinstance(items, str):
        items = [{"type": "message", "role": "user", "content": items}]
    items = [i for i in items if isinstance(i, dict)]
    prompt = ""
    for item in reversed(items):
        if item.get("role") != "user":
            continue
        texts = [
            text
            for text in _texts(item.get("content"), ("input_text", "text"))
            if not text.startswith(("<", "# AGENTS.md"))
        ]
        if texts:
            prompt = "\n".join(texts)
            break
    tool_result_for = None
    if items and items[-1].get("type") in ("function_call_output", "custom_tool_call_output"):
        called = {
            str(i.get("call_id")): str(i.get("name"))
            for i in items
            if i.get("type") in ("function_call", "custom_tool_call")
        }
        tool_result_for = called.get(str(items[-1].get("call_id")), "")
    tools = [
        Tool(str(t["name"]), t.get("parameters") or {}, freeform=t.get("type") == "custom")
        for t in body.get("tools", [])
        if isinstance(t, dict) and t.get("type") in ("function", "custom") and "name" in t
    ]
    schema = _format_schema((body.get("text") or {}).get("format"))
    return prompt, tool_result_for, tools, schema


def _format_schema(fmt: object) -> JSONDict | None:
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        schema = fmt.get("schema")
        return schema if isinstance(schema, dict) else {}
    return None
