"""Literal values in the syntax tree: what a rule can know about a value without running it.

Strings, numbers and keys are decoded by ``smolwf.script.meta``'s own helpers, so the
checker and the loader never disagree on what a literal means.
"""

from __future__ import annotations

from tree_sitter import Node

from smolwf.check.parser import ParsedScript, unwrap
from smolwf.jsontypes import JSON, JSONObject
from smolwf.records import record
from smolwf.script.lexer import Token, TokenKind
from smolwf.script.meta import key_value, number_value, string_value

_MAX_NESTING = 200
_KEYWORDS: dict[str, JSON] = {"true": True, "false": False, "null": None}
FUNCTION_EXPRESSIONS = frozenset(
    {"arrow_function", "function_expression", "generator_function", "function"}
)


class NotLiteral(Exception):
    """The value is not a pure literal; ``node`` is the part that is not, ``why`` says what."""

    def __init__(self, node: Node, why: str) -> None:
        super().__init__(why)
        self.node = node
        self.why = why


@record
class Entry:
    """One member of an object literal. ``key`` is None when it cannot be known statically
    (a computed key, a spread); ``value`` is None for shorthand properties and methods."""

    key: str | None
    node: Node
    key_node: Node
    value: Node | None


def _token(script: ParsedScript, node: Node, kind: TokenKind) -> Token:
    return Token(kind, script.text(node), node.start_byte, node.end_byte, 0, 0)


def string_literal(script: ParsedScript, node: Node) -> str | None:
    """The value of a quoted string or a template literal without substitutions."""
    node = unwrap(node)
    if node.type == "string":
        return string_value(_token(script, node, "string"))
    if node.type == "template_string" and not _has_substitution(node):
        return string_value(_token(script, node, "template"))
    return None


def _has_substitution(node: Node) -> bool:
    return any(child.type == "template_substitution" for child in node.children)


def object_entries(script: ParsedScript, node: Node) -> list[Entry]:
    """The members of an ``object`` node, in order (comments left out)."""
    entries: list[Entry] = []
    for child in node.named_children:
        if child.type == "pair":
            key_node = child.child_by_field_name("key") or child
            entries.append(
                Entry(_key(script, key_node), child, key_node, child.child_by_field_name("value"))
            )
        elif child.type in ("shorthand_property_identifier", "method_definition"):
            name = child.child_by_field_name("name") or child
            entries.append(Entry(script.text(name), child, name, None))
        elif child.type != "comment":
            entries.append(Entry(None, child, child, None))
    return entries


def _key(script: ParsedScript, node: Node) -> str | None:
    if node.type == "property_identifier":
        return script.text(node)
    if node.type == "string":
        return key_value(_token(script, node, "string"))
    if node.type == "number":
        return key_value(_token(script, node, "number"))
    return None


def evaluate(script: ParsedScript, node: Node, nesting: int = 0) -> JSON:
    """The JSON value of a pure literal (the subset ``meta`` allows); else ``NotLiteral``."""
    if nesting > _MAX_NESTING:
        raise NotLiteral(node, "it is nested too deeply")
    kind = node.type
    if kind == "object":
        return _object(script, node, nesting + 1)
    if kind == "array":
        return _array(script, node, nesting + 1)
    if kind in ("string", "template_string"):
        text = string_literal(script, node)
        if text is None:
            why = "a template literal with ${…}" if kind == "template_string" else "a bad string"
            raise NotLiteral(node, f"{why} is not a literal")
        return text
    if kind == "number" or (kind == "unary_expression" and _signed_number(node)):
        return _number(script, node)
    if kind in ("true", "false", "null"):
        return _KEYWORDS[kind]
    raise NotLiteral(node, _describe(script, node))


def _signed_number(node: Node) -> bool:
    operator = node.child_by_field_name("operator")
    argument = node.child_by_field_name("argument")
    return (
        operator is not None
        and operator.type in ("-", "+")
        and argument is not None
        and argument.type == "number"
    )


def _number(script: ParsedScript, node: Node) -> JSON:
    negative = False
    if node.type == "unary_expression":
        negative = (operator := node.child_by_field_name("operator")) is not None and (
            operator.type == "-"
        )
        node = node.child_by_field_name("argument") or node
    value = number_value(_token(script, node, "number"))
    if value is None:
        raise NotLiteral(node, f"the number {script.text(node)} is not a plain literal")
    return -value if negative else value


def _object(script: ParsedScript, node: Node, nesting: int) -> JSONObject:
    out: JSONObject = {}
    for entry in object_entries(script, node):
        if entry.key is None:
            raise NotLiteral(entry.node, _describe(script, entry.node))
        if entry.value is None:
            raise NotLiteral(entry.node, _describe(script, entry.node))
        out[entry.key] = evaluate(script, entry.value, nesting)
    return out


def _array(script: ParsedScript, node: Node, nesting: int) -> list[JSON]:
    out: list[JSON] = []
    expect_value = True
    for child in node.children:
        if child.type == ",":
            if expect_value:
                raise NotLiteral(child, "an array hole is not a literal")
            expect_value = True
        elif child.is_named and child.type != "comment":
            out.append(evaluate(script, child, nesting))
            expect_value = False
    return out


def _describe(script: ParsedScript, node: Node) -> str:
    """Why ``node`` is not a literal, in the words a script author uses."""
    text = script.text(node)
    short = text if len(text) <= 40 and "\n" not in text else text.split("\n")[0][:37] + "…"
    reasons = {
        "identifier": f"`{short}` is a variable, not a literal",
        "shorthand_property_identifier": f"the shorthand property `{short}` is a variable",
        "method_definition": f"the method `{short}` is not a literal",
        "spread_element": f"the spread `{short}` is not a literal",
        "call_expression": f"the call `{short}` is not a literal",
        "pair": f"the computed key in `{short}` is not a literal",
    }
    if node.type in FUNCTION_EXPRESSIONS:
        return f"the function `{short}` is not a literal"
    return reasons.get(node.type, f"`{short}` is not a literal")
