"""Read a workflow's ``export const meta = {…}`` from its source text without running any JS.

Metadata (name, description, phases) is needed before the sandbox starts: to list and
look up workflows, to label runs and to reject a script early. So ``meta`` must be a pure
literal, parsed here as a JSON5-like subset.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import field

from smolwf.jsontypes import JSON, JSONObject
from smolwf.records import record
from smolwf.script.lexer import Token, iter_tokens

META_ERROR = (
    "Workflow script must export valid literal metadata as "
    "`export const meta = { name, description, ... }`"
)

META_KEYS = ("name", "description", "whenToUse", "phases", "budget", "rateLimits", "executor")
"""Every key of ``meta`` smol-wf reads (``budget`` holds the hard caps, ``rateLimits`` each
provider's rate limits, ``executor`` where provider calls run unless ``--executor`` says);
others are ignored."""
PHASE_KEYS = ("title", "detail", "model", "provider", "permissions", "resources", "cache")
"""Every key of a ``meta.phases[]`` entry smol-wf reads; others are ignored."""

_MAX_NESTING = 200
_SIMPLE_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_LINE_BREAKS = "\n\r\u2028\u2029"
_LEGACY_OCTAL = re.compile(r"0[0-9]")
_DIGITS = frozenset("0123456789")


@record
class PhaseMeta:
    """One entry of ``meta.phases``; ``model``/``provider``/``permissions`` default agent
    calls in it."""

    title: str
    detail: str | None = None
    model: str | None = None
    provider: str | list[str] | None = None
    """One provider, or a fallback chain tried in order."""
    permissions: str | None = None
    """Checked where it is used, like ``model``: a bad level fails the agent() calls."""
    resources: JSONObject | None = None
    """What each call reserves on a Ray cluster; checked where it is used too."""
    cache: bool | None = None
    """Whether calls in the phase may reuse answers of earlier runs (``--cache``)."""

    def to_json(self) -> JSONObject:
        out: JSONObject = {"title": self.title}
        for key in PHASE_KEYS[1:]:
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@record
class WorkflowMeta:
    """The validated metadata, plus ``raw``: the whole literal, for keys read elsewhere."""

    name: str
    description: str
    when_to_use: str | None
    phases: tuple[PhaseMeta, ...]
    raw: JSONObject = field(hash=False)

    def to_json(self) -> JSONObject:
        """The stored/serialised shape; absent fields and an empty phase list are omitted."""
        out: JSONObject = {"name": self.name, "description": self.description}
        if self.when_to_use is not None:
            out["whenToUse"] = self.when_to_use
        if self.phases:
            out["phases"] = [phase.to_json() for phase in self.phases]
        return out

    def phase(self, title: str) -> PhaseMeta | None:
        """The first phase whose title is exactly ``title``."""
        return next((phase for phase in self.phases if phase.title == title), None)


@record
class MetaProblem:
    """Why a script has no usable ``meta``: the rule it breaks and the line it breaks it on."""

    line: int
    reason: str


@record
class MetaMatch:
    """Where the first ``export const meta =`` was found, and what it parsed to."""

    export_token: Token
    meta: WorkflowMeta | None
    problem: MetaProblem | None = None
    """Set exactly when ``meta`` is None."""


MISSING_META = MetaProblem(1, "the script has no `export const meta = { name, description }`")


def extract_meta(source: str) -> WorkflowMeta | None:
    """Metadata of a workflow script, or None when it has no valid literal ``meta``."""
    match = find_meta(list(iter_tokens(source)))
    return match.meta if match else None


def find_meta(tokens: Sequence[Token]) -> MetaMatch | None:
    """Parse the first ``export const meta =``; later ones are never tried."""
    for index in range(len(tokens) - 3):
        if _is_meta_declaration(tokens, index):
            export = tokens[index]
            parser = _LiteralParser(tokens, index + 4)
            try:
                raw = parser.value(0)
            except _NotLiteral as problem:
                return MetaMatch(export, None, _not_literal(problem.token, export))
            if not isinstance(raw, dict):
                return MetaMatch(export, None, MetaProblem(export.line, _NOT_AN_OBJECT))
            meta = _build_meta(raw)
            if isinstance(meta, _BadField):
                line = parser.key_lines.get(meta.key, export.line)
                return MetaMatch(export, None, MetaProblem(line, meta.reason))
            return MetaMatch(export, meta)
    return None


_NOT_AN_OBJECT = "meta must be an object literal `{ name, description, ... }`"


def _not_literal(token: Token | None, export: Token) -> MetaProblem:
    if token is None:
        return MetaProblem(export.line, "meta is not a complete literal")
    return MetaProblem(
        token.line,
        f"meta must be a pure literal, but `{token.text[:40]}` is not one "
        "(no variables, calls, spreads, computed keys or template substitutions)",
    )


def _is_meta_declaration(tokens: Sequence[Token], index: int) -> bool:
    words = [(token.kind, token.text) for token in tokens[index : index + 4]]
    return words == [("ident", "export"), ("ident", "const"), ("ident", "meta"), ("punct", "=")]


@record
class _BadField:
    """A required ``meta`` key that is missing or of the wrong type."""

    key: str
    reason: str


def _build_meta(raw: JSONObject) -> WorkflowMeta | _BadField:
    for key in ("name", "description"):
        if key not in raw:
            return _BadField(
                key, f"meta.{key} is missing (meta needs a string name and description)"
            )
        if not isinstance(raw[key], str):
            return _BadField(key, f"meta.{key} must be a string")
    name, description = raw["name"], raw["description"]
    assert isinstance(name, str) and isinstance(description, str)
    when = raw.get("whenToUse")
    listed = raw.get("phases")
    entries = listed if isinstance(listed, list) else []
    phases = tuple(phase for entry in entries if (phase := _build_phase(entry)) is not None)
    return WorkflowMeta(
        name=name,
        description=description,
        when_to_use=when if isinstance(when, str) else None,
        phases=phases,
        raw=raw,
    )


def _build_phase(entry: JSON) -> PhaseMeta | None:
    if not isinstance(entry, dict) or not isinstance(title := entry.get("title"), str):
        return None

    def text(key: str) -> str | None:
        value = entry.get(key)
        return value if isinstance(value, str) else None

    provider = entry.get("provider")
    if isinstance(provider, list) and provider and all(isinstance(p, str) for p in provider):
        chain: str | list[str] | None = [p for p in provider if isinstance(p, str)]
    else:
        chain = provider if isinstance(provider, str) else None
    permissions, resources = entry.get("permissions"), entry.get("resources")
    cache = entry.get("cache")
    return PhaseMeta(
        title,
        text("detail"),
        text("model"),
        chain,
        permissions if isinstance(permissions, str) else None,
        resources if isinstance(resources, dict) else None,
        cache if isinstance(cache, bool) else None,
    )


class _NotLiteral(Exception):
    """The value is not a pure literal (or is malformed), so there is no metadata.

    ``token`` is where the parser stopped, when it got that far."""

    def __init__(self, token: Token | None = None) -> None:
        super().__init__()
        self.token = token


class _LiteralParser:
    """Recursive descent over tokens for objects, arrays, strings, numbers and keywords."""

    def __init__(self, tokens: Sequence[Token], index: int) -> None:
        self.tokens = tokens
        self.index = index
        self.key_lines: dict[str, int] = {}
        """The line of each key of the outermost object, for messages."""

    def _take(self) -> Token:
        if self.index >= len(self.tokens):
            raise _NotLiteral
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _take_punct(self, text: str) -> bool:
        if self.index < len(self.tokens) and self.tokens[self.index].text == text:
            self.index += 1
            return True
        return False

    def value(self, nesting: int) -> JSON:
        if nesting > _MAX_NESTING:
            raise _NotLiteral
        token = self._take()
        if token.kind == "punct" and token.text == "{":
            return self._object(nesting + 1)
        if token.kind == "punct" and token.text == "[":
            return self._array(nesting + 1)
        try:
            if token.kind == "punct" and token.text in ("+", "-"):
                number = _decode_number(self._take())
                return -number if token.text == "-" else number
            return _scalar(token)
        except _NotLiteral as problem:
            raise _NotLiteral(problem.token or token) from None

    def _object(self, nesting: int) -> JSONObject:
        out: JSONObject = {}
        while not self._take_punct("}"):
            key_token = self._take()
            try:
                key = _key(key_token)
            except _NotLiteral:
                raise _NotLiteral(key_token) from None
            if nesting == 1:
                self.key_lines.setdefault(key, key_token.line)
            if not self._take_punct(":"):
                raise _NotLiteral(key_token)  # shorthand `{ provider }` or a method
            out[key] = self.value(nesting)
            if not self._take_punct(","):
                if not self._take_punct("}"):
                    raise _NotLiteral(self._current())
                break
        return out

    def _current(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _array(self, nesting: int) -> list[JSON]:
        out: list[JSON] = []
        while not self._take_punct("]"):
            if self.index < len(self.tokens) and self.tokens[self.index].text == ",":
                raise _NotLiteral(self._current())  # a hole
            out.append(self.value(nesting))
            if not self._take_punct(","):
                if not self._take_punct("]"):
                    raise _NotLiteral(self._current())
                break
        return out


def _scalar(token: Token) -> JSON:
    if token.kind in ("string", "template"):
        return _decode_quoted(token)
    if token.kind == "number":
        return _decode_number(token)
    keywords: dict[str, JSON] = {"true": True, "false": False, "null": None}
    if token.kind == "ident" and token.text in keywords:
        return keywords[token.text]
    raise _NotLiteral


def _key(token: Token) -> str:
    if token.kind == "ident" and not token.text.startswith("#"):
        return token.text
    if token.kind == "string":
        return _decode_quoted(token)
    if token.kind == "number":
        return _js_number_string(float(_decode_number(token)))
    raise _NotLiteral  # computed key `[k]:`, spread `...x`, template key


def _decode_number(token: Token) -> int | float:
    text = token.text.replace("_", "")
    if token.kind != "number" or text.endswith("n") or _LEGACY_OCTAL.match(text):
        raise _NotLiteral
    try:
        if text[:2].lower() in ("0x", "0o", "0b"):
            return int(text, 0)
        if any(char in text for char in ".eE"):
            number = float(text)
            if not math.isfinite(number):
                raise _NotLiteral
            return number
        return int(text)
    except ValueError:
        raise _NotLiteral from None


def _js_number_string(number: float) -> str:
    """Format like JS ``Number.prototype.toString``: the property key of a numeric key."""
    from decimal import Decimal  # only numeric keys need it; most scripts have none

    if number == 0:
        return "0"
    digits_tuple, exponent = Decimal(repr(number)).normalize().as_tuple()[1:]
    digits = "".join(map(str, digits_tuple))
    point = int(exponent) + len(digits)  # position of the decimal point
    if len(digits) <= point <= 21:
        return digits + "0" * (point - len(digits))
    if 0 < point <= 21:
        return f"{digits[:point]}.{digits[point:]}"
    if -6 < point <= 0:
        return "0." + "0" * -point + digits
    mantissa = digits if len(digits) == 1 else f"{digits[0]}.{digits[1:]}"
    return f"{mantissa}e{'+' if point > 0 else '-'}{abs(point - 1)}"


def number_value(token: Token) -> int | float | None:
    """The value of a number token as ``meta`` reads it; None for BigInt, legacy octal…"""
    try:
        return _decode_number(token)
    except _NotLiteral:
        return None


def key_value(token: Token) -> str | None:
    """The property name an object key token stands for; None for keys ``meta`` rejects."""
    try:
        return _key(token)
    except _NotLiteral:
        return None


def string_value(token: Token) -> str | None:
    """The value of a string (or substitution-free template) token; None if malformed."""
    if token.kind not in ("string", "template"):
        return None
    try:
        return _decode_quoted(token)
    except _NotLiteral:
        return None


def _decode_quoted(token: Token) -> str:
    """The value of a quoted string or a substitution-free template literal."""
    text, is_template = token.text, token.kind == "template"
    if len(text) < 2 or text[-1] != text[0]:
        raise _NotLiteral  # unterminated
    units = _Unescaper(text[1:-1], template=is_template).run()
    # Lone UTF-16 surrogates (from `\uD800`-style escapes) become U+FFFD; pairs combine.
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


class _Unescaper:
    """Cooks the body of a string literal; surrogate halves are kept as separate chars."""

    def __init__(self, body: str, *, template: bool) -> None:
        self.body = body
        self.template = template
        self.pos = 0
        self.out: list[str] = []

    def run(self) -> str:
        body = self.body
        while self.pos < len(body):
            char = body[self.pos]
            self.pos += 1
            if char == "\\":
                self._escape()
            elif char == "\r" and self.template:
                self._skip_lf()
                self.out.append("\n")
            elif char in "\r\n" and not self.template:
                raise _NotLiteral  # a raw line break ends a JS string: syntax error
            else:
                self.out.append(char)
        return "".join(self.out)

    def _skip_lf(self) -> None:
        if self.body.startswith("\n", self.pos):
            self.pos += 1

    def _escape(self) -> None:
        if self.pos >= len(self.body):
            raise _NotLiteral  # dangling backslash: the literal was unterminated
        char = self.body[self.pos]
        self.pos += 1
        if char in _SIMPLE_ESCAPES:
            self.out.append(_SIMPLE_ESCAPES[char])
        elif char == "u":
            self.out.append(chr(self._unicode_escape()))
        elif char == "x":
            self.out.append(chr(self._hex(2)))
        elif char in _LINE_BREAKS:
            if char == "\r":
                self._skip_lf()  # a line continuation adds nothing
        elif char == "0" and self.body[self.pos : self.pos + 1] not in _DIGITS:
            self.out.append("\0")
        elif self.template and char in _DIGITS:
            raise _NotLiteral  # octal-like escapes are a syntax error in templates
        else:
            self.out.append(char)

    def _unicode_escape(self) -> int:
        if not self.body.startswith("{", self.pos):
            return self._hex(4)
        end = self.body.find("}", self.pos)
        digits = self.body[self.pos + 1 : end] if end > 0 else ""
        if not digits or not _is_hex(digits) or int(digits, 16) > 0x10FFFF:
            raise _NotLiteral
        self.pos = end + 1
        return int(digits, 16)

    def _hex(self, count: int) -> int:
        digits = self.body[self.pos : self.pos + count]
        if len(digits) != count or not _is_hex(digits):
            raise _NotLiteral
        self.pos += count
        return int(digits, 16)


def _is_hex(text: str) -> bool:
    return all(char in "0123456789abcdefABCDEF" for char in text)
