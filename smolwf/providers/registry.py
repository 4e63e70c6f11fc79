"""Provider names to provider classes: the only place the engine learns which providers
exist and what each can do.

A provider is one class with one async method, ``run(request, events)``, and a
``capabilities`` attribute (``smolwf.providers.capabilities``). Adding one to smol-wf is a
module under ``smolwf/providers/`` and one line in ``_CLASSES``; an installed package adds
one with an entry point in the ``smolwf.providers`` group (``name = "module:Class"``). A
built-in name wins over a plug-in's.
"""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING, Protocol

from smolwf.errors import AgentOptionError
from smolwf.permissions import PermissionLevel
from smolwf.providers.base import Provider, ProviderSettings
from smolwf.providers.capabilities import Capabilities
from smolwf.providers.settings import Setting

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

ENTRY_POINT_GROUP = "smolwf.providers"
"""The entry point group through which an installed package adds a provider."""

_CLASSES: dict[str, tuple[str, str]] = {
    "debug": ("smolwf.providers.debug", "DebugProvider"),
    "claude-code": ("smolwf.providers.claude_code", "ClaudeCodeProvider"),
    "codex": ("smolwf.providers.codex", "CodexProvider"),
    "opencode": ("smolwf.providers.opencode.provider", "OpenCodeProvider"),
    "pi": ("smolwf.providers.pi", "PiProvider"),
    "anthropic": ("smolwf.providers.anthropic_api.provider", "AnthropicProvider"),
    "openai": ("smolwf.providers.openai_api.provider", "OpenAIProvider"),
}
"""Module and class of each provider. Modules are imported on first use, so start-up
only pays for the providers a run names."""

KNOWN_PROVIDERS: tuple[str, ...] = tuple(_CLASSES)
"""Every built-in name ``--agent-provider`` and ``options.provider`` may use, default first
(plug-ins come on top of these)."""


class ProviderClass(Protocol):
    """What the registry needs of a provider class."""

    capabilities: Capabilities

    def __call__(self, settings: ProviderSettings) -> Provider: ...


@functools.cache
def plugins() -> dict[str, EntryPoint]:
    """The providers installed packages add, by name; looked up only for a name that is
    not built in, so runs that name none pay nothing for the scan (or the import)."""
    from importlib.metadata import entry_points

    found: dict[str, EntryPoint] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name not in _CLASSES:
            found.setdefault(entry.name, entry)
    return found


def check_provider_name(name: str) -> None:
    """Raise ``AgentOptionError`` unless ``name`` is a provider smol-wf has."""
    if name not in _CLASSES and name not in plugins():
        raise AgentOptionError(f"Unknown agent provider: {name}")


@functools.cache
def _provider_class(name: str) -> ProviderClass:
    check_provider_name(name)
    if name not in _CLASSES:
        return _plugin_class(name, plugins()[name])
    module_name, class_name = _CLASSES[name]
    provider_class: ProviderClass = getattr(importlib.import_module(module_name), class_name)
    return provider_class


def _plugin_class(name: str, entry: EntryPoint) -> ProviderClass:
    """The class an entry point names; one line naming the package when it cannot serve."""
    source = f"the {name} provider (entry point {entry.value!r} in group {ENTRY_POINT_GROUP})"
    try:
        loaded = entry.load()
    except Exception as error:  # a broken plug-in must not take the run with a traceback
        raise AgentOptionError(
            f"{source} could not be loaded: {type(error).__name__}: {error}"
        ) from None
    if not isinstance(getattr(loaded, "capabilities", None), Capabilities) or not callable(loaded):
        raise AgentOptionError(
            f"{source} is not a provider class: it needs a `capabilities` attribute "
            "(smolwf.Capabilities) and must take a ProviderSettings when called"
        )
    provider_class: ProviderClass = loaded
    return provider_class


def create_provider(name: str, settings: ProviderSettings | None = None) -> Provider:
    """A new provider called ``name``; raises ``AgentOptionError`` for unknown ones."""
    return _provider_class(name)(settings or ProviderSettings())


def capabilities_of(name: str) -> Capabilities | None:
    """What the provider called ``name`` declares it can do; ``None`` for a name the
    registry does not know (a provider an embedder or a test hands the engine itself),
    of which nothing is checked."""
    if name not in _CLASSES and name not in plugins():
        return None
    return _provider_class(name).capabilities


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


def check_setting(name: str, key: str, value: str) -> None:
    """Raise ``AgentOptionError`` unless provider ``name`` reads setting ``key`` and
    ``value`` suits it."""
    check_provider_name(name)
    capabilities = _provider_class(name).capabilities
    capabilities.check_setting(key, value)


def setting_is_recorded(name: str, key: str) -> bool:
    """Whether a run stores ``name.key`` for its resumes (not a credential-bearing header)."""
    setting = _declared_setting(name, key)
    return setting is None or setting.recorded


def setting_changes_answers(name: str, key: str) -> bool:
    """Whether ``name.key`` may change the provider's answers, so equal calls made with
    different values must not share a cached answer (a header never counts: it is not
    recorded, and may carry a credential)."""
    setting = _declared_setting(name, key)
    return setting is None or (setting.recorded and setting.changes_answers)


def _declared_setting(name: str, key: str) -> Setting | None:
    """The setting provider ``name`` declares for ``key``; ``None`` for an unknown one."""
    capabilities = capabilities_of(name)
    return capabilities.setting(key) if capabilities is not None else None
