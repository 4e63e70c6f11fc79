"""SW501, SW502: ``workflow()`` references that cannot be found.

A literal ``{scriptPath}`` is resolved against the calling script's folder and a literal
name is looked up in ``.agents/workflows`` and ``.claude/workflows`` of the git top level
of the current directory, exactly as the run resolves them.
"""

from __future__ import annotations

from tree_sitter import Node

from smolwf.check.api import callee
from smolwf.check.context import Context
from smolwf.check.literals import object_entries, string_literal
from smolwf.check.parser import arguments, unwrap


def check_children(ctx: Context) -> None:
    for call in ctx.script.nodes("call_expression"):
        if callee(ctx, call) != "workflow":
            continue
        args = arguments(call)
        if not args:
            continue
        ref = unwrap(args[0])
        name = string_literal(ctx.script, ref)
        if name is not None:
            problem = ctx.workflows.problem(name)
            if problem is not None:
                ctx.report(ref, "SW502", problem)
        elif ref.type == "object":
            _script_path(ctx, ref)


def _script_path(ctx: Context, ref: Node) -> None:
    for entry in object_entries(ctx.script, ref):
        if entry.key != "scriptPath" or entry.value is None:
            continue
        text = string_literal(ctx.script, entry.value)
        if text is None:
            continue
        base = ctx.path.resolve().parent
        target = base / text
        if not target.is_file():
            where = "is a directory" if target.is_dir() else "does not exist"
            ctx.report(
                entry.value,
                "SW501",
                f"workflow script {text!r} {where} (resolved against {base})",
            )
