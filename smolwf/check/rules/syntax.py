"""SW001: syntax errors, each where the parser lost its way, with a message that says why.

tree-sitter marks what it could not parse as ERROR nodes and what it had to invent as
MISSING tokens; inside an ERROR node, an unterminated string or an unclosed bracket is
usually the cause, so those are named first.
"""

from __future__ import annotations

from tree_sitter import Node

from smolwf.check.context import Context

_PAIRS = {"(": ")", "[": "]", "{": "}", "${": "}"}
_CLOSERS = frozenset(_PAIRS.values())
_QUOTES = frozenset({"'", '"', "`"})
_OPERATORS = frozenset(
    {"=", ":", "=>", "+", "-", "*", "/", "%", "**", "&&", "||", "??", "==", "===", "!=", "!=="}
    | {"<", ">", "<=", ">=", "+=", "-=", "*=", "/=", "&", "|", "^", "?", "."}
)
MAX_PER_FILE = 20


def check_syntax(ctx: Context) -> None:
    for node in ctx.script.errors[:MAX_PER_FILE]:
        if node.is_missing:
            ctx.report(node, "SW001", f"syntax error: {_missing(node)}")
        else:
            culprit, message = _explain(ctx, node)
            ctx.report(culprit, "SW001", f"syntax error: {message}")


def _missing(node: Node) -> str:
    if node.is_named:
        return f"expected {'an expression' if node.type == 'identifier' else node.type} here"
    return f"missing `{node.type}`"


def _explain(ctx: Context, error: Node) -> tuple[Node, str]:
    leaves = list(_leaves(error))
    if not leaves:
        return error, "unexpected end of input"
    open_brackets: list[Node] = []
    for leaf in leaves:
        kind = leaf.type
        if kind in _QUOTES and _unterminated(leaf, leaves):
            return leaf, "unterminated string or template literal"
        if kind in _PAIRS:
            open_brackets.append(leaf)
        elif kind in _CLOSERS:
            if not open_brackets or _PAIRS[open_brackets[-1].type] != kind:
                return leaf, f"unexpected `{kind}`"
            open_brackets.pop()
    if open_brackets and error.end_byte >= _content_end(ctx):
        opener = open_brackets[-1]
        return opener, f"`{opener.type}` is never closed"
    if len(leaves) == 1 and leaves[0].type in _OPERATORS:
        return leaves[0], f"`{leaves[0].type}` has no value after it"
    first = next((child for child in error.children if child.child_count == 0), leaves[0])
    text = ctx.script.text(first)
    shown = text if len(text) <= 30 else text[:29] + "…"
    return first, f"unexpected `{shown}`"


def _leaves(node: Node) -> list[Node]:
    out: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.child_count == 0:
            if current.type != "comment":
                out.append(current)
        else:
            stack.extend(reversed(current.children))
    return out


def _unterminated(quote: Node, leaves: list[Node]) -> bool:
    """A quote token inside an error whose string has no closing quote of the same kind."""
    parent = quote.parent
    if parent is not None and parent.type in ("string", "template_string"):
        first, last = parent.children[0], parent.children[-1]
        return not (parent.child_count >= 2 and first.type == last.type and first != last)
    later = [leaf for leaf in leaves if leaf.start_byte > quote.start_byte]
    return not any(leaf.type == quote.type for leaf in later)


def _content_end(ctx: Context) -> int:
    """Where the code ends: the end of the last top-level node that is not a comment."""
    for node in reversed(ctx.script.root.children):
        if node.type != "comment":
            return node.end_byte
    return 0
