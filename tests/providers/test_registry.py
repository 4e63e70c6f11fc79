"""The provider registry: names to provider objects, with the reference error messages."""

from __future__ import annotations

import pytest

from smolwf.errors import AgentOptionError
from smolwf.providers.base import ProviderSettings
from smolwf.providers.debug import DebugProvider
from smolwf.providers.registry import KNOWN_PROVIDERS, create_provider


def test_debug_name_creates_the_debug_provider() -> None:
    provider = create_provider("debug")
    assert isinstance(provider, DebugProvider)
    assert provider.name == "debug"


@pytest.mark.parametrize("name", ["claude-code", "codex", "pi", "opencode"])
def test_every_cli_provider_is_available_by_its_reference_name(name: str) -> None:
    provider = create_provider(name, ProviderSettings(binaries={name: "/bin/true"}))
    assert provider.name == name


@pytest.mark.parametrize("name", ["nope", "true", "", "Debug"])
def test_unknown_provider_uses_the_reference_message(name: str) -> None:
    with pytest.raises(AgentOptionError) as info:
        create_provider(name)
    assert info.value.message == f"Unknown agent provider: {name}"


def test_known_providers_lists_debug_first_and_every_built_in_name() -> None:
    assert KNOWN_PROVIDERS[0] == "debug"
    assert set(KNOWN_PROVIDERS) == {
        *("debug", "claude-code", "codex", "opencode", "pi"),
        *("anthropic", "openai"),
    }


@pytest.mark.parametrize("name", ["anthropic", "openai"])
def test_every_model_api_provider_is_available_by_its_name(name: str) -> None:
    provider = create_provider(name, ProviderSettings(env={}))
    assert provider.name == name
