"""Turning the text of ``run`` flags into checked values, each refusal one line that names
the flag, what it needs and what it got.

Numbers are parsed here rather than by the option parser: its float type takes ``inf``
and ``nan`` (which only fail later, deep in a run), and its ranges print as ``[x>=1]``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TypeVar

from smolwf import defaults
from smolwf.cluster.settings import (
    DEFAULT_AGENT_RESOURCES,
    EXECUTORS,
    WORKDIR_MODES,
    ExecutorKind,
    ResourceSpecError,
    WorkdirMode,
    parse_resources_text,
)
from smolwf.engine.config import ON_WAIT_MODES, OnWait
from smolwf.engine.inputs import check_provider_options, check_rate_limits
from smolwf.engine.selectors import parse_model_map
from smolwf.errors import AgentOptionError, UsageError
from smolwf.permissions import (
    PERMISSION_LEVELS,
    REFUSAL_POLICIES,
    PermissionLevel,
    RefusalPolicy,
    permission_level,
)
from smolwf.providers.binaries import CLI_PACKAGES
from smolwf.providers.registry import KNOWN_PROVIDERS, capabilities_of, check_provider_name

__all__ = [
    "LOG_LEVELS",
    "agent_resources",
    "budget",
    "count",
    "executor",
    "log_level",
    "max_parallel",
    "model_map",
    "number",
    "on_wait",
    "per_provider",
    "permissions",
    "provider",
    "provider_bins",
    "provider_settings",
    "raw_sessions_dir",
    "refusal_policy",
    "workdir",
]

CLI_PROVIDERS = tuple(CLI_PACKAGES)
LOG_LEVELS = {
    "off": 0,
    "none": 0,
    "quiet": 0,
    "error": 1,
    "warn": 2,
    "warning": 2,
    "info": 3,
    "debug": 4,
    "trace": 5,
}


def count(flag: str, text: str, *, minimum: int, maximum: int = 2**62) -> int:
    """A whole number from ``minimum`` to ``maximum``."""
    value = text.strip()
    if not value.isascii() or not value.isdigit() or not minimum <= int(value) <= maximum:
        top = f" and at most {maximum}" if maximum < 2**62 else ""
        raise UsageError(f"{flag} must be a whole number of at least {minimum}{top}, got {text!r}")
    return int(value)


def number(flag: str, text: str, *, minimum: float = 0.0, maximum: float = 1e9) -> float:
    """A finite number from ``minimum`` to ``maximum`` (not ``inf``, not ``nan``)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not minimum <= value <= maximum:
        raise UsageError(f"{flag} must be a number from {minimum:g} to {maximum:g}, got {text!r}")
    return value


def budget(text: str | None) -> int | None:
    if text is None:
        return None
    if not text.isdigit() or str(int(text)) != text:
        raise UsageError("--budget-allowance must be a non-negative integer")
    return int(text)


def max_parallel(text: str | None) -> int:
    if text is None:
        return defaults.default_max_parallel_agents()
    if not text.isdigit():
        raise UsageError("--max-parallel-agents must be a non-negative integer")
    if int(text) == 0:
        raise UsageError("--max-parallel-agents must be greater than zero")
    return int(text)


def log_level(text: str | None, debug: bool) -> int:
    if debug:
        return LOG_LEVELS["debug"]
    if text is None:
        return 0
    level = LOG_LEVELS.get(text.lower())
    if level is None:
        raise UsageError("--log-level must be one of off, error, warn, info, debug, trace")
    return level


def provider(name: str) -> str:
    try:
        check_provider_name(name)
        if name not in KNOWN_PROVIDERS:
            capabilities_of(name)  # a plug-in that cannot load fails here, not in a call
    except AgentOptionError as error:
        raise UsageError(error.message) from None
    return name


def model_map(values: list[str]) -> dict[str, str]:
    return parse_model_map(values)


def permissions(text: str) -> PermissionLevel:
    level = permission_level(text)
    if level is None:
        levels = ", ".join(PERMISSION_LEVELS)
        raise UsageError(f"--agent-permissions must be one of {levels}, got {text!r}")
    return level


def refusal_policy(text: str) -> RefusalPolicy:
    return _one_of("--on-refusal", text, REFUSAL_POLICIES)


def on_wait(text: str) -> OnWait:
    return _one_of("--on-wait", text, ON_WAIT_MODES)


def raw_sessions_dir(path: Path | None) -> Path | None:
    if path is not None and not path.is_dir():
        raise UsageError("--save-raw-sessions must point to an existing directory")
    return path.resolve() if path is not None else None


def provider_bins(values: list[str]) -> dict[str, str]:
    """``--provider-bin NAME=PATH`` values; a later one for the same provider wins."""
    binaries: dict[str, str] = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not path:
            raise UsageError(f"--provider-bin must be PROVIDER=PATH, got {value!r}")
        if name not in CLI_PROVIDERS:
            known = ", ".join(CLI_PROVIDERS)
            raise UsageError(f"--provider-bin: {name!r} runs no CLI; use one of {known}")
        binaries[name] = path
    return binaries


def provider_settings(values: list[str]) -> dict[str, dict[str, str]]:
    """``--provider-setting PROVIDER.KEY=VALUE`` values, each checked against the keys its
    provider declares; a later one for the same key wins."""
    options: dict[str, dict[str, str]] = {}
    for value in values:
        target, sep, text = value.partition("=")
        name, dot, key = target.partition(".")
        if not sep or not dot or not name or not key:
            raise UsageError(f"--provider-setting must be PROVIDER.KEY=VALUE, got {value!r}")
        options.setdefault(name, {})[key] = text
    check_provider_options(options, "--provider-setting")
    return options


def per_provider(flag: str, values: list[str]) -> dict[str, int]:
    """``PROVIDER=N`` values of a rate-limit flag; a later one for the same provider wins."""
    limits: dict[str, int] = {}
    for value in values:
        name, sep, number = value.partition("=")
        if not sep or not name or not number.isdigit():
            raise UsageError(f"{flag} must be PROVIDER=N, got {value!r}")
        limits[name] = int(number)
    check_rate_limits(limits, flag)
    return limits


def executor(text: str) -> ExecutorKind:
    return _one_of("--executor", text, EXECUTORS)


def agent_resources(text: str | None) -> dict[str, float]:
    if text is None:
        return dict(DEFAULT_AGENT_RESOURCES)
    try:
        return parse_resources_text(text)
    except ResourceSpecError as error:
        raise UsageError(f"--ray-agent-resources {error}") from None


def workdir(text: str | None) -> WorkdirMode | None:
    return _one_of("--ray-workdir", text, WORKDIR_MODES) if text is not None else None


_Choice = TypeVar("_Choice", bound=str)


def _one_of(flag: str, text: str, choices: tuple[_Choice, ...]) -> _Choice:
    """``text`` as the choice it names (typed as the flag's literal), else one line."""
    for choice in choices:
        if text == choice:
            return choice
    raise UsageError(f"{flag} must be {' or '.join(choices)}, got {text!r}")
