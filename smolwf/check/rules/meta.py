"""SW101–SW108: the static ``export const meta = {…}`` every workflow needs.

The loader reads meta from the source text (``smolwf.script.meta``) and refuses a script
whose meta is missing, not a pure literal or without a string name and description; it
silently ignores values of the wrong type. This rule reports both, at the property that
is wrong, and records the phase titles for the phase rule.
"""

from __future__ import annotations

from tree_sitter import Node

from smolwf.check.context import Context
from smolwf.check.literals import Entry, NotLiteral, evaluate, object_entries
from smolwf.check.suggest import did_you_mean
from smolwf.cluster.settings import EXECUTORS, ResourceSpecError, parse_resources
from smolwf.engine.caps import CAP_FLAGS
from smolwf.engine.rate_limits import META_KEYS as RATE_LIMIT_KEYS
from smolwf.engine.rate_limits import limit_problem
from smolwf.engine.selectors import parse_selector
from smolwf.errors import AgentOptionError
from smolwf.jsontypes import JSON
from smolwf.permissions import PERMISSION_LEVELS, permission_level
from smolwf.providers.registry import KNOWN_PROVIDERS, check_provider_name
from smolwf.script.meta import META_ERROR, META_KEYS, PHASE_KEYS, extract_meta

_MISSING = (
    "the workflow has no `export const meta = { name, description }`; "
    "smol-wf reads it before the script runs"
)


def check_meta(ctx: Context) -> None:
    declarator = _declarator(ctx, exported=True)
    if declarator is None:
        plain = _declarator(ctx, exported=False)
        hint = "; `meta` is declared but not exported as a const" if plain is not None else ""
        ctx.report(plain, "SW101", _MISSING + hint)
        return
    value = declarator.child_by_field_name("value")
    name = declarator.child_by_field_name("name")
    if value is None or value.type != "object":
        ctx.report(value or name, "SW102", "meta must be an object literal `{ name, … }`")
        return
    try:
        evaluate(ctx.script, value)
    except NotLiteral as problem:
        ctx.report(problem.node, "SW102", f"meta must be a pure literal: {problem.why}")
    entries = object_entries(ctx.script, value)
    spread = any(entry.key is None for entry in entries)  # a spread may hold name and description
    _fields(ctx, name or value, {e.key: e for e in entries if e.key}, spread=spread)
    if extract_meta(ctx.script.source) is None and not ctx.has_error("SW101", "SW102", "SW103"):
        ctx.report(name, "SW102", META_ERROR)  # the loader's verdict wins over this rule's


def _declarator(ctx: Context, *, exported: bool) -> Node | None:
    """The first top-level ``[export] const meta = …`` declarator."""
    for statement in ctx.script.root.named_children:
        declaration = statement
        if statement.type == "export_statement":
            declaration = statement.child_by_field_name("declaration") or statement
        elif exported:
            continue
        if declaration.type not in ("lexical_declaration", "variable_declaration"):
            continue
        if exported and ctx.script.text(declaration).split(None, 1)[0] != "const":
            continue
        for declarator in declaration.named_children:
            name = declarator.child_by_field_name("name")
            if name is not None and ctx.script.text(name) == "meta":
                return declarator
    return None


def _literal(ctx: Context, node: Node | None) -> tuple[bool, JSON]:
    """(True, value) when ``node`` is a pure literal; (False, None) otherwise."""
    if node is None:
        return False, None
    try:
        return True, evaluate(ctx.script, node)
    except NotLiteral:
        return False, None


def _fields(ctx: Context, anchor: Node, entries: dict[str, Entry], *, spread: bool) -> None:
    for key in ("name", "description"):
        entry = entries.get(key)
        if entry is None:
            if not spread:
                ctx.report(anchor, "SW103", f"meta needs a {key} (a string)")
            continue
        known, value = _literal(ctx, entry.value)
        if known and not isinstance(value, str):
            ctx.report(entry.value, "SW103", f"meta.{key} must be a string")
    when = entries.get("whenToUse")
    if when is not None:
        known, value = _literal(ctx, when.value)
        if known and not isinstance(value, str):
            ctx.report(when.value, "SW104", "meta.whenToUse must be a string; it is ignored")
    if "executor" in entries:
        known, value = _literal(ctx, entries["executor"].value)
        if known and value not in EXECUTORS:
            kinds = " or ".join(f"'{kind}'" for kind in EXECUTORS)
            ctx.report(
                entries["executor"].value, "SW104", f"meta.executor must be {kinds}; it is ignored"
            )
    if "budget" in entries:
        _budget(ctx, entries["budget"])
    if "phases" in entries:
        _phases(ctx, entries["phases"])
    if "rateLimits" in entries:
        _rate_limits(ctx, entries["rateLimits"])
    for key, entry in entries.items():
        if key not in META_KEYS:
            ctx.report(
                entry.key_node,
                "SW107",
                f"meta.{key} is not read by smol-wf{did_you_mean(key, META_KEYS)}",
            )


def _budget(ctx: Context, entry: Entry) -> None:
    if entry.value is None or entry.value.type != "object":
        known, _ = _literal(ctx, entry.value)
        if known:
            caps = ", ".join(CAP_FLAGS)
            ctx.report(entry.value, "SW104", f"meta.budget must be an object of {caps}")
        return
    for cap in object_entries(ctx.script, entry.value):
        if cap.key is None:
            continue
        if cap.key not in CAP_FLAGS:
            hint = did_you_mean(cap.key, CAP_FLAGS)
            ctx.report(cap.key_node, "SW107", f"meta.budget.{cap.key} is not a cap{hint}")
            continue
        known, value = _literal(ctx, cap.value)
        if known and (isinstance(value, bool) or not isinstance(value, int | float)):
            ctx.report(cap.value, "SW104", f"meta.budget.{cap.key} must be a number; it is ignored")


def _rate_limits(ctx: Context, entry: Entry) -> None:
    """``{provider: {concurrency, requestsPerMinute}}``: a bad limit stops the run."""
    shape = "must be an object of {provider: {concurrency, requestsPerMinute}}"
    if entry.value is None or entry.value.type != "object":
        if _literal(ctx, entry.value)[0]:
            ctx.report(entry.value, "SW108", f"meta.rateLimits {shape}")
        return
    for provider in object_entries(ctx.script, entry.value):
        if provider.key is None:
            continue
        where = f"meta.rateLimits.{provider.key}"
        try:
            check_provider_name(provider.key)
        except AgentOptionError as error:
            hint = did_you_mean(provider.key, KNOWN_PROVIDERS)
            ctx.report(provider.key_node, "SW108", f"{where}: {error.message}{hint}")
        if provider.value is None or provider.value.type != "object":
            if _literal(ctx, provider.value)[0]:
                ctx.report(
                    provider.value,
                    "SW108",
                    f"{where} must be an object of concurrency and requestsPerMinute",
                )
            continue
        for limit in object_entries(ctx.script, provider.value):
            known, value = _literal(ctx, limit.value)
            if limit.key is None or not (known or limit.key not in RATE_LIMIT_KEYS):
                continue
            problem = limit_problem(limit.key, value)
            if problem is not None:
                node = limit.value if limit.key in RATE_LIMIT_KEYS else limit.key_node
                ctx.report(node, "SW108", f"{where}.{limit.key} {problem}")


def _phases(ctx: Context, entry: Entry) -> None:
    node = entry.value
    if node is None or node.type != "array":
        known, _ = _literal(ctx, node)
        if known:
            ctx.report(node, "SW105", "meta.phases must be an array of {title, …}; it is ignored")
        return
    titles: list[str] = []
    elements = [child for child in node.named_children if child.type != "comment"]
    for index, element in enumerate(elements):
        title = _phase(ctx, element, f"meta.phases[{index}]")
        if title is None:
            continue
        if title in titles:
            ctx.report(
                element,
                "SW105",
                f"meta.phases[{index}] repeats the title '{title}'; only the first is used",
            )
        titles.append(title)
    ctx.phase_titles = tuple(titles)


def _phase(ctx: Context, element: Node, where: str) -> str | None:
    """Check one phase entry; its title when it has a literal string one."""
    if element.type != "object":
        known, _ = _literal(ctx, element)
        if known:
            ctx.report(element, "SW105", f"{where} must be an object {{title, …}}; it is dropped")
        return None
    entries = {e.key: e for e in object_entries(ctx.script, element) if e.key}
    title_entry = entries.get("title")
    title: JSON = None
    if title_entry is None:
        ctx.report(element, "SW105", f"{where} has no title; it is dropped")
    else:
        known, title = _literal(ctx, title_entry.value)
        if known and not isinstance(title, str):
            ctx.report(title_entry.value, "SW105", f"{where}.title must be a string; it is dropped")
    for key, entry in entries.items():
        if key not in PHASE_KEYS:
            hint = did_you_mean(key, PHASE_KEYS)
            ctx.report(entry.key_node, "SW107", f"{where}.{key} is not read by smol-wf{hint}")
        elif key != "title":
            _phase_default(ctx, entry, f"{where}.{key}")
    return title if isinstance(title, str) else None


def _phase_default(ctx: Context, entry: Entry, where: str) -> None:
    """``detail``, ``model``, ``provider``, ``permissions``, ``resources``, ``cache`` of one
    phase."""
    known, value = _literal(ctx, entry.value)
    if not known or entry.value is None:
        return
    key = entry.key
    if key == "provider":
        _phase_provider(ctx, entry.value, value, where)
    elif key == "resources":
        try:
            parse_resources(value)
        except ResourceSpecError as error:
            ctx.report(entry.value, "SW106", f"{where} {error}: agent() calls in this phase fail")
    elif key == "cache":
        if not isinstance(value, bool):
            ctx.report(entry.value, "SW105", f"{where} must be true or false; it is ignored")
    elif not isinstance(value, str):
        ctx.report(entry.value, "SW105", f"{where} must be a string; it is ignored")
    elif key == "permissions" and permission_level(value) is None:
        levels = ", ".join(f"'{level}'" for level in PERMISSION_LEVELS)
        ctx.report(
            entry.value,
            "SW106",
            f"{where} must be one of {levels}, got '{value}': agent() calls in this phase fail",
        )
    elif key == "model":
        try:
            parse_selector(value, value)
        except AgentOptionError as error:
            ctx.report(entry.value, "SW106", f"{where}: {error.message}")


def _phase_provider(ctx: Context, node: Node, value: JSON, where: str) -> None:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        ctx.report(
            node,
            "SW105",
            f"{where} must be a provider name or an array of them; it is ignored",
        )
        return
    items = [node] if node.type != "array" else list(node.named_children)
    for name, item in zip(names, items, strict=False):
        try:
            check_provider_name(str(name))
        except AgentOptionError as error:
            hint = did_you_mean(str(name), KNOWN_PROVIDERS)
            ctx.report(item, "SW106", f"{where}: {error.message}{hint}")
