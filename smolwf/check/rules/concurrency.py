"""SW401, SW402: ``parallel`` and ``pipeline`` take functions, not promises.

``parallel([agent(a), agent(b)])`` starts both agents at once, then fails every slot
(a promise is not a function); a pipeline stage that is not a function throws. Only what
is certainly not a function is reported: calls of the promise-returning API or of an
async function, awaits, promises and literals.
"""

from __future__ import annotations

from tree_sitter import Node

from smolwf.check.api import PROMISE_FUNCTIONS, callee
from smolwf.check.context import Context
from smolwf.check.parser import arguments, unwrap

_LITERALS = {
    "string": "a string",
    "template_string": "a string",
    "number": "a number",
    "true": "a boolean",
    "false": "a boolean",
    "null": "null",
    "undefined": "undefined",
    "object": "an object",
    "array": "an array",
}


def check_concurrency(ctx: Context) -> None:
    asynchronous = _async_functions(ctx)
    for call in ctx.script.nodes("call_expression"):
        name = callee(ctx, call)
        for index, node in _functions_expected(name, arguments(call)):
            why = _not_a_function(ctx, node, asynchronous)
            if why is None:
                continue
            if name in ("parallel", "parallelSettled"):
                ctx.report(
                    node,
                    "SW401",
                    f"{name}() runs functions, but task {index} is {why}: it starts at "
                    f"once and its slot fails; wrap it: () => {_short(ctx, node)}",
                )
            else:
                ctx.report(
                    node,
                    "SW402",
                    f"{name}() stage {index} must be a function, but it is {why}; "
                    "wrap it: (previous, item, index) => …",
                )


def _functions_expected(name: str | None, args: list[Node]) -> list[tuple[int, Node]]:
    """The numbered arguments (or array elements) of a call that must be functions."""
    if name in ("parallel", "parallelSettled") and args and unwrap(args[0]).type == "array":
        tasks = [item for item in unwrap(args[0]).named_children if item.type != "comment"]
        return list(enumerate(tasks, start=1))
    if name in ("pipeline", "pipelineSettled"):
        return list(enumerate(args[1:], start=1))
    return []


def _not_a_function(ctx: Context, node: Node, asynchronous: frozenset[str]) -> str | None:
    node = unwrap(node)
    if node.type in _LITERALS:
        return _LITERALS[node.type]
    if node.type == "await_expression":
        return "an awaited value"
    if node.type == "new_expression":
        constructor = node.child_by_field_name("constructor")
        if constructor is not None and ctx.script.text(constructor) == "Promise":
            return "a promise"
        return None
    if node.type != "call_expression":
        return None
    name = callee(ctx, node)
    if name in PROMISE_FUNCTIONS:
        return f"the promise {name}() returns"
    function = node.child_by_field_name("function")
    if function is None:
        return None
    text = ctx.script.text(function)
    if function.type == "identifier" and text in asynchronous:
        return f"the promise the async function {text}() returns"
    if function.type == "member_expression" and text.rsplit(".", 1)[-1] in ("then", "catch"):
        return "a promise"
    return None


def _async_functions(ctx: Context) -> frozenset[str]:
    """Names bound to async functions: ``async function f`` and ``const f = async () =>``."""
    names: set[str] = set()
    for node in ctx.script.nodes("function_declaration"):
        name = node.child_by_field_name("name")
        if name is not None and ctx.script.text(node).startswith("async"):
            names.add(ctx.script.text(name))
    for node in ctx.script.nodes("variable_declarator"):
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if name is None or value is None or name.type != "identifier":
            continue
        if value.type in ("arrow_function", "function_expression") and (
            ctx.script.text(value).startswith("async")
        ):
            names.add(ctx.script.text(name))
    return frozenset(names)


def _short(ctx: Context, node: Node) -> str:
    text = " ".join(ctx.script.text(node).split())
    return text if len(text) <= 40 else text[:39] + "…"
