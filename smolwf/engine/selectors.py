"""Model selectors: ``--model-map`` aliases and ``<id>[?provider=<p>&thinking=<level>]`` parsing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from smolwf.errors import AgentOptionError, UsageError
from smolwf.jsontypes import JSONObject
from smolwf.providers.registry import check_selector
from smolwf.records import record

_ALIAS_FORBIDDEN = frozenset("?&=/")


@record
class ModelSelector:
    """One parsed selector; ``requested`` is what the script asked for, before any alias."""

    requested: str
    selector: str
    model_id: str
    provider: str | None = None
    thinking: str | None = None

    @property
    def model(self) -> str:
        """``<provider>/<id>`` when a model provider is known, else the bare id."""
        return f"{self.provider}/{self.model_id}" if self.provider else self.model_id


def parse_model_map(values: Sequence[str]) -> dict[str, str]:
    """Turn repeated ``--model-map alias:selector`` values into a map; later aliases win."""
    model_map: dict[str, str] = {}
    for value in values:
        alias, sep, selector = value.partition(":")
        if not sep:
            raise UsageError("--model-map must use <alias>:<selector>")
        alias, selector = alias.strip(), selector.strip()
        if not alias:
            raise UsageError("--model-map alias must not be empty")
        if not selector:
            raise UsageError("--model-map selector must not be empty")
        if any(char in _ALIAS_FORBIDDEN for char in alias):
            raise UsageError(f"--model-map alias must be a simple name, got: {alias}")
        if selector.startswith("-"):
            raise UsageError(
                f"--model-map selector must not start with '-' (an agent CLI would read it "
                f"as a flag), got: {selector}"
            )
        model_map[alias] = selector
    return model_map


def resolve_model(options: JSONObject, provider: str, model_map: Mapping[str, str]) -> JSONObject:
    """Step 4 of the option pipeline: a new options dict with the model selector resolved."""
    resolved = dict(options)
    requested = options.get("model")
    if not isinstance(requested, str):
        return resolved
    alias_matched = requested in model_map
    try:
        selector = parse_selector(requested, model_map.get(requested, requested))
        check_selector_for_provider(selector, provider)
    except AgentOptionError as error:
        raise AgentOptionError(_selector_problem(error.message, requested, model_map)) from None
    resolved["model"] = selector.model
    if alias_matched or "?" in selector.selector or selector.provider or selector.thinking:
        resolved["requestedModel"] = selector.requested
        resolved["modelSelector"] = selector.selector
    else:
        resolved.pop("requestedModel", None)
        resolved.pop("modelSelector", None)
    _set_or_drop(resolved, "modelProvider", selector.provider)
    _set_or_drop(resolved, "thinking", selector.thinking)
    return resolved


def _selector_problem(message: str, requested: str, model_map: Mapping[str, str]) -> str:
    """Where the bad selector came from, and where to fix it."""
    if requested in model_map:
        entry = f"{requested}:{model_map[requested]}"
        return f"model '{requested}' (--model-map {entry}): {message}; fix that --model-map entry"
    if not requested.strip() or any(char in _ALIAS_FORBIDDEN for char in requested):
        return f"model '{requested}': {message}; use a selector this provider accepts"
    return (
        f"model '{requested}': {message}; use a model this provider accepts, or map "
        f"'{requested}' to one with --model-map {requested}:SELECTOR"
    )


def parse_selector(requested: str, selector: str) -> ModelSelector:
    """Parse ``<id>[?query]``, where ``<id>`` may be ``<provider>/<model>``."""
    model_part, _, query = selector.partition("?")
    if not model_part.strip():
        raise AgentOptionError(f"model selector must include a model id: {selector}")
    slash_provider: str | None = None
    model_id = model_part
    if "/" in model_part:
        slash_provider, _, model_id = model_part.partition("/")
        if not slash_provider or not model_id:
            raise AgentOptionError(f"model selector provider/model form is invalid: {selector}")
    params = _parse_query(query)
    query_provider = params.get("provider")
    if slash_provider and query_provider and slash_provider != query_provider:
        raise AgentOptionError(
            f"conflicting model provider qualifiers in selector `{selector}`: "
            f"`{slash_provider}` and `{query_provider}`"
        )
    return ModelSelector(
        requested=requested,
        selector=selector,
        model_id=model_id,
        provider=slash_provider or query_provider,
        thinking=params.get("thinking"),
    )


def check_selector_for_provider(selector: ModelSelector, provider: str) -> None:
    """Reject selector parts the effective provider cannot express (its capabilities say)."""
    check_selector(provider, selector.provider, selector.thinking)


def _parse_query(query: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in query.split("&") if query else ():
        if not pair:
            continue
        raw_key, sep, raw_value = pair.partition("=")
        if not sep:
            raise AgentOptionError(f"model selector query parameter must use key=value: {pair}")
        key, value = _percent_decode(raw_key), _percent_decode(raw_value)
        if not value:
            raise AgentOptionError(f"model selector query parameter `{key}` must not be empty")
        if key not in ("provider", "thinking"):
            raise AgentOptionError(f"unknown model selector query parameter `{key}`")
        if key in params:
            raise AgentOptionError(f"duplicate model selector query parameter `{key}`")
        params[key] = value
    return params


def _percent_decode(text: str) -> str:
    """Strict form decoding: ``+`` is a space and every ``%`` must start two hex digits."""
    out = bytearray()
    index = 0
    while index < len(text):
        char = text[index]
        if char == "%":
            digits = text[index + 1 : index + 3]
            if len(digits) != 2 or not all(d in "0123456789abcdefABCDEF" for d in digits):
                raise AgentOptionError(f"invalid percent escape in model selector query: {text}")
            out.append(int(digits, 16))
            index += 3
            continue
        out.extend(b" " if char == "+" else char.encode("utf-8"))
        index += 1
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        raise AgentOptionError("model selector query is not valid UTF-8") from None


def _set_or_drop(options: JSONObject, key: str, value: str | None) -> None:
    if value is None:
        options.pop(key, None)
    else:
        options[key] = value
