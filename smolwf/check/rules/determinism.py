"""SW701, SW702: the clock and randomness, which throw in the sandbox.

A resumed run must make the same calls as the first one, so the sandbox makes
``Date.now()``, ``Date()``, argument-less ``new Date()`` and ``Math.random()`` throw. Only
code is matched: the words in strings and comments are not.
"""

from __future__ import annotations

from tree_sitter import Node

from smolwf.check.api import declared_names
from smolwf.check.context import Context
from smolwf.check.parser import arguments, unwrap

_CLOCK = (
    "reads the clock, which throws in workflows (a resumed run must make the same calls); "
    "pass the time in as an argument (--args-now) or use new Date(value)"
)
_RANDOM = (
    "Math.random() throws in workflows (a resumed run must make the same calls); derive "
    "variety from the prompt or pass a seed in args (--args-seed)"
)


def check_determinism(ctx: Context) -> None:
    shadowed = declared_names(ctx.script)
    for call in ctx.script.nodes("call_expression"):
        function = call.child_by_field_name("function")
        if function is None:
            continue
        name = _dotted(ctx, unwrap(function))
        if name == "Date.now" and "Date" not in shadowed:
            ctx.report(call, "SW701", f"Date.now() {_CLOCK}")
        elif name == "Date" and "Date" not in shadowed:
            ctx.report(call, "SW701", f"Date() {_CLOCK}")
        elif name == "Math.random" and "Math" not in shadowed:
            ctx.report(call, "SW702", _RANDOM)
    for new in ctx.script.nodes("new_expression"):
        constructor = new.child_by_field_name("constructor")
        if constructor is None or _dotted(ctx, unwrap(constructor)) != "Date":
            continue
        if not arguments(new) and "Date" not in shadowed:
            ctx.report(new, "SW701", f"new Date() without arguments {_CLOCK}")


def _dotted(ctx: Context, node: Node) -> str | None:
    """``Date`` or ``Date.now`` for an identifier or a plain member access, else None."""
    if node.type == "identifier":
        return ctx.script.text(node)
    if node.type != "member_expression":
        return None
    target, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
    if target is None or prop is None or target.type != "identifier":
        return None
    return f"{ctx.script.text(target)}.{ctx.script.text(prop)}"
