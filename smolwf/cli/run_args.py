"""Workflow arguments from the command line: ``--args-<name> [value]``, ``--args-json`` and
args files.

``--args-<name>`` tokens may stand anywhere on the line (before the script, after
``--resume-run`` with no script at all): ``RunCommand`` takes them out before the option
parser sees the rest, so a value is never mistaken for the script path.

Deliberate divergence from the reference: a key given on the command line
overrides the same key from ``--args-from-file`` instead of turning into an array;
repeating ``--args-<name>`` still collects values into an array. An args file or
``--args-json`` may hold any JSON value (Claude Code passes ``args`` verbatim); only
objects merge with other sources.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer.core

from smolwf.errors import UsageError
from smolwf.jsontypes import JSON, JSONObject
from smolwf.records import record

PREFIX = "--args-"
OWN_FLAGS = ("--args-from-file", "--args-json")
"""Real options that share the prefix; the option parser handles them."""
ARGS_TOKENS = "smolwf.args_tokens"
"""The ``ctx.meta`` key holding the ``--args-<name>`` tokens, in order."""
MAX_ARGS_BYTES = 16 * 1024 * 1024
"""The most JSON text a script's args may take (a YAML alias bomb is stopped here)."""


class RunCommand(typer.core.TyperCommand):
    """``run`` and ``tui run``: ``--args-<name>`` tokens go aside before parsing."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """``ctx`` is the vendored click's ``Context``, which typer does not export."""
        tokens, rest = split_args_tokens(args)
        ctx.meta[ARGS_TOKENS] = tokens
        return super().parse_args(ctx, rest)


def split_args_tokens(tokens: Sequence[str]) -> tuple[list[str], list[str]]:
    """(the ``--args-<name> [value]`` tokens, everything else), each in order; a value is
    the next token unless it starts with ``--``. Nothing after ``--`` is taken."""
    taken: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token == "--":
            rest += tokens[index:]
            break
        if not _is_args_token(token):
            rest.append(token)
            index += 1
            continue
        taken.append(token)
        index += 1
        if "=" not in token and index < len(tokens) and not tokens[index].startswith("--"):
            taken.append(tokens[index])
            index += 1
    return taken, rest


def _is_args_token(token: str) -> bool:
    if not token.startswith(PREFIX) or token == PREFIX or token.startswith(PREFIX + "="):
        return False
    return token.partition("=")[0] not in OWN_FLAGS


def parse_cli_args(tokens: Sequence[str], unknown: Sequence[str] = ()) -> JSONObject:
    """Parse the ``--args-<name>`` tokens, left to right; ``unknown`` are the tokens the
    option parser did not recognise, each an error."""
    for token in unknown:
        raise UsageError(
            f"Unknown option: {token}. Run arguments must use --args-<name> or --args-from-file."
        )
    args: JSONObject = {}
    index = 0
    while index < len(tokens):
        name, has_value, value = tokens[index][len(PREFIX) :].partition("=")
        parsed: JSON
        if has_value:
            parsed = value
        elif index + 1 < len(tokens) and not tokens[index + 1].startswith("--"):
            index += 1
            parsed = tokens[index]
        else:
            parsed = True
        _collect(args, name, parsed)
        index += 1
    return args


def _collect(args: JSONObject, name: str, value: JSON) -> None:
    if name not in args:
        args[name] = value
        return
    existing = args[name]
    if isinstance(existing, list):
        existing.append(value)
    else:
        args[name] = [existing, value]


@record
class ArgsValue:
    """One whole args value from a file or ``--args-json``, and how to name its source."""

    source: str
    value: JSON


def load_args_file(path: Path) -> ArgsValue:
    """JSON, or YAML for ``.yaml``/``.yml``: any value, at most ``MAX_ARGS_BYTES``."""
    source = f"--args-from-file {path}"
    try:
        size = path.stat().st_size
        if size > MAX_ARGS_BYTES:
            raise UsageError(f"{source} is {_mib(size)}; {_LIMIT}")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read {source}: {read_failure(error)}") from None
    is_yaml = path.suffix.lower() in (".yaml", ".yml")
    try:
        data = _parse_yaml(text) if is_yaml else json.loads(text)
    except (ValueError, RecursionError) as error:
        kind = "YAML" if is_yaml else "JSON"
        raise UsageError(f"{source} is not valid {kind}: {_one_line(error)}") from None
    if is_yaml and _json_size_exceeds(data, MAX_ARGS_BYTES):
        raise UsageError(
            f"{source} expands to more than {_mib(MAX_ARGS_BYTES)} of JSON "
            f"(YAML aliases repeat what they point at); {_LIMIT}"
        )
    return ArgsValue(source, _as_json(data) if is_yaml else data)


def parse_args_json(text: str) -> ArgsValue:
    """The value of ``--args-json``: one JSON value."""
    source = "--args-json"
    if len(text) > MAX_ARGS_BYTES:
        raise UsageError(f"{source} is {_mib(len(text))}; {_LIMIT}")
    try:
        return ArgsValue(source, json.loads(text))
    except (ValueError, RecursionError) as error:
        raise UsageError(
            f"{source} is not valid JSON ({_one_line(error)}); quote a string: "
            "--args-json '\"a question\"'"
        ) from None


def merge_args(values: Sequence[ArgsValue], flags: JSONObject) -> JSON:
    """Objects merge (later files, then ``--args-json``, then ``--args-<name>`` win);
    any other value must be the only source of args."""
    whole = [item for item in values if not isinstance(item.value, dict)]
    if whole and (len(values) > 1 or flags):
        others = [item.source for item in values if item is not whole[0]]
        if flags:
            others.append("--args-<name> flags")
        raise UsageError(
            f"{whole[0].source} holds {_kind(whole[0].value)}, which cannot be merged with "
            f"{', '.join(others)}: only objects merge; pass the args in one place"
        )
    if whole:
        return whole[0].value
    merged: JSONObject = {}
    for item in values:
        assert isinstance(item.value, dict)
        merged.update(item.value)
    merged.update(flags)
    return merged


_LIMIT = (
    f"a script's args may be at most {MAX_ARGS_BYTES // (1024 * 1024)} MiB of JSON: "
    "pass a path to the data instead and let an agent read it"
)


def _parse_yaml(text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValueError(str(error)) from None


def _json_size_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` written as JSON would pass ``limit`` bytes, found without
    writing it: shared (aliased) values count each time they appear, and the walk stops
    as soon as the limit is passed, so it costs at most ``limit`` steps."""
    budget = limit
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            budget -= 2 + len(item)
            for key, child in item.items():
                budget -= len(str(key)) + 3
                stack.append(child)
        elif isinstance(item, list):
            budget -= 2 + len(item)
            stack.extend(item)
        else:
            budget -= len(item) + 2 if isinstance(item, str) else 8
        if budget < 0:
            return True
    return False


def _as_json(data: Any) -> JSON:
    """Round-trip through JSON so dates and other YAML-only types become JSON values."""
    try:
        return json.loads(json.dumps(data, default=str))  # type: ignore[no-any-return]
    except (TypeError, ValueError, RecursionError) as error:
        raise UsageError(f"the args cannot be written as JSON: {_one_line(error)}") from None


def _kind(value: JSON) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB" if size >= 1024 * 1024 else f"{size} bytes"


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def read_failure(error: Exception) -> str:
    """Why a file could not be read, in a few words (no errno, no repeated path)."""
    if isinstance(error, FileNotFoundError):
        return "no such file"
    if isinstance(error, IsADirectoryError):
        return "it is a directory"
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return str(error)
