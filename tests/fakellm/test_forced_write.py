"""``FORCEWRITE:<tool>:<path>``: a model that calls a tool the CLI did not offer.

How a CLI answers a call of a tool it has not enabled (pi: ``Tool bash not found``) is only
seen when the model makes that call, so the script can make it on purpose.
"""

from __future__ import annotations

from tests.fakellm.script import TOOL_RESULT_TEXT, TextReply, ToolReply, choose_reply
from tests.fakellm.turns import Tool, Turn

READ: Tool = Tool("read", {"type": "object", "properties": {"path": {"type": "string"}}})
BASH: Tool = Tool(
    "bash",
    {
        "type": "object",
        "properties": {"command": {"type": "string"}, "timeout": {"type": "number"}},
        "required": ["command"],
    },
)
WRITE: Tool = Tool(
    "write",
    {
        "type": "object",
        "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
        "required": ["path", "content"],
    },
)


def turn(prompt: str, *tools: Tool, tool_result_for: str | None = None) -> Turn:
    return Turn(
        api="chat",
        model="fake-model",
        stream=True,
        prompt=prompt,
        tool_result_for=tool_result_for,
        tools=list(tools),
        cwd="/work/dir",
    )


def test_an_unoffered_shell_tool_is_called_with_a_command() -> None:
    reply = choose_reply(turn("FORCEWRITE:bash:out.txt now", READ))
    assert reply == ToolReply("bash", {"command": "echo FAKELLM_EDIT_OK > out.txt"})


def test_an_unoffered_other_tool_gets_the_path_joined_to_the_cwd_and_the_content() -> None:
    reply = choose_reply(turn("FORCEWRITE:write:out.txt now", READ))
    assert reply == ToolReply(
        "write", {"path": "/work/dir/out.txt", "content": "FAKELLM_EDIT_OK\n"}
    )


def test_an_offered_tool_gets_arguments_shaped_by_its_schema() -> None:
    assert choose_reply(turn("FORCEWRITE:bash:/tmp/x now", BASH)) == ToolReply(
        "bash", {"command": "echo FAKELLM_EDIT_OK > /tmp/x"}
    )
    assert choose_reply(turn("FORCEWRITE:write:/tmp/x now", WRITE)) == ToolReply(
        "write", {"path": "/tmp/x", "content": "FAKELLM_EDIT_OK\n"}
    )


def test_once_the_tool_answered_the_model_reports_the_result() -> None:
    reply = choose_reply(turn("FORCEWRITE:bash:out.txt now", READ, tool_result_for="bash"))
    assert reply == TextReply(TOOL_RESULT_TEXT)
