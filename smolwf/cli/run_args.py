"""Workflow arguments from the command line: ``--args-<name> [value]`` and args files.

Deliberate divergence from the reference: a key given on the command line
overrides the same key from ``--args-from-file`` instead of turning into an array;
repeating ``--args-<name>`` still collects values into an array.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from smolwf.errors import UsageError
from smolwf.jsontypes import JSON, JSONObject

PREFIX = "--args-"


def parse_cli_args(tokens: Sequence[str]) -> JSONObject:
    """Parse the tokens the option parser did not recognise, left to right."""
    args: JSONObject = {}
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if not token.startswith(PREFIX) or token == PREFIX or token.startswith(PREFIX + "="):
            raise UsageError(
                f"Unknown option: {token}. "
                "Run arguments must use --args-<name> or --args-from-file."
            )
        name, has_value, value = token[len(PREFIX) :].partition("=")
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


def load_args_file(path: Path) -> JSONObject:
    """JSON, or YAML for ``.yaml``/``.yml``; the top level must be an object."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read --args-from-file {path}: {_reason(error)}") from None
    is_yaml = path.suffix.lower() in (".yaml", ".yml")
    try:
        data = _parse_yaml(text) if is_yaml else json.loads(text)
    except ValueError as error:
        kind = "YAML" if is_yaml else "JSON"
        raise UsageError(f"--args-from-file {path} is not valid {kind}: {error}") from None
    if not isinstance(data, dict):
        raise UsageError("--args-from-file must contain a JSON or YAML object")
    return data


def merge_args(files: Sequence[JSONObject], cli: JSONObject) -> JSONObject:
    """Later files override earlier ones; command-line keys override files."""
    merged: JSONObject = {}
    for data in files:
        merged.update(data)
    merged.update(cli)
    return merged


def _parse_yaml(text: str) -> JSON:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValueError(str(error).replace("\n", " ")) from None
    # Round-trip through JSON so dates and other YAML-only types become JSON values.
    return json.loads(json.dumps(data, default=str))  # type: ignore[no-any-return]


def _reason(error: Exception) -> str:
    if isinstance(error, FileNotFoundError):
        return "no such file"
    if isinstance(error, IsADirectoryError):
        return "it is a directory"
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8 text"
    return str(error)
