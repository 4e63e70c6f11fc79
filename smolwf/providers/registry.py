"""Provider names to provider objects: the only place the engine learns which providers exist."""

from __future__ import annotations

import importlib

from smolwf.errors import AgentOptionError
from smolwf.providers.base import Provider, ProviderSettings

KNOWN_PROVIDERS: tuple[str, ...] = ("debug", "claude-code", "codex", "opencode", "pi")
"""Every name ``--agent-provider`` and ``options.provider`` may use, default first."""

_CLASSES: dict[str, tuple[str, str]] = {
    "debug": ("smolwf.providers.debug", "DebugProvider"),
    "claude-code": ("smolwf.providers.claude_code", "ClaudeCodeProvider"),
    "codex": ("smolwf.providers.codex", "CodexProvider"),
    "opencode": ("smolwf.providers.opencode.provider", "OpenCodeProvider"),
    "pi": ("smolwf.providers.pi", "PiProvider"),
}


def check_provider_name(name: str) -> None:
    """Raise ``AgentOptionError`` unless ``name`` is a provider smol-wf has."""
    if name not in _CLASSES:
        raise AgentOptionError(f"Unknown agent provider: {name}")


def create_provider(name: str, settings: ProviderSettings | None = None) -> Provider:
    """A new provider called ``name``; raises ``AgentOptionError`` for unknown ones.

    Modules are imported here so start-up only pays for the providers a run uses.
    """
    check_provider_name(name)
    module_name, class_name = _CLASSES[name]
    module = importlib.import_module(module_name)
    provider: Provider = getattr(module, class_name)(settings or ProviderSettings())
    return provider
