"""SW601–SW603: what a workflow may import, and the ways around it that fail at run time.

Only the modules of ``MODULE_EXPORTS`` exist in the sandbox. While checking the
import statements, this rule also records how the script names the API (``ctx.api``).
"""

from __future__ import annotations

from tree_sitter import Node

from smolwf.check.api import declared_names
from smolwf.check.context import Context
from smolwf.check.literals import string_literal
from smolwf.script.source import IMPORTS_RESTRICTED, MODULE_EXPORTS

_WHOLE_MODULE = ("namespace_import", "identifier")
_ONE_OF = " or ".join(MODULE_EXPORTS)


def check_imports(ctx: Context) -> None:
    for statement in ctx.script.nodes("import_statement"):
        _import(ctx, statement)
    for statement in ctx.script.nodes("export_statement"):
        source = statement.child_by_field_name("source")
        if source is not None:
            ctx.report(
                statement,
                "SW601",
                "re-exporting with `export … from` is not allowed: "
                "a workflow's only exports are meta and its result",
                end=source,
            )
    for call in ctx.script.nodes("call_expression"):
        _dynamic(ctx, call)
    for meta in ctx.script.nodes("meta_property"):
        if ctx.script.text(meta).startswith("import"):
            ctx.report(meta, "SW602", "import.meta is not available in workflows")


def _import(ctx: Context, statement: Node) -> None:
    source = statement.child_by_field_name("source")
    if source is None:
        return
    specifier = string_literal(ctx.script, source)
    if specifier not in MODULE_EXPORTS:
        shown = ctx.script.text(source)
        ctx.report(source, "SW601", f"cannot import {shown}: {IMPORTS_RESTRICTED}")
        return
    for child in statement.named_children:
        if child.type == "import_attribute":
            ctx.report(child, "SW601", "import attributes (with/assert) are not supported")
        elif child.type == "import_clause":
            _clause(ctx, child, specifier)


def _clause(ctx: Context, clause: Node, specifier: str) -> None:
    for child in clause.named_children:
        if child.type in _WHOLE_MODULE:
            local = child.named_children[-1] if child.type == "namespace_import" else child
            ctx.api.namespaces[ctx.script.text(local)] = specifier
        elif child.type == "named_imports":
            for item in child.named_children:
                if item.type == "import_specifier":
                    _named(ctx, item, specifier)


def _named(ctx: Context, item: Node, specifier: str) -> None:
    name = item.child_by_field_name("name")
    alias = item.child_by_field_name("alias") or name
    if name is None or alias is None:
        return
    imported = string_literal(ctx.script, name) or ctx.script.text(name)
    exports = MODULE_EXPORTS[specifier]
    if imported == "default":
        ctx.api.namespaces[ctx.script.text(alias)] = specifier
    elif imported not in exports:
        available = ", ".join((*exports, "default"))
        ctx.report(
            name,
            "SW601",
            f"{specifier} has no export named '{imported}'; available: {available}",
        )
    else:
        ctx.api.functions[ctx.script.text(alias)] = imported


def _dynamic(ctx: Context, call: Node) -> None:
    function = call.child_by_field_name("function")
    if function is None:
        return
    if function.type == "import":
        ctx.report(
            call,
            "SW602",
            f"dynamic import() is not allowed: import {_ONE_OF} statically, "
            "or run another workflow with workflow()",
        )
    elif (
        function.type == "identifier"
        and ctx.script.text(function) == "require"
        and "require" not in declared_names(ctx.script)
    ):
        ctx.report(
            call,
            "SW603",
            f"require() does not exist in workflows: import from {_ONE_OF}, or pass data in args",
        )
