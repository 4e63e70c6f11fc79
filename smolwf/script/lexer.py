"""A JavaScript token scanner, so script checks never match text inside strings or comments.

It is not a parser: it only knows enough of the grammar (strings, template literals,
regex literals, comments, brackets) to split realistic workflow code into tokens and
say how deeply each token is nested.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

from smolwf.records import record

TokenKind = Literal[
    "ident",  # identifiers and keywords; private names keep their '#'
    "number",
    "string",  # '…' or "…", quotes included
    "template",  # a whole template literal without substitutions
    "template_head",  # `…${
    "template_middle",  # }…${
    "template_tail",  # }…`
    "regex",
    "punct",
]


@record
class Token:
    """One token. ``depth`` counts the brackets open around it.

    A closing bracket gets the depth of its opening bracket, so a pair shares one depth.
    A template substitution ``${ … }`` counts as one open bracket.
    """

    kind: TokenKind
    text: str
    start: int
    end: int
    line: int
    depth: int


_OPENERS = frozenset("([{")
_CLOSERS = frozenset(")]}")
# A `/` after one of these punctuators starts a regex; after any other token it divides.
_NOT_BEFORE_REGEX = frozenset({")", "]", "++", "--"})
_REGEX_KEYWORDS = frozenset(
    {
        "return",
        "typeof",
        "instanceof",
        "case",
        "do",
        "else",
        "in",
        "of",
        "new",
        "delete",
        "void",
        "throw",
        "yield",
        "await",
    }
)
# Longest alternatives first: `re` takes the first alternative that matches.
_PUNCT_RE = re.compile(
    r">>>=|>>>|\.\.\.|===|!==|\*\*=|<<=|>>=|&&=|\|\|=|\?\?=|=>|==|!=|<=|>=|&&|\|\||\?\?"
    r"|\?\.|\+\+|--|[-+*/%&|^]=|\*\*|<<|>>|[{}()\[\];,<>+\-*/%&|^!~?:=.@]"
)
_SPACE_RE = re.compile(
    r"[ \t\n\r\v\f\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+"
)
_NUMBER_RE = re.compile(
    r"0[xX][0-9a-fA-F_]*n?|0[oO][0-7_]*n?|0[bB][01_]*n?"
    r"|(?:[0-9][0-9_]*\.?[0-9_]*|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9][0-9_]*)?n?"
)
_IDENT_RE = re.compile(r"#?[\w$]+")  # \w covers Unicode letters and digits


class _Scanner:
    """Cursor state for one pass over a source string."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        self.line = 1
        self.depth = 0
        self.prev: Token | None = None
        self.prev_prev: Token | None = None
        # One entry per open template substitution: braces opened inside it.
        self.templates: list[int] = []

    def tokens(self) -> Iterator[Token]:
        if self.src.startswith("#!"):
            self._skip_to(self._line_end(0))
        while True:
            self._skip_trivia()
            if self.pos >= len(self.src):
                return
            token = self._next_token()
            self.prev_prev, self.prev = self.prev, token
            yield token

    def _skip_to(self, end: int) -> None:
        self.line += self.src.count("\n", self.pos, end)
        self.pos = end

    def _line_end(self, start: int) -> int:
        end = self.src.find("\n", start)
        return len(self.src) if end < 0 else end

    def _skip_trivia(self) -> None:
        src = self.src
        while self.pos < len(src):
            if match := _SPACE_RE.match(src, self.pos):
                self._skip_to(match.end())
            elif src.startswith("//", self.pos):
                self._skip_to(self._line_end(self.pos))
            elif src.startswith("/*", self.pos):
                end = src.find("*/", self.pos + 2)
                self._skip_to(len(src) if end < 0 else end + 2)
            else:
                return

    def _make(self, kind: TokenKind, end: int, depth: int | None = None) -> Token:
        start, line = self.pos, self.line
        self._skip_to(end)
        level = self.depth if depth is None else depth
        return Token(kind, self.src[start:end], start, end, line, level)

    def _next_token(self) -> Token:
        src, pos = self.src, self.pos
        char = src[pos]
        if char in "'\"":
            return self._make("string", _string_end(src, pos))
        if char == "`":
            return self._template("template", "template_head", pos + 1)
        if char == "}" and self.templates and self.templates[-1] == 0:
            self.templates.pop()
            self.depth = max(self.depth - 1, 0)
            return self._template("template_tail", "template_middle", pos + 1)
        if char == "/" and self._regex_allowed():
            end = _regex_end(src, pos)
            if end is not None:
                return self._make("regex", end)
        if number := _NUMBER_RE.match(src, pos):
            return self._make("number", number.end())
        if ident := _IDENT_RE.match(src, pos):
            return self._make("ident", ident.end())
        return self._punct()

    def _template(self, closed: TokenKind, opened: TokenKind, body: int) -> Token:
        end, substitution = _template_end(self.src, body)
        if not substitution:
            return self._make(closed, end)
        token = self._make(opened, end)
        self.templates.append(0)
        self.depth += 1
        return token

    def _punct(self) -> Token:
        match = _PUNCT_RE.match(self.src, self.pos)
        text = match.group() if match else self.src[self.pos]
        if text == "?." and self.src[self.pos + 2 : self.pos + 3].isdigit():
            text = "?"  # `a?.5:b` is a conditional, not optional chaining
        if text in _OPENERS:
            if self.templates and text == "{":
                self.templates[-1] += 1
            self.depth += 1
            return self._make("punct", self.pos + 1, self.depth - 1)
        if text in _CLOSERS:
            if self.templates and text == "}":
                self.templates[-1] -= 1
            self.depth = max(self.depth - 1, 0)
        return self._make("punct", self.pos + len(text))

    def _regex_allowed(self) -> bool:
        prev = self.prev
        if prev is None:
            return True
        if prev.kind == "punct":
            return prev.text not in _NOT_BEFORE_REGEX
        if prev.kind != "ident" or prev.text not in _REGEX_KEYWORDS:
            return False
        # `obj.return / 2` uses the keyword as a property name.
        before = self.prev_prev
        return before is None or before.text not in {".", "?."}


def _string_end(src: str, pos: int) -> int:
    """End offset of the quoted string starting at ``pos`` (EOF when unterminated)."""
    quote, i, n = src[pos], pos + 1, len(src)
    while i < n:
        char = src[i]
        if char == "\\":
            i += 2
        elif char == quote:
            return i + 1
        else:
            i += 1
    return n


def _template_end(src: str, i: int) -> tuple[int, bool]:
    """Scan template text from ``i``; return (end offset, whether it stopped at ``${``)."""
    n = len(src)
    while i < n:
        char = src[i]
        if char == "\\":
            i += 2
        elif char == "`":
            return i + 1, False
        elif char == "$" and src.startswith("${", i):
            return i + 2, True
        else:
            i += 1
    return n, False


def _regex_end(src: str, pos: int) -> int | None:
    """End offset of the regex literal at ``pos``, or None if the line ends first."""
    i, n, in_class = pos + 1, len(src), False
    while i < n:
        char = src[i]
        if char in "\n\r\u2028\u2029":
            return None
        if char == "\\":
            i += 2
            continue
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "/" and not in_class:
            flags = _IDENT_RE.match(src, i + 1)
            return flags.end() if flags and not flags.group().startswith("#") else i + 1
        i += 1
    return None


def iter_tokens(source: str) -> Iterator[Token]:
    """Yield the tokens of ``source``, skipping whitespace, comments and a hashbang line."""
    return _Scanner(source).tokens()
