"""The three providers' answer shapes: SSE frames, whole JSON responses and error bodies.

Everything here is pure: the server decides what to say, this module says it the way the
Anthropic Messages, OpenAI Chat Completions and OpenAI Responses APIs do.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeAlias

from tests.fakellm.script import Reply, TextReply, ToolReply
from tests.fakellm.turns import Api, JSONDict, Turn

NewId: TypeAlias = Callable[[str], str]
TEXT_PIECE = 12
ARGUMENTS_PIECE = 24


def pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def sse(data: JSONDict | str, event: str | None = None) -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


def request_id_header(api: Api) -> str:
    return "request-id" if api == "anthropic" else "x-request-id"


# --- errors ----------------------------------------------------------------------------------

_ANTHROPIC_ERRORS = {
    400: "invalid_request_error",
    401: "authentication_error",
    429: "rate_limit_error",
    500: "api_error",
}
_OPENAI_ERRORS: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    429: ("rate_limit_exceeded", "rate_limit_exceeded"),
    500: ("server_error", None),
}


def error_body(api: Api | None, status: int) -> JSONDict:
    message = f"fakellm: scripted HTTP {status}"
    if api == "anthropic":
        kind = _ANTHROPIC_ERRORS.get(status, "not_found_error")
        return {"type": "error", "error": {"type": kind, "message": message}}
    kind, code = _OPENAI_ERRORS.get(status, ("not_found_error", None))
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


# --- Anthropic Messages ----------------------------------------------------------------------


def _anthropic_usage(turn: Turn, output: int) -> JSONDict:
    return {
        "input_tokens": turn.input_tokens,
        "output_tokens": output,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }


def _anthropic_start(turn: Turn, message_id: str) -> bytes:
    message: JSONDict = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": turn.model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {**_anthropic_usage(turn, 1), "service_tier": "standard"},
    }
    return sse({"type": "message_start", "message": message}, "message_start")


def _anthropic_block(reply: Reply, new_id: NewId) -> tuple[JSONDict, JSONDict]:
    """(the block as started in a stream, the block as complete)."""
    if isinstance(reply, ToolReply):
        start = {"type": "tool_use", "id": new_id("toolu"), "name": reply.name, "input": {}}
        return start, {**start, "input": reply.input}
    assert isinstance(reply, TextReply)
    return {"type": "text", "text": ""}, {"type": "text", "text": reply.text}


def anthropic_stream(turn: Turn, reply: Reply, output: int, new_id: NewId) -> list[bytes]:
    start, _ = _anthropic_block(reply, new_id)
    frames = [
        _anthropic_start(turn, new_id("msg")),
        sse(
            {"type": "content_block_start", "index": 0, "content_block": start},
            "content_block_start",
        ),
        sse({"type": "ping"}, "ping"),
    ]
    if isinstance(reply, ToolReply):
        deltas = [
            {"type": "input_json_delta", "partial_json": piece}
            for piece in pieces(reply.arguments, ARGUMENTS_PIECE)
        ]
    else:
        assert isinstance(reply, TextReply)
        deltas = [{"type": "text_delta", "text": p} for p in pieces(reply.text, TEXT_PIECE)]
    frames += [
        sse({"type": "content_block_delta", "index": 0, "delta": d}, "content_block_delta")
        for d in deltas
    ]
    stop = "tool_use" if isinstance(reply, ToolReply) else "end_turn"
    frames += [
        sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
        sse(
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": _anthropic_usage(turn, output),
            },
            "message_delta",
        ),
        sse({"type": "message_stop"}, "message_stop"),
    ]
    return frames


def anthropic_json(turn: Turn, reply: Reply, output: int, new_id: NewId) -> JSONDict:
    _, block = _anthropic_block(reply, new_id)
    return {
        "id": new_id("msg"),
        "type": "message",
        "role": "assistant",
        "model": turn.model,
        "content": [block],
        "stop_reason": "tool_use" if isinstance(reply, ToolReply) else "end_turn",
        "stop_sequence": None,
        "usage": _anthropic_usage(turn, output),
    }


# --- OpenAI Chat Completions -----------------------------------------------------------------


def _chat_usage(turn: Turn, output: int) -> JSONDict:
    return {
        "prompt_tokens": turn.input_tokens,
        "completion_tokens": output,
        "total_tokens": turn.input_tokens + output,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }


def _chunker(turn: Turn, completion_id: str) -> Callable[..., bytes]:
    created = int(time.time())

    def chunk(delta: JSONDict | None = None, finish: str | None = None, **extra: Any) -> bytes:
        choices = (
            []
            if delta is None
            else [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]
        )
        return sse(
            {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": turn.model,
                "system_fingerprint": "fp_fakellm",
                "choices": choices,
                **extra,
            }
        )

    return chunk


def chat_hang(turn: Turn, new_id: NewId) -> list[bytes]:
    chunk = _chunker(turn, new_id("chatcmpl"))
    return [chunk({"role": "assistant", "content": ""})]


def chat_stream(
    turn: Turn, reply: Reply, output: int, new_id: NewId, include_usage: bool
) -> list[bytes]:
    chunk = _chunker(turn, new_id("chatcmpl"))
    frames = [chunk({"role": "assistant", "content": ""})]
    if isinstance(reply, ToolReply):
        frames.append(
            chunk(
                {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": new_id("call"),
                            "type": "function",
                            "function": {"name": reply.name, "arguments": ""},
                        }
                    ]
                }
            )
        )
        frames += [
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
            for piece in pieces(reply.arguments, ARGUMENTS_PIECE)
        ]
        finish = "tool_calls"
    else:
        assert isinstance(reply, TextReply)
        frames += [chunk({"content": piece}) for piece in pieces(reply.text, TEXT_PIECE)]
        finish = "stop"
    frames.append(chunk({}, finish))
    if include_usage:
        frames.append(chunk(None, usage=_chat_usage(turn, output)))
    frames.append(sse("[DONE]"))
    return frames


def chat_json(turn: Turn, reply: Reply, output: int, new_id: NewId) -> JSONDict:
    if isinstance(reply, ToolReply):
        call = {
            "id": new_id("call"),
            "type": "function",
            "function": {"name": reply.name, "arguments": reply.arguments},
        }
        message: JSONDict = {"role": "assistant", "content": None, "tool_calls": [call]}
        finish = "tool_calls"
    else:
        assert isinstance(reply, TextReply)
        message = {"role": "assistant", "content": reply.text}
        finish = "stop"
    return {
        "id": new_id("chatcmpl"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": turn.model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": _chat_usage(turn, output),
    }


# --- OpenAI Responses ------------------------------------------------------------------------


def _response(turn: Turn, response_id: str, status: str) -> JSONDict:
    return {
        "id": response_id,
        "object": "response",
        "created_at": int(time.time()),
        "model": turn.model,
        "status": status,
        "error": None,
        "incomplete_details": None,
        "output": [],
        "usage": None,
        "parallel_tool_calls": False,
        "tool_choice": "auto",
        "tools": [],
        "text": {"format": {"type": "text"}},
    }


def _responses_usage(turn: Turn, output: int) -> JSONDict:
    return {
        "input_tokens": turn.input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": turn.input_tokens + output,
    }


def _responses_item(reply: Reply, new_id: NewId) -> JSONDict:
    if isinstance(reply, ToolReply) and reply.text is not None:
        return {
            "id": new_id("ctc"),
            "type": "custom_tool_call",
            "status": "completed",
            "call_id": new_id("call"),
            "name": reply.name,
            "input": reply.text,
        }
    if isinstance(reply, ToolReply):
        return {
            "id": new_id("fc"),
            "type": "function_call",
            "status": "completed",
            "call_id": new_id("call"),
            "name": reply.name,
            "arguments": reply.arguments,
        }
    assert isinstance(reply, TextReply)
    part = {"type": "output_text", "text": reply.text, "annotations": [], "logprobs": []}
    return {
        "id": new_id("msg"),
        "type": "message",
        "status": "completed",
        "role": "assistant",
        "phase": "final_answer",
        "content": [part],
    }


def _item_events(item: JSONDict) -> list[tuple[str, JSONDict]]:
    """The events between ``output_item.added`` and ``output_item.done`` for one item."""
    ids = {"item_id": item["id"], "output_index": 0}
    if item["type"] == "function_call":
        arguments = item["arguments"]
        return [
            *[
                ("response.function_call_arguments.delta", {**ids, "delta": piece})
                for piece in pieces(arguments, ARGUMENTS_PIECE)
            ],
            ("response.function_call_arguments.done", {**ids, "arguments": arguments}),
        ]
    if item["type"] == "custom_tool_call":
        text = item["input"]
        return [
            *[
                ("response.custom_tool_call_input.delta", {**ids, "delta": piece})
                for piece in pieces(text, ARGUMENTS_PIECE)
            ],
            ("response.custom_tool_call_input.done", {**ids, "input": text}),
        ]
    part = item["content"][0]
    text = part["text"]
    ids = {**ids, "content_index": 0}
    return [
        ("response.content_part.added", {**ids, "part": {**part, "text": ""}}),
        *[
            ("response.output_text.delta", {**ids, "delta": piece, "logprobs": []})
            for piece in pieces(text, TEXT_PIECE)
        ],
        ("response.output_text.done", {**ids, "text": text, "logprobs": []}),
        ("response.content_part.done", {**ids, "part": part}),
    ]


def _added(item: JSONDict) -> JSONDict:
    if item["type"] == "function_call":
        return {**item, "status": "in_progress", "arguments": ""}
    if item["type"] == "custom_tool_call":
        return {**item, "status": "in_progress", "input": ""}
    return {**item, "status": "in_progress", "content": []}


def responses_stream(turn: Turn, reply: Reply, output: int, new_id: NewId) -> list[bytes]:
    response = _response(turn, new_id("resp"), "in_progress")
    item = _responses_item(reply, new_id)
    done = {
        **response,
        "status": "completed",
        "output": [item],
        "usage": _responses_usage(turn, output),
    }
    events: list[tuple[str, JSONDict]] = [
        ("response.created", {"response": response}),
        ("response.in_progress", {"response": response}),
        ("response.output_item.added", {"output_index": 0, "item": _added(item)}),
        *_item_events(item),
        ("response.output_item.done", {"output_index": 0, "item": item}),
        ("response.completed", {"response": done}),
    ]
    return [
        sse({"type": kind, "sequence_number": n, **payload}, kind)
        for n, (kind, payload) in enumerate(events)
    ]


def responses_json(turn: Turn, reply: Reply, output: int, new_id: NewId) -> JSONDict:
    item = _responses_item(reply, new_id)
    response = _response(turn, new_id("resp"), "completed")
    text = reply.text if isinstance(reply, TextReply) else ""
    return {
        **response,
        "output": [item],
        "output_text": text,
        "usage": _responses_usage(turn, output),
    }


def stream_frames(
    turn: Turn, reply: Reply, output: int, new_id: NewId, body: JSONDict
) -> list[bytes]:
    if turn.api == "anthropic":
        return anthropic_stream(turn, reply, output, new_id)
    if turn.api == "chat":
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return chat_stream(turn, reply, output, new_id, include_usage)
    return responses_stream(turn, reply, output, new_id)


def hang_frames(turn: Turn, new_id: NewId) -> list[bytes]:
    """What a hung model sends before going silent: Anthropic and chat say hello first."""
    if turn.api == "anthropic":
        return [_anthropic_start(turn, new_id("msg"))]
    if turn.api == "chat":
        return chat_hang(turn, new_id)
    return []


def whole_response(turn: Turn, reply: Reply, output: int, new_id: NewId) -> JSONDict:
    render = {"anthropic": anthropic_json, "chat": chat_json, "responses": responses_json}
    return render[turn.api](turn, reply, output, new_id)
