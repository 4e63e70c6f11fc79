"""SW801, SW901: how the script hands back its work.

An ``agent()`` whose promise nobody awaits, returns, stores or passes on is paid for and
its answer lost; a dropped ``requestApproval()`` asks a person for nothing. A top-level
``return`` (Claude Code's form) together with ``export default`` (the module form)
leaves it unclear which is the result, and the module form makes the ``return`` a
syntax error.
"""

from __future__ import annotations

from tree_sitter import Node

from smolwf.check.api import callee
from smolwf.check.context import Context
from smolwf.check.literals import string_literal
from smolwf.check.parser import enclosing_function

_LOST = {
    "agent": "the call is paid for and its answer lost",
    "agentRun": "the call is paid for and its answer lost",
    "workflow": "the call is paid for and its answer lost",
    "requestApproval": "a person is asked and the answer lost",
    "waitForSignal": "a person is asked and the answer lost",
}
"""What is lost when the result of each API call is dropped."""


def check_dropped_results(ctx: Context) -> None:
    for call in ctx.script.nodes("call_expression"):
        name = callee(ctx, call)
        if name in _LOST and _dropped(call):
            ctx.report(
                call,
                "SW801",
                f"the result of {name}() is dropped: await it, return it or store it "
                f"(otherwise {_LOST[name]})",
            )


def _dropped(node: Node) -> bool:
    """The value of ``node`` is thrown away by the statement (or ``void``) around it."""
    parent = node.parent
    while parent is not None:
        if parent.type == "parenthesized_expression":
            node, parent = parent, parent.parent
            continue
        if parent.type == "sequence_expression":
            if parent.named_children[-1] != node:
                return True
            node, parent = parent, parent.parent
            continue
        if parent.type == "unary_expression":
            operator = parent.child_by_field_name("operator")
            return operator is not None and operator.type == "void"
        return parent.type == "expression_statement"
    return False


def check_return_and_default(ctx: Context) -> None:
    default = _default_export(ctx)
    if default is None:
        return
    line = ctx.script.span(default).line
    for statement in ctx.script.nodes("return_statement"):
        if enclosing_function(statement) is None:
            ctx.report(
                statement,
                "SW901",
                f"top-level return together with export default (line {line}): keep one, "
                "`return` (Claude Code's form) or `export default` (a module)",
            )


def _default_export(ctx: Context) -> Node | None:
    for statement in ctx.script.root.named_children:
        if statement.type != "export_statement":
            continue
        if any(child.type == "default" for child in statement.children):
            return statement
        for clause in statement.named_children:
            if clause.type != "export_clause":
                continue
            for item in clause.named_children:
                alias = item.child_by_field_name("alias")
                if alias is not None and (
                    ctx.script.text(alias) == "default"
                    or string_literal(ctx.script, alias) == "default"
                ):
                    return statement
    return None
