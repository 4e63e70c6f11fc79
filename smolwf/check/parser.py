"""Parse a workflow with tree-sitter's JavaScript grammar, and answer questions about the tree.

tree-sitter recovers from syntax errors (so one pass finds several), gives every node its
exact position, and never runs the code. The tree is indexed by node type once, so each
rule asks for the nodes it cares about instead of walking the tree again.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterator

from tree_sitter import Language, Node, Parser, Tree

from smolwf.check.diagnostics import Span

FUNCTION_TYPES = frozenset(
    {
        "function_declaration",
        "function_expression",
        "arrow_function",
        "generator_function",
        "generator_function_declaration",
        "method_definition",
        "class_static_block",
    }
)
"""Nodes that start a new function body: ``return`` inside them is not top-level."""


@functools.cache
def _parser() -> Parser:
    import tree_sitter_javascript

    return Parser(Language(tree_sitter_javascript.language()))


class ParsedScript:
    """One script's source, its syntax tree and an index of its nodes by type."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.data = source.encode("utf-8", "surrogatepass")
        self.tree: Tree = _parser().parse(self.data)
        self.root: Node = self.tree.root_node
        self._by_type: dict[str, list[Node]] = defaultdict(list)
        self.errors: list[Node] = []
        """Outermost ERROR nodes and MISSING tokens, in source order."""
        self._index()

    def _index(self) -> None:
        stack = [self.root]
        while stack:
            node = stack.pop()
            if node.is_error or node.is_missing:
                self.errors.append(node)
                continue  # what lies inside a syntax error is not trusted
            self._by_type[node.type].append(node)
            if node.child_count:
                stack.extend(reversed(node.children))
        self.errors.sort(key=lambda node: node.start_byte)

    def nodes(self, *types: str) -> Iterator[Node]:
        """Every node of the given types outside syntax errors, each type in source order."""
        for kind in types:
            yield from self._by_type.get(kind, ())

    def text(self, node: Node) -> str:
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def span(self, node: Node, end: Node | None = None) -> Span:
        """The 1-based character span from ``node``'s start to ``end``'s end (default: its own)."""
        last = end or node
        line, column = self._position(node.start_byte, *node.start_point)
        end_line, end_column = self._position(last.end_byte, *last.end_point)
        return Span(line, column, end_line, end_column)

    def _position(self, offset: int, row: int, byte_column: int) -> tuple[int, int]:
        before = self.data[offset - byte_column : offset]
        column = byte_column if before.isascii() else len(before.decode("utf-8", "replace"))
        return row + 1, column + 1


def unwrap(node: Node) -> Node:
    """The expression inside any number of parentheses."""
    while node.type == "parenthesized_expression" and node.named_child_count == 1:
        node = node.named_children[0]
    return node


def enclosing_function(node: Node) -> Node | None:
    """The innermost function (or static block) around ``node``, None at top level."""
    parent = node.parent
    while parent is not None:
        if parent.type in FUNCTION_TYPES:
            return parent
        parent = parent.parent
    return None


def arguments(call: Node) -> list[Node]:
    """The argument expressions of a call or ``new`` (comments left out)."""
    args = call.child_by_field_name("arguments")
    if args is None or args.type != "arguments":
        return []
    return [child for child in args.named_children if child.type != "comment"]
