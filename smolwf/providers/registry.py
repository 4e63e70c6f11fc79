"""Provider names to provider classes: the only place the engine learns which providers
exist and what each can do.

A provider is one class with one async method, ``run(request, events)``, and a
``capabilities`` attribute (``smolwf.providers.capabilities``). Adding one is a module
under ``smolwf/providers/`` and one line in ``_CLASSES``.
"""

from __future__ import annotations

import functools
import importlib
from typing import Protocol

from smolwf.errors import AgentOptionError
from smolwf.permissions import PermissionLevel
from smolwf.providers.base import Provider, ProviderSettings
from smolwf.providers.capabilities import Capabilities

_CLASSES: dict[str, tuple[str, str]] = {
    "debug": ("smolwf.providers.debug", "DebugProvider"),
    "claude-code": ("smolwf.providers.claude_code", "ClaudeCodeProvider"),
    "codex": ("smolwf.providers.codex", "CodexProvider"),
    "opencode": ("smolwf.providers.opencode.provider", "OpenCodeProvider"),
    "pi": ("smolwf.providers.pi", "PiProvider"),
}
"""Module and class of each provider. Modules are imported on first use, so start-up
only pays for the providers a run names."""

KNOWN_PROVIDERS: tuple[str, ...] = tuple(_CLASSES)
"""Every name ``--agent-provider`` and ``options.provider`` may use, default first."""


class ProviderClass(Protocol):
    """What the registry needs of a provider class."""

    capabilities: Capabilities

    def __call__(self, settings: ProviderSettings) -> Provider: ...


def check_provider_name(name: str) -> None:
    """Raise ``AgentOptionError`` unless ``name`` is a provider smol-wf has."""
    if name not in _CLASSES:
        raise AgentOptionError(f"Unknown agent provider: {name}")


@functools.cache
def _provider_class(name: str) -> ProviderClass:
    check_provider_name(name)
    module_name, class_name = _CLASSES[name]
    provider_class: ProviderClass = getattr(importlib.import_module(module_name), class_name)
    return provider_class


def create_provider(name: str, settings: ProviderSettings | None = None) -> Provider:
    """A new provider called ``name``; raises ``AgentOptionError`` for unknown ones."""
    return _provider_class(name)(settings or ProviderSettings())


def capabilities_of(name: str) -> Capabilities | None:
    """What the provider called ``name`` declares it can do; ``None`` for a name the
    registry does not know (a provider an embedder or a test hands the engine itself),
    of which nothing is checked."""
    return _provider_class(name).capabilities if name in _CLASSES else None


def check_selector(name: str, model_provider: str | None, thinking: str | None) -> None:
    """Raise ``AgentOptionError`` when provider ``name`` cannot express a resolved model
    selector (its upstream provider, its thinking level), or needs a part it lacks."""
    capabilities = capabilities_of(name)
    if capabilities is not None:
        capabilities.check_selector(model_provider, thinking)


def check_permissions(name: str, level: PermissionLevel) -> None:
    """Raise ``AgentOptionError`` when provider ``name`` cannot run agents at ``level``."""
    capabilities = capabilities_of(name)
    if capabilities is not None:
        capabilities.check_permissions(level)
