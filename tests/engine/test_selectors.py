"""Model selectors: ``--model-map`` parsing, selector resolution and per-provider checks."""

from __future__ import annotations

import pytest

from smolwf.engine.selectors import parse_model_map, resolve_model
from smolwf.errors import AgentOptionError, UsageError
from smolwf.jsontypes import JSONObject

DEEP = "gpt-5.5?provider=github-copilot&thinking=medium"


def _usage_message(values: list[str]) -> str:
    with pytest.raises(UsageError) as info:
        parse_model_map(values)
    return info.value.message


def _option_message(
    model: str, provider: str = "debug", model_map: dict[str, str] | None = None
) -> str:
    """What is wrong with the selector, without the note on where to fix it."""
    with pytest.raises(AgentOptionError) as info:
        resolve_model({"model": model}, provider, model_map or {})
    message = info.value.message
    assert message.startswith(f"model '{model}'"), message
    return message.split(": ", 1)[1].rsplit("; ", 1)[0]


def test_a_bad_alias_target_names_the_model_map_entry() -> None:
    with pytest.raises(AgentOptionError) as info:
        resolve_model({"model": "deep"}, "codex", {"deep": "openai/gpt-5"})
    assert info.value.message == (
        "model 'deep' (--model-map deep:openai/gpt-5): Codex model selectors do not support "
        "?provider=... or provider/model form; fix that --model-map entry"
    )


def test_a_bad_model_name_says_how_to_map_it() -> None:
    with pytest.raises(AgentOptionError) as info:
        resolve_model({"model": "fast"}, "opencode", {})
    assert info.value.message.endswith("or map 'fast' to one with --model-map fast:SELECTOR")


# --model-map


def test_model_map_splits_on_the_first_colon() -> None:
    assert parse_model_map([f"deep:{DEEP}", "fast:anthropic/claude:haiku"]) == {
        "deep": DEEP,
        "fast": "anthropic/claude:haiku",
    }


def test_model_map_later_alias_wins() -> None:
    assert parse_model_map(["a:one", "a:two"]) == {"a": "two"}


def test_model_map_without_colon_is_rejected() -> None:
    assert _usage_message(["deep"]) == "--model-map must use <alias>:<selector>"


def test_model_map_empty_alias_is_rejected() -> None:
    assert _usage_message([":gpt"]) == "--model-map alias must not be empty"


def test_model_map_empty_selector_is_rejected() -> None:
    assert _usage_message(["deep:"]) == "--model-map selector must not be empty"


@pytest.mark.parametrize("alias", ["a?b", "a&b", "a=b", "openai/gpt"])
def test_model_map_alias_must_be_a_simple_name(alias: str) -> None:
    assert _usage_message([f"{alias}:gpt"]) == (
        f"--model-map alias must be a simple name, got: {alias}"
    )


def test_model_map_error_is_a_usage_error_with_exit_code_two() -> None:
    with pytest.raises(UsageError) as info:
        parse_model_map(["nope"])
    assert info.value.exit_code == 2


# resolution


def test_deep_alias_expands_into_five_option_fields() -> None:
    options: JSONObject = {"model": "deep", "phase": "Plan"}
    resolved = resolve_model(options, "pi", {"deep": DEEP})
    assert resolved == {
        "model": "github-copilot/gpt-5.5",
        "phase": "Plan",
        "modelProvider": "github-copilot",
        "modelSelector": DEEP,
        "requestedModel": "deep",
        "thinking": "medium",
    }
    assert options == {"model": "deep", "phase": "Plan"}


def test_plain_model_is_kept_without_extra_fields() -> None:
    assert resolve_model({"model": "sonnet"}, "claude-code", {}) == {"model": "sonnet"}


def test_plain_model_drops_stale_selector_fields() -> None:
    stale: JSONObject = {
        "model": "sonnet",
        "requestedModel": "x",
        "modelSelector": "y",
        "modelProvider": "z",
        "thinking": "high",
    }
    assert resolve_model(stale, "debug", {}) == {"model": "sonnet"}


def test_alias_to_plain_model_still_records_request_and_selector() -> None:
    assert resolve_model({"model": "fast"}, "debug", {"fast": "haiku"}) == {
        "model": "haiku",
        "requestedModel": "fast",
        "modelSelector": "haiku",
    }


def test_alias_is_expanded_one_level_only() -> None:
    resolved = resolve_model({"model": "a"}, "debug", {"a": "b", "b": "c"})
    assert resolved["model"] == "b"


def test_slash_form_sets_model_provider() -> None:
    assert resolve_model({"model": "debug/test-model"}, "debug", {}) == {
        "model": "debug/test-model",
        "requestedModel": "debug/test-model",
        "modelSelector": "debug/test-model",
        "modelProvider": "debug",
    }


def test_slash_form_splits_on_the_first_slash_only() -> None:
    resolved = resolve_model({"model": "openrouter/anthropic/claude"}, "pi", {})
    assert resolved["modelProvider"] == "openrouter"
    assert resolved["model"] == "openrouter/anthropic/claude"


def test_question_mark_alone_records_the_selector() -> None:
    assert resolve_model({"model": "gpt?"}, "codex", {}) == {
        "model": "gpt",
        "requestedModel": "gpt?",
        "modelSelector": "gpt?",
    }


def test_matching_slash_and_query_providers_are_accepted() -> None:
    resolved = resolve_model({"model": "p/m?provider=p"}, "opencode", {})
    assert resolved["model"] == "p/m"
    assert resolved["modelProvider"] == "p"


def test_thinking_without_provider() -> None:
    assert resolve_model({"model": "opus?thinking=high"}, "claude-code", {}) == {
        "model": "opus",
        "requestedModel": "opus?thinking=high",
        "modelSelector": "opus?thinking=high",
        "thinking": "high",
    }


def test_query_values_are_percent_decoded_with_plus_as_space() -> None:
    resolved = resolve_model({"model": "m?provider=my%2Fhub&thinking=very+deep%21"}, "pi", {})
    assert resolved["modelProvider"] == "my/hub"
    assert resolved["thinking"] == "very deep!"
    assert resolved["model"] == "my/hub/m"


def test_query_keys_are_percent_decoded_too() -> None:
    assert resolve_model({"model": "m?%74hinking=low"}, "pi", {})["thinking"] == "low"


def test_percent_decoding_handles_utf8_sequences() -> None:
    assert resolve_model({"model": "m?thinking=%C3%A9"}, "pi", {})["thinking"] == "é"


def test_non_string_model_returns_an_unchanged_copy() -> None:
    options: JSONObject = {"model": 5, "thinking": "x"}
    resolved = resolve_model(options, "opencode", {})
    assert resolved == options
    assert resolved is not options
    assert resolve_model({}, "codex", {}) == {}


def test_empty_query_segments_are_skipped() -> None:
    assert resolve_model({"model": "m?&thinking=low&"}, "pi", {})["thinking"] == "low"


# selector errors


def test_unknown_query_parameter_is_rejected() -> None:
    assert _option_message("m?effort=high") == "unknown model selector query parameter `effort`"


def test_duplicate_query_parameter_is_rejected() -> None:
    assert _option_message("m?thinking=low&thinking=high") == (
        "duplicate model selector query parameter `thinking`"
    )


def test_empty_query_value_is_rejected() -> None:
    assert _option_message("m?provider=") == (
        "model selector query parameter `provider` must not be empty"
    )


def test_query_pair_without_equals_is_rejected() -> None:
    assert _option_message("m?thinking") == (
        "model selector query parameter must use key=value: thinking"
    )


def test_conflicting_slash_and_query_providers_are_rejected() -> None:
    message = _option_message("openai/gpt?provider=azure")
    assert message.startswith("conflicting model provider qualifiers in selector ")
    assert message == (
        "conflicting model provider qualifiers in selector `openai/gpt?provider=azure`: "
        "`openai` and `azure`"
    )


@pytest.mark.parametrize("selector", ["", "   ", "?provider=x"])
def test_selector_without_model_id_is_rejected(selector: str) -> None:
    assert _option_message(selector) == f"model selector must include a model id: {selector}"


@pytest.mark.parametrize("selector", ["/gpt", "openai/", "/"])
def test_half_empty_slash_form_is_rejected(selector: str) -> None:
    assert _option_message(selector) == (
        f"model selector provider/model form is invalid: {selector}"
    )


@pytest.mark.parametrize("selector", ["m?thinking=%", "m?thinking=%4", "m?thinking=%zz"])
def test_bad_percent_escape_is_rejected(selector: str) -> None:
    assert _option_message(selector).startswith("invalid percent escape in model selector query")


def test_percent_escape_that_is_not_utf8_is_rejected() -> None:
    assert _option_message("m?thinking=%FF") == "model selector query is not valid UTF-8"


def test_alias_target_is_the_selector_that_gets_validated() -> None:
    assert _option_message("deep", "codex", {"deep": DEEP}) == (
        "Codex model selectors do not support ?provider=... or provider/model form"
    )


# per-provider checks


@pytest.mark.parametrize("selector", ["openai/gpt-5", "gpt-5?provider=openai"])
def test_codex_rejects_a_provider_qualifier(selector: str) -> None:
    assert _option_message(selector, "codex") == (
        "Codex model selectors do not support ?provider=... or provider/model form"
    )


def test_codex_rejects_thinking() -> None:
    assert _option_message("gpt-5?thinking=high", "codex") == (
        "Codex model selectors do not support thinking=..."
    )


def test_codex_accepts_a_plain_model() -> None:
    assert resolve_model({"model": "gpt-5"}, "codex", {}) == {"model": "gpt-5"}


@pytest.mark.parametrize("selector", ["anthropic/opus", "opus?provider=anthropic"])
def test_claude_code_rejects_a_provider_qualifier(selector: str) -> None:
    assert "do not support ?provider" in _option_message(selector, "claude-code")


def test_opencode_requires_a_provider_qualifier() -> None:
    assert _option_message("gpt-5", "opencode") == (
        "OpenCode model selectors must use provider/model or ?provider=..."
    )
    resolved = resolve_model({"model": "gpt-5?provider=openai"}, "opencode", {})
    assert resolved["model"] == "openai/gpt-5"


@pytest.mark.parametrize("provider", ["debug", "pi", "some-future-provider"])
def test_debug_pi_and_unknown_providers_accept_anything(provider: str) -> None:
    resolved = resolve_model({"model": "deep"}, provider, {"deep": DEEP})
    assert resolved["model"] == "github-copilot/gpt-5.5"
    assert resolved["thinking"] == "medium"
