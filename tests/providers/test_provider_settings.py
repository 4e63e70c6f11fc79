"""Each provider's own settings: which keys it declares, what a value must be, and how a
model API provider resolves them over the environment and its defaults."""

from __future__ import annotations

import pytest

from smolwf.errors import AgentOptionError
from smolwf.providers.anthropic_api.provider import AnthropicProvider
from smolwf.providers.model_api.config import api_config
from smolwf.providers.openai_api.provider import OpenAIProvider
from smolwf.providers.registry import check_setting, setting_is_recorded

ANTHROPIC = AnthropicProvider.defaults
OPENAI = OpenAIProvider.defaults


def test_a_setting_beats_the_vendors_variable_which_beats_the_default() -> None:
    env = {"ANTHROPIC_BASE_URL": "http://env:1", "ANTHROPIC_API_KEY": "k"}
    assert api_config(ANTHROPIC, {}, {}).base_url == "https://api.anthropic.com"
    assert api_config(ANTHROPIC, {}, env).base_url == "http://env:1"
    assert api_config(ANTHROPIC, {"base_url": "http://set:2"}, env).base_url == "http://set:2"
    assert api_config(OPENAI, {}, {}).url("/responses") == "https://api.openai.com/v1/responses"


def test_the_key_comes_from_the_variable_the_settings_name() -> None:
    env = {"OPENAI_API_KEY": "default-key", "TEAM_KEY": "team-key"}
    assert api_config(OPENAI, {}, env).api_key == "default-key"
    config = api_config(OPENAI, {"api_key_env": "TEAM_KEY"}, env)
    assert (config.api_key, config.api_key_env) == ("team-key", "TEAM_KEY")
    assert api_config(OPENAI, {"api_key_env": "MISSING"}, env).api_key is None


def test_anthropic_always_sends_a_token_limit_and_openai_only_when_set() -> None:
    assert api_config(ANTHROPIC, {}, {}).max_tokens == 4096
    assert api_config(OPENAI, {}, {}).max_tokens is None
    assert api_config(OPENAI, {"max_tokens": "100"}, {}).max_tokens == 100


def test_header_settings_become_headers() -> None:
    config = api_config(OPENAI, {"header.X-Team": "triage", "model": "m"}, {})
    assert config.headers == {"X-Team": "triage"}


def test_a_base_url_from_the_environment_that_is_not_http_fails_in_one_line() -> None:
    with pytest.raises(AgentOptionError) as caught:
        api_config(OPENAI, {}, {"OPENAI_BASE_URL": "localhost:11434"})
    assert caught.value.message == (
        "the OpenAI API provider's OPENAI_BASE_URL must be an http:// or https:// URL, "
        "got 'localhost:11434'"
    )


BAD = [
    ("anthropic", "base_ur", "x", "the Anthropic API provider has no setting 'base_ur' (its "
     "settings: base_url, api_key_env, model, max_tokens, max_retries, header.NAME, "
     "structured_output)"),
    ("anthropic", "max_tokens", "lots", "must be a whole number of at least 1, got 'lots'"),
    ("anthropic", "max_retries", "-1", "must be a whole number of at least 0, got '-1'"),
    ("anthropic", "structured_output", "json", "must be one of tool, output_config, got 'json'"),
    ("openai", "api", "grpc", "must be one of responses, chat, got 'grpc'"),
    ("openai", "base_url", "ftp://x", "must be an http:// or https:// URL, got 'ftp://x'"),
    ("openai", "model", "", "must not be empty, got ''"),
    ("openai", "header.", "x", "the OpenAI API provider has no setting 'header.'"),
    ("claude-code", "model", "x", "the Claude Code provider has no setting 'model' (its "
     "settings: none)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("provider", "key", "value", "message"), BAD, ids=[f"{p}-{k}" for p, k, _, _ in BAD]
)
def test_a_setting_the_provider_does_not_read_or_cannot_use_is_refused(
    provider: str, key: str, value: str, message: str
) -> None:
    with pytest.raises(AgentOptionError) as caught:
        check_setting(provider, key, value)
    assert caught.value.message.startswith(message)


GOOD = [
    ("anthropic", "base_url", "http://localhost:8080"),
    ("anthropic", "header.anthropic-beta", "x"),
    ("anthropic", "max_retries", "0"),
    ("openai", "api", "chat"),
    ("openai", "model", "meta-llama/llama-3.1-8b"),
]


@pytest.mark.parametrize(("provider", "key", "value"), GOOD, ids=[f"{p}-{k}" for p, k, _ in GOOD])
def test_a_setting_the_provider_declares_passes(provider: str, key: str, value: str) -> None:
    check_setting(provider, key, value)


def test_headers_are_not_recorded_for_resumes_since_they_may_carry_a_credential() -> None:
    assert not setting_is_recorded("anthropic", "header.Authorization")
    assert setting_is_recorded("anthropic", "base_url")
    assert setting_is_recorded("handed-in-by-a-program", "anything")
