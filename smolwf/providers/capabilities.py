"""What a provider can do, declared by the provider and read through the registry, so that
the engine asks instead of naming providers.

Each provider class has a ``capabilities`` attribute: which parts of a model selector its
CLI can express, which reasoning levels it honours (and with which flag value), how it
obtains structured output, which permission levels it can run at (a provider with no
tools, a model API, changes nothing and runs only at ``read-only``), and which settings it
reads (``smolwf.providers.settings``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from enum import StrEnum
from typing import Literal, TypeAlias

from smolwf.errors import AgentOptionError
from smolwf.permissions import DEFAULT_PERMISSIONS, PERMISSION_LEVELS, PermissionLevel
from smolwf.providers.settings import Setting
from smolwf.records import record

EFFORT_LEVELS: tuple[str, ...] = ("low", "medium", "high", "xhigh", "max")
"""What the ``effort`` option of ``agent()`` accepts, whatever the provider; each provider
maps a level onto its own flag (``EffortLevels``)."""

ModelProviderRule: TypeAlias = Literal["rejected", "optional", "required"]
"""Whether a selector may, or must, name the model's upstream provider
(``provider/model`` or ``?provider=``)."""


class SchemaMode(StrEnum):
    """How a provider obtains an answer that follows the call's JSON Schema."""

    FLAG = "flag"
    """The CLI takes the schema as an option (``--json-schema``, ``--output-schema``)."""
    SERVER = "server"
    """The CLI's own server API takes it (a private server is started for the call)."""
    TOOL = "tool"
    """A tool whose parameters are the schema; the model's call to it is the answer."""
    GENERATED = "generated"
    """No model: a value is generated from the schema."""
    API = "api"
    """The model API takes the schema (a JSON-schema response format, or a tool the model
    is made to call)."""


@record
class ModelRules:
    """Which parts of a model selector (``<id>?provider=<p>&thinking=<level>``) the CLI
    can express."""

    model_provider: ModelProviderRule = "optional"
    thinking: bool = True


@record
class EffortLevels:
    """The values the CLI's reasoning flag takes. ``accepted`` of ``None``: any value is
    passed as it is; ``aliases`` map a level the CLI lacks onto its nearest one."""

    accepted: tuple[str, ...] | None = ()
    aliases: Mapping[str, str] = field(default_factory=dict)

    def flag_value(self, effort: str | None) -> str | None:
        """The flag value for ``effort`` (the option, or a selector's free-form
        ``thinking``); ``None`` when the CLI has no such level, so no flag is passed."""
        if effort is None:
            return None
        if self.accepted is None:
            return effort
        level = effort.strip().lower()
        level = self.aliases.get(level, level)
        return level if level in self.accepted else None


@record
class Capabilities:
    """Everything the engine may ask about a provider before it runs a call."""

    display_name: str
    schema_mode: SchemaMode
    model: ModelRules = ModelRules()
    effort: EffortLevels = EffortLevels()
    permission_levels: tuple[PermissionLevel, ...] = PERMISSION_LEVELS
    tools: bool = True
    """``False``: the provider has no tools (a model API). It only answers and changes
    nothing, so it runs at ``read-only`` alone: a call asking for ``edit`` or ``full``
    fails before it starts rather than "succeeding" without acting."""
    settings: tuple[Setting, ...] = ()
    """The ``--provider-setting`` keys it reads."""

    def check_selector(self, model_provider: str | None, thinking: str | None) -> None:
        """Raise ``AgentOptionError`` when a resolved selector has a part this provider
        cannot express, or lacks one it needs."""
        rule, name = self.model.model_provider, self.display_name
        if rule == "rejected" and model_provider:
            raise AgentOptionError(
                f"{name} model selectors do not support ?provider=... or provider/model form"
            )
        if rule == "required" and not model_provider:
            raise AgentOptionError(
                f"{name} model selectors must use provider/model or ?provider=..."
            )
        if not self.model.thinking and thinking:
            raise AgentOptionError(f"{name} model selectors do not support thinking=...")

    def check_permissions(self, level: PermissionLevel) -> None:
        """Raise ``AgentOptionError`` when this provider cannot run a call at ``level``."""
        if not self.tools and level != DEFAULT_PERMISSIONS:
            raise AgentOptionError(
                f"the {self.display_name} provider has no tools: it only answers and changes "
                f"nothing, so it runs at permissions '{DEFAULT_PERMISSIONS}' only, not "
                f"'{level}'; give this call or its phase permissions: '{DEFAULT_PERMISSIONS}'"
            )
        if level not in self.permission_levels:
            levels = ", ".join(f"'{known}'" for known in self.permission_levels)
            raise AgentOptionError(
                f"the {self.display_name} provider cannot run agents with permissions "
                f"'{level}'; it supports {levels}"
            )

    def setting(self, key: str) -> Setting | None:
        """The declared setting ``key`` belongs to, if any."""
        return next((setting for setting in self.settings if setting.matches(key)), None)

    def check_setting(self, key: str, value: str) -> None:
        """Raise ``AgentOptionError`` naming the key when this provider does not read it, or
        saying what the value must be (the caller names the key)."""
        setting = self.setting(key)
        if setting is None:
            known = ", ".join(item.shown for item in self.settings) or "none"
            raise AgentOptionError(
                f"the {self.display_name} provider has no setting {key!r} (its settings: {known})"
            )
        problem = setting.check(value)
        if problem is not None:
            raise AgentOptionError(f"{problem}, got {value!r}")
