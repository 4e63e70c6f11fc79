"""SW201: ``phase('X')`` (or ``agent(…, {phase: 'X'})``) with a title meta.phases lacks.

Phase defaults (model, provider, permissions) come from the meta.phases entry whose title
matches exactly; a misspelt title silently gets none. Only checked when meta lists phases.
"""

from __future__ import annotations

from tree_sitter import Node

from smolwf.check.api import callee
from smolwf.check.context import Context
from smolwf.check.literals import string_literal
from smolwf.check.parser import arguments
from smolwf.check.suggest import did_you_mean


def check_phases(ctx: Context) -> None:
    for call in ctx.script.nodes("call_expression"):
        if callee(ctx, call) != "phase":
            continue
        args = arguments(call)
        title = string_literal(ctx.script, args[0]) if args else None
        if title is not None:
            check_phase_title(ctx, title, args[0])


def check_phase_title(ctx: Context, title: str, node: Node) -> None:
    """Report ``title`` at ``node`` unless meta.phases has it (or lists no phases)."""
    titles = ctx.phase_titles
    if not titles or title in titles:
        return
    listed = ", ".join(f"'{name}'" for name in dict.fromkeys(titles))
    ctx.report(
        node,
        "SW201",
        f"phase '{title}' is not in meta.phases ({listed}){did_you_mean(title, titles)}; "
        "its agent() calls get no phase defaults",
    )
