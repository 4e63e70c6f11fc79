"""A sample string for a JSON Schema ``pattern``, so the debug provider can meet it.

The pattern is parsed with the standard library's own regular-expression parser and the
shortest string each part allows is written out (repeats grow only when a length
constraint asks for more); the result is checked with ``re.search``, as validation
does. Simple cases only: a pattern this cannot follow gives no sample. Written here
rather than taken from a library: the ones that generate strings from a regex are
random (rstr) or under the AGPL (exrex), and neither takes a length.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

# The parser behind ``re`` (``sre_parse`` before Python 3.11, now a deprecated alias).
parser: Any = importlib.import_module("re._parser")
constants: Any = importlib.import_module("re._constants")

_GROWTH = (0, 1, 2, 4, 8, 16, 32, 64, 128)
"""How many times above its minimum each repeat may run, tried in order."""
_CANDIDATES = "a0A_- .xz9Z"
"""Characters tried, in order, for a class or a negated one."""


class _Unsupported(Exception):
    """A regex construct this generator does not follow (back-references, ...)."""


def pattern_sample(pattern: str, min_length: int = 0, max_length: int | None = None) -> str | None:
    """The shortest string with at least ``min_length`` and at most ``max_length``
    characters that ``re.search(pattern, …)`` accepts, or None if none is found."""
    try:
        tree = parser.parse(pattern)
        compiled = re.compile(pattern)
    except (re.error, RecursionError, OverflowError):
        return None
    for growth in _GROWTH:
        try:
            text = _emit(tree, growth)
        except (_Unsupported, RecursionError):
            return None
        if len(text) < min_length:
            continue
        if max_length is not None and len(text) > max_length:
            return None
        return text if compiled.search(text) else None
    return None


def matches(pattern: str, text: str) -> bool:
    """``re.search`` as schema validation uses it; a pattern that does not compile never
    matches."""
    try:
        return re.search(pattern, text) is not None
    except (re.error, RecursionError, OverflowError):
        return False


def _emit(tree: Any, growth: int) -> str:
    return "".join([_node(op, value, growth) for op, value in tree])


def _node(op: Any, value: Any, growth: int) -> str:
    if op is constants.LITERAL:
        return chr(value)
    if op is constants.NOT_LITERAL:
        return next(char for char in _CANDIDATES if ord(char) != value)
    if op is constants.ANY:
        return "a"
    if op is constants.IN:
        return _char_in(value)
    if op is constants.CATEGORY:
        return _char_in([(op, value)])
    if op in (constants.MAX_REPEAT, constants.MIN_REPEAT, constants.POSSESSIVE_REPEAT):
        low, high, body = value
        count = int(low + growth if high is constants.MAXREPEAT else min(high, low + growth))
        return _emit(body, growth) * count
    if op is constants.SUBPATTERN:
        return _emit(value[-1], growth)
    if op is constants.ATOMIC_GROUP:
        return _emit(value, growth)
    if op is constants.BRANCH:
        return _emit(value[1][0], growth)
    if op in (constants.AT, constants.ASSERT, constants.ASSERT_NOT):
        return ""
    raise _Unsupported(str(op))


def _char_in(items: list[tuple[Any, Any]]) -> str:
    """The first candidate character the class ``items`` accepts."""
    negated = bool(items) and items[0][0] is constants.NEGATE
    members = items[1:] if negated else items
    if not negated and members:
        first_op, first = members[0]
        if first_op is constants.LITERAL:
            return chr(first)
        if first_op is constants.RANGE:
            return chr(first[0])
    for char in _CANDIDATES:
        if _member(members, char) != negated:
            return char
    raise _Unsupported("character class")


def _member(items: list[tuple[Any, Any]], char: str) -> bool:
    code = ord(char)
    for op, value in items:
        if op is constants.LITERAL and value == code:
            return True
        if op is constants.RANGE and value[0] <= code <= value[1]:
            return True
        if op is constants.CATEGORY and _category(value, char):
            return True
    return False


def _category(category: Any, char: str) -> bool:
    tests = {
        constants.CATEGORY_DIGIT: char.isdigit(),
        constants.CATEGORY_NOT_DIGIT: not char.isdigit(),
        constants.CATEGORY_WORD: char.isalnum() or char == "_",
        constants.CATEGORY_NOT_WORD: not (char.isalnum() or char == "_"),
        constants.CATEGORY_SPACE: char.isspace(),
        constants.CATEGORY_NOT_SPACE: not char.isspace(),
    }
    if category not in tests:
        raise _Unsupported(str(category))
    return tests[category]
