"""Recognise calls of the workflow API, however the script reaches it.

``agent`` is a global; ``agentRun`` may be imported under another name, read from a
namespace import or from ``SW.extra``. Rules ask ``callee()`` which API function a call
is, and never match names themselves.
"""

from __future__ import annotations

import functools

from tree_sitter import Node

from smolwf.check.context import Context
from smolwf.check.parser import ParsedScript, unwrap
from smolwf.script.source import MODULE_EXPORTS

GLOBAL_FUNCTIONS = ("agent", "parallel", "pipeline", "workflow", "phase", "log")
"""The API functions the sandbox installs as globals (reference §1.3)."""
PROMISE_FUNCTIONS = frozenset(
    {"agent", "agentRun", "parallel", "pipeline", "workflow", "parallelSettled"}
    | {"pipelineSettled", "sleep", "exec", "requestApproval", "waitForSignal"}
)
"""API functions whose call returns a promise."""


def callee(ctx: Context, call: Node) -> str | None:
    """The API function ``call`` calls (``"agent"``, ``"agentRun"``…), or None."""
    function = call.child_by_field_name("function")
    if function is None:
        return None
    function = unwrap(function)
    if function.type == "identifier":
        name = ctx.script.text(function)
        if name in ctx.api.functions:
            return ctx.api.functions[name]
        if name in GLOBAL_FUNCTIONS and name not in declared_names(ctx.script):
            return name
        return None
    if function.type == "member_expression":
        return _member(ctx, function)
    return None


def _member(ctx: Context, member: Node) -> str | None:
    """``extra.agentRun`` (a namespace import) or ``SW.extra.agentRun`` (any module)."""
    target = member.child_by_field_name("object")
    prop = member.child_by_field_name("property")
    if target is None or prop is None:
        return None
    name = ctx.script.text(prop)
    module = _module_of(ctx, unwrap(target))
    if module is None or name not in MODULE_EXPORTS[module]:
        return None
    return name


def _module_of(ctx: Context, node: Node) -> str | None:
    text = ctx.script.text(node)
    if node.type == "identifier":
        return ctx.api.namespaces.get(text)
    if node.type == "member_expression":
        path = text.replace(" ", "")  # SW.extra, SW.human, …
        module = "workflow:" + path.removeprefix("SW.")
        if path.startswith("SW.") and module in MODULE_EXPORTS:
            return module
    return None


def declared_names(script: ParsedScript) -> frozenset[str]:
    """Names the script declares itself (variables, functions, classes, parameters)."""
    return _declared(script)


@functools.lru_cache(maxsize=8)
def _declared(script: ParsedScript) -> frozenset[str]:
    names: set[str] = set()
    for node in script.nodes("variable_declarator", "function_declaration", "class_declaration"):
        name = node.child_by_field_name("name")
        if name is not None and name.type == "identifier":
            names.add(script.text(name))
    for params in script.nodes("formal_parameters"):
        for param in params.named_children:
            if param.type == "identifier":
                names.add(script.text(param))
    for arrow in script.nodes("arrow_function"):
        single = arrow.child_by_field_name("parameter")
        if single is not None:
            names.add(script.text(single))
    return frozenset(names)
