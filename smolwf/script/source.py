"""Turn a workflow file into the ES module text QuickJS evaluates, or say why it cannot run.

Everything that can be checked without running JS is checked here, before any run starts:
the file is readable UTF-8, ``meta`` is a valid literal and imports name only the
built-in modules. Those imports are rewritten into reads of the protected ``SW`` global, so
the sandbox needs no module loader at all. Scripts in the Claude Code form (a top-level
``return``) are wrapped into an async function. Line numbers never change, so stack traces
point at the user's file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from smolwf.errors import ScriptError, ScriptUnreadable
from smolwf.records import record
from smolwf.script.lexer import Token, iter_tokens
from smolwf.script.meta import (
    META_ERROR,
    MISSING_META,
    MetaProblem,
    WorkflowMeta,
    find_meta,
    string_value,
)
from smolwf.script.reading import Unreadable, read_script_bytes

ScriptForm = Literal["module", "claude-code"]

EXTRA_EXPORTS = ("sleep", "parallelSettled", "pipelineSettled", "agentRun")  # plus "default"
SANDBOX_EXPORTS = ("exec",)  # plus "default"
HUMAN_EXPORTS = ("requestApproval", "waitForSignal")  # plus "default"

MODULE_EXPORTS: dict[str, tuple[str, ...]] = {
    "workflow:extra": EXTRA_EXPORTS,
    "workflow:sandbox": SANDBOX_EXPORTS,
    "workflow:human": HUMAN_EXPORTS,
}
"""The only modules a workflow may import, and their named exports (plus ``default``).

The one list: the prelude builds ``SW`` from it (``JsHost.begin_start``), the import rewriting
below and ``smol-wf check`` read it, and the SDK's drift tests compare it with
``sdk-ts/index.d.ts``."""
MODULE_NAMES = ", ".join(list(MODULE_EXPORTS)[:-1]) + " and " + list(MODULE_EXPORTS)[-1]
"""``workflow:extra, workflow:sandbox and workflow:human``, for messages."""
IMPORTS_RESTRICTED = f"workflow imports are restricted; only {MODULE_NAMES} are available"
# Specifier -> (the JS expression holding that module's namespace, its named exports).
_MODULES: dict[str, tuple[str, tuple[str, ...]]] = {
    specifier: (f"SW.{specifier.removeprefix('workflow:')}", exports)
    for specifier, exports in MODULE_EXPORTS.items()
}
_WHOLE_MODULE = ("*", "default")  # imports that bind the whole namespace object
_CC_PREFIX = "export default await (async () => {"
_CC_SUFFIX = "\n})();\n"


@record
class PreparedScript:
    """A checked workflow script and the module text to evaluate in its place."""

    path: Path
    source: str
    module_source: str
    meta: WorkflowMeta
    form: ScriptForm
    sha256: str


@record
class _Edit:
    """Replace ``source[start:end]`` with ``text`` (padded so lines do not move)."""

    start: int
    end: int
    text: str


def load_script(path: Path) -> PreparedScript:
    """Read and prepare the workflow script at ``path``; any problem is a ``ScriptError``."""
    prefix = "failed to resolve workflow script " + str(path).replace("\0", "\\0")
    try:
        resolved = path.resolve()
        data = read_script_bytes(resolved)
    except (OSError, RuntimeError) as exc:  # e.g. a symlink loop
        raise ScriptUnreadable(f"{prefix}: {exc}") from None
    except ValueError:
        raise ScriptUnreadable(f"{prefix}: its path contains a NUL byte") from None
    except Unreadable as why:
        raise ScriptUnreadable(
            f"failed to resolve workflow script {resolved}: {why.reason}"
        ) from None
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScriptUnreadable(
            f"workflow script {resolved} is not valid UTF-8 text "
            f"(invalid byte at offset {exc.start})"
        ) from None
    return prepare_source(source, path=resolved, sha256=hashlib.sha256(data).hexdigest())


def prepare_source(source: str, *, path: Path, sha256: str = "") -> PreparedScript:
    """Check ``source`` and build its module text; ``path`` is only used in messages."""
    tokens = list(iter_tokens(source))
    match = find_meta(tokens)
    if match is None or match.meta is None:
        problem = match.problem if match is not None else None
        raise ScriptError(meta_error(path, problem or MISSING_META))
    edits = _ImportRewriter(tokens, path).edits()
    form: ScriptForm = "claude-code" if _is_claude_code_form(tokens) else "module"
    if form == "claude-code":
        # Inside the wrapper function `meta` becomes a plain local constant.
        edits.append(_Edit(match.export_token.start, match.export_token.end, ""))
        if source.startswith("#!"):
            edits.append(_Edit(0, 2, "//"))  # a hashbang is only legal at offset 0
    text = _apply(source, edits)
    module_source = _CC_PREFIX + text + _CC_SUFFIX if form == "claude-code" else text
    return PreparedScript(
        path=path,
        source=source,
        module_source=module_source,
        meta=match.meta,
        form=form,
        sha256=sha256,
    )


def meta_error(path: Path, problem: MetaProblem) -> str:
    """One message for every metadata problem: where, which rule, then the reference's text."""
    return f"{path}:{problem.line}: {problem.reason}. {META_ERROR}"


def _apply(source: str, edits: Sequence[_Edit]) -> str:
    """Apply non-overlapping edits, keeping every line break (and later columns) in place."""
    pieces: list[str] = []
    cursor = 0
    for edit in sorted(edits, key=lambda edit: edit.start):
        replaced = source[edit.start : edit.end]
        breaks = replaced.count("\n")
        if breaks:
            last_line = len(replaced) - replaced.rfind("\n") - 1
            text = edit.text + "\n" * breaks + " " * last_line
        else:
            text = edit.text.ljust(len(replaced))
        pieces += [source[cursor : edit.start], text]
        cursor = edit.end
    pieces.append(source[cursor:])
    return "".join(pieces)


# ---------------------------------------------------------------- token helpers


def _at(tokens: Sequence[Token], index: int) -> Token | None:
    return tokens[index] if 0 <= index < len(tokens) else None


def _is_punct(token: Token | None, text: str) -> bool:
    return token is not None and token.kind == "punct" and token.text == text


def _is_word(token: Token | None, text: str) -> bool:
    return token is not None and token.kind == "ident" and token.text == text


def _is_keyword(tokens: Sequence[Token], index: int, word: str) -> bool:
    """``tokens[index]`` is ``word`` used as a keyword, not as a property name."""
    before = _at(tokens, index - 1)
    return _is_word(tokens[index], word) and not (_is_punct(before, ".") or _is_punct(before, "?."))


def _closing_brace(tokens: Sequence[Token], open_index: int) -> int | None:
    depth = tokens[open_index].depth
    for index in range(open_index + 1, len(tokens)):
        if _is_punct(tokens[index], "}") and tokens[index].depth == depth:
            return index
    return None


# ---------------------------------------------------------------- script form


def _is_claude_code_form(tokens: Sequence[Token]) -> bool:
    """No default export, and a ``return`` outside every function: Claude Code's form."""
    top_level_return = any(
        token.depth == 0 and _is_keyword(tokens, index, "return")
        for index, token in enumerate(tokens)
    )
    return top_level_return and not _has_default_export(tokens)


def _has_default_export(tokens: Sequence[Token]) -> bool:
    for index, token in enumerate(tokens):
        if token.depth != 0 or not _is_keyword(tokens, index, "export"):
            continue
        following = _at(tokens, index + 1)
        if _is_word(following, "default"):
            return True
        if _is_punct(following, "{") and _clause_exports_default(tokens, index + 1):
            return True
    return False


def _clause_exports_default(tokens: Sequence[Token], open_index: int) -> bool:
    """``export { x as default }`` (or ``as "default"``) inside this clause."""
    close = _closing_brace(tokens, open_index) or len(tokens)
    for index in range(open_index + 1, close - 1):
        if _is_word(tokens[index], "as"):
            name = tokens[index + 1]
            if _is_word(name, "default") or string_value(name) == "default":
                return True
    return False


# ---------------------------------------------------------------- imports


class _Malformed(Exception):
    """An import statement this scanner does not understand."""


@record
class _Import:
    """One static import: ``(local name, imported name)`` pairs and where it ends."""

    bindings: list[tuple[str, str]]
    specifier: Token
    has_attributes: bool
    end: int


class _ImportRewriter:
    """Finds every import/export-from, rejects the restricted ones, rewrites the rest."""

    def __init__(self, tokens: Sequence[Token], path: Path) -> None:
        self.tokens = tokens
        self.path = path

    def _restricted(self, token: Token, what: str) -> ScriptError:
        return ScriptError(f"{IMPORTS_RESTRICTED}: {self.path}:{token.line}: {what}")

    def edits(self) -> list[_Edit]:
        edits: list[_Edit] = []
        for index, token in enumerate(self.tokens):
            if _is_keyword(self.tokens, index, "import"):
                edit = self._import(index)
                if edit is not None:
                    edits.append(edit)
            elif token.depth == 0 and _is_keyword(self.tokens, index, "export"):
                self._check_export(index)
        return edits

    def _import(self, index: int) -> _Edit | None:
        token, following = self.tokens[index], _at(self.tokens, index + 1)
        if _is_punct(following, "("):
            raise self._restricted(token, "dynamic import() is not allowed")
        if _is_punct(following, "."):
            raise self._restricted(token, "import.meta is not available")
        if token.depth != 0:
            return None  # a static import inside a block: QuickJS reports the syntax error
        try:
            statement = _parse_import(self.tokens, index)
        except _Malformed:
            raise self._restricted(token, "unsupported import statement") from None
        target = self._target(token, statement)
        code = _declarations(statement.bindings, target)
        return _Edit(token.start, statement.end, code)

    def _target(self, token: Token, statement: _Import) -> str:
        """The ``SW`` expression to read from, after checking specifier and names."""
        specifier = string_value(statement.specifier)
        if specifier not in _MODULES:
            raise self._restricted(token, f"cannot import {statement.specifier.text}")
        if statement.has_attributes:
            raise self._restricted(token, "import attributes (with/assert) are not supported")
        target, exports = _MODULES[specifier]
        for _local, imported in statement.bindings:
            if imported not in _WHOLE_MODULE and imported not in exports:
                available = ", ".join((*exports, "default"))
                raise ScriptError(
                    f"{self.path}:{token.line}: {specifier} has no export named "
                    f"'{imported}'; available: {available}"
                )
        return target

    def _check_export(self, index: int) -> None:
        token, following = self.tokens[index], _at(self.tokens, index + 1)
        if _is_punct(following, "*"):
            raise self._restricted(token, "re-exporting with `export … from` is not allowed")
        if _is_punct(following, "{"):
            close = _closing_brace(self.tokens, index + 1)
            if close is not None and _is_word(_at(self.tokens, close + 1), "from"):
                raise self._restricted(token, "re-exporting with `export … from` is not allowed")


def _declarations(bindings: Sequence[tuple[str, str]], target: str) -> str:
    """The ``const`` statements equivalent to an import's bindings."""
    statements = [
        f"const {local} = {target};" for local, imported in bindings if imported in _WHOLE_MODULE
    ]
    named = [
        local if local == imported else f"{imported}: {local}"
        for local, imported in bindings
        if imported not in _WHOLE_MODULE
    ]
    if named:
        statements.append(f"const {{{', '.join(named)}}} = {target};")
    return " ".join(statements)


class _Cursor:
    """Reads tokens one at a time; running out or a surprise raises ``_Malformed``."""

    def __init__(self, tokens: Sequence[Token], index: int) -> None:
        self.tokens = tokens
        self.index = index

    def peek(self) -> Token | None:
        return _at(self.tokens, self.index)

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise _Malformed
        self.index += 1
        return token

    def accept(self, text: str) -> Token | None:
        token = self.peek()
        if token is not None and token.kind in ("punct", "ident") and token.text == text:
            self.index += 1
            return token
        return None

    def expect(self, text: str) -> Token:
        token = self.accept(text)
        if token is None:
            raise _Malformed
        return token

    def identifier(self) -> str:
        token = self.take()
        if token.kind != "ident" or token.text.startswith("#"):
            raise _Malformed
        return token.text


def _parse_import(tokens: Sequence[Token], index: int) -> _Import:
    """Parse ``import … from '…'`` (or ``import '…'``) starting at the ``import`` token."""
    cursor = _Cursor(tokens, index + 1)
    bindings: list[tuple[str, str]] = []
    first = cursor.peek()
    if first is None or first.kind != "string":
        bindings = _import_clause(cursor)
        cursor.expect("from")
    specifier = cursor.take()
    if specifier.kind != "string":
        raise _Malformed
    attributes = cursor.peek()
    has_attributes = _is_word(attributes, "with") or (
        _is_word(attributes, "assert")
        and attributes is not None
        and attributes.line == specifier.line
    )
    end = cursor.accept(";") or specifier
    return _Import(bindings, specifier, has_attributes, end.end)


def _import_clause(cursor: _Cursor) -> list[tuple[str, str]]:
    bindings: list[tuple[str, str]] = []
    first = cursor.peek()
    if first is not None and first.kind == "ident":
        bindings.append((cursor.identifier(), "default"))
        if not cursor.accept(","):
            return bindings
    if cursor.accept("*"):
        cursor.expect("as")
        bindings.append((cursor.identifier(), "*"))
    elif cursor.accept("{"):
        bindings += _named_imports(cursor)
    else:
        raise _Malformed
    return bindings


def _named_imports(cursor: _Cursor) -> list[tuple[str, str]]:
    """The inside of ``{ a, b as c, "d" as e }``, after the opening brace."""
    bindings: list[tuple[str, str]] = []
    while not cursor.accept("}"):
        name = cursor.take()
        imported = name.text if name.kind == "ident" else string_value(name)
        if imported is None:
            raise _Malformed
        if cursor.accept("as"):
            local = cursor.identifier()
        elif name.kind == "ident":
            local = imported
        else:
            raise _Malformed
        bindings.append((local, imported))
        if not cursor.accept(","):
            cursor.expect("}")
            break
    return bindings
