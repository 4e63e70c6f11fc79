"""Provider names to provider objects: the only place the engine learns which providers exist."""

from __future__ import annotations

from smolwf.errors import AgentOptionError
from smolwf.providers.base import Provider

KNOWN_PROVIDERS: tuple[str, ...] = ("debug", "claude-code", "codex", "opencode", "pi")
"""Every name ``--agent-provider`` and ``options.provider`` may use, default first."""

_PLANNED_PROVIDERS = frozenset({"claude-code", "codex", "opencode", "pi"})

_instances: dict[str, Provider] = {}


def create_provider(name: str) -> Provider:
    """The provider called ``name``; raises ``AgentOptionError`` for unknown or missing ones."""
    cached = _instances.get(name)
    if cached is not None:
        return cached
    if name == "debug":
        # Imported here so start-up only pays for the providers a run actually uses.
        from smolwf.providers.debug import DebugProvider

        provider: Provider = DebugProvider()
        _instances[name] = provider
        return provider
    if name in _PLANNED_PROVIDERS:
        raise AgentOptionError(
            f"the {name} provider is not available in this version of smol-wf yet; "
            "use --agent-provider debug"
        )
    raise AgentOptionError(f"Unknown agent provider: {name}")
