"""SW301–SW305: the options of ``agent()`` and ``agentRun()`` calls, where they are literal.

Each literal option goes through the engine's own option pipeline (``prepare_agent_call``)
on its own, so a value the run would reject is reported with the run's own message, once
per option, before any agent is paid.
"""

from __future__ import annotations

from tree_sitter import Node

from smolwf.check.api import callee
from smolwf.check.context import Context
from smolwf.check.literals import Entry, NotLiteral, evaluate, object_entries
from smolwf.check.parser import arguments, unwrap
from smolwf.check.rules.phases import check_phase_title
from smolwf.check.suggest import did_you_mean
from smolwf.defaults import DEFAULT_PROVIDER
from smolwf.engine.options import AGENT_OPTIONS, prepare_agent_call
from smolwf.errors import AgentOptionError
from smolwf.js.requests import AgentCall
from smolwf.jsontypes import JSON, JSONObject
from smolwf.providers.registry import KNOWN_PROVIDERS, check_provider_name
from smolwf.script.meta import WorkflowMeta

AGENT_FUNCTIONS = ("agent", "agentRun")
OBJECT_ROOT_PROVIDERS = ("codex",)
"""Providers whose CLI takes only an object schema (codex: OpenAI strict structured output)."""
_IGNORED_UNLESS_TEXT = ("model", "label")
"""Options the pipeline ignores, rather than rejects, when they are not strings."""
_PER_PROVIDER = ("model", "permissions")
"""Options checked with the call's own provider: what one accepts, another may refuse."""
_NO_META = WorkflowMeta("", "", None, (), {})
_NOT_OPTIONS = frozenset({"string", "template_string", "number", "array", "true", "false"})


def check_agent_options(ctx: Context) -> None:
    for call in ctx.script.nodes("call_expression"):
        name = callee(ctx, call)
        if name not in AGENT_FUNCTIONS:
            continue
        args = arguments(call)
        if len(args) < 2:
            continue
        options = unwrap(args[1])
        if options.type in _NOT_OPTIONS:
            ctx.report(options, "SW302", f"{name}() options must be an object {{model, …}}")
        elif options.type == "object":
            _options(ctx, options)


def _options(ctx: Context, node: Node) -> None:
    entries = [entry for entry in object_entries(ctx.script, node) if entry.key is not None]
    literal = {entry.key: value for entry in entries if (value := _value(ctx, entry)) is not None}
    provider = literal.get("provider")
    for entry in entries:
        key = entry.key
        assert key is not None
        if key not in AGENT_OPTIONS:
            hint = did_you_mean(key, AGENT_OPTIONS)
            message = f"agent() has no option '{key}'{hint}; unknown options are not read"
            ctx.report(entry.key_node, "SW301", message)
        elif key in literal and entry.value is not None:
            _option(ctx, key, literal[key], entry.value, provider)


def _value(ctx: Context, entry: Entry) -> tuple[JSON] | None:
    """``(value,)`` when the entry's value is a literal (a 1-tuple, since null is one)."""
    if entry.value is None:
        return None
    try:
        return (evaluate(ctx.script, entry.value),)
    except NotLiteral:
        return None


def _option(ctx: Context, key: str, boxed: tuple[JSON], node: Node, provider: object) -> None:
    value = boxed[0]
    if key == "phase" and isinstance(value, str):
        check_phase_title(ctx, value, node)
        return
    if key in _IGNORED_UNLESS_TEXT and value is not None and not isinstance(value, str):
        ctx.report(node, "SW303", f"agent() option {key} must be a string; it is ignored")
        return
    if key == "schema":
        _schema(ctx, value, node, provider)
        return
    options: JSONObject = {key: value}
    if key in _PER_PROVIDER and isinstance(provider, tuple):
        chain = provider[0]
        if _pipeline_problem({"provider": chain}) is None:
            options["provider"] = chain
    problem = _pipeline_problem(options)
    if problem is not None:
        ctx.report(node, "SW302", problem)


def _pipeline_problem(options: JSONObject) -> str | None:
    """The error the run's option pipeline raises for ``options``, or None."""
    try:
        prepare_agent_call(
            AgentCall(0, "", options),
            meta=_NO_META,
            default_provider=DEFAULT_PROVIDER,
            model_map={},
            check_provider=check_provider_name,
        )
    except AgentOptionError as error:
        unknown = "Unknown agent provider: "
        if error.message.startswith(unknown):
            name = error.message.removeprefix(unknown)
            return error.message + did_you_mean(name, KNOWN_PROVIDERS)
        return error.message
    return None


def _schema(ctx: Context, schema: JSON, node: Node, provider: object) -> None:
    from smolwf.check.schemas import schema_error

    problem = schema_error(schema)
    if problem is not None:
        path, message = problem
        where = "".join(f"/{step}" for step in path)
        at = f" at {where}" if where else ""
        ctx.report(
            _node_at(ctx, node, path), "SW304", f"schema is not valid JSON Schema{at}: {message}"
        )
        return
    if _object_root(schema):
        return
    names = provider[0] if isinstance(provider, tuple) else None
    chain = [names] if isinstance(names, str) else names if isinstance(names, list) else []
    strict = [name for name in chain if name in OBJECT_ROOT_PROVIDERS]
    if chain and not strict:
        return  # the call names its providers, and none of them needs an object
    ctx.report(
        node,
        "SW305",
        f"schema's root is not an object, which {', '.join(strict or OBJECT_ROOT_PROVIDERS)} "
        "cannot ask for; wrap it: {type: 'object', properties: {value: …}, required: ['value']}",
        severity="error" if strict else "warning",
    )


def _object_root(schema: JSON) -> bool:
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    return (
        kind == "object"
        or (isinstance(kind, list) and "object" in kind)
        or ("properties" in schema)
    )


def _node_at(ctx: Context, node: Node, path: list[str | int]) -> Node:
    """The literal's sub-node at a JSON path, as deep as the path can be followed."""
    for step in path:
        node = unwrap(node)
        if node.type == "object" and isinstance(step, str):
            entry = next((e for e in object_entries(ctx.script, node) if e.key == step), None)
            if entry is None or entry.value is None:
                break
            node = entry.value
        elif node.type == "array" and isinstance(step, int):
            items = [child for child in node.named_children if child.type != "comment"]
            if step >= len(items):
                break
            node = items[step]
        else:
            break
    return node
