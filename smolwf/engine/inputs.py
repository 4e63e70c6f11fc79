"""Checks of the per-provider run inputs, shared by the CLI (its flags) and the Python API
(its parameters), so both refuse the same mistakes in the same words before a run starts.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from smolwf.engine.rate_limits import value_problem
from smolwf.errors import AgentOptionError, UsageError
from smolwf.providers.registry import check_provider_name, check_setting


def check_provider(name: str, source: str, handed: Collection[str] = ()) -> None:
    """Raise ``UsageError`` unless ``name`` is a provider smol-wf has or was handed."""
    if name in handed:
        return
    try:
        check_provider_name(name)
    except AgentOptionError as error:
        raise UsageError(f"{source}: {error.message}") from None


def check_choice(value: object, source: str, choices: Collection[str]) -> None:
    """Raise ``UsageError`` unless ``value`` is one of ``choices`` (a permission level…)."""
    if value not in choices:
        raise UsageError(f"{source} must be one of {', '.join(choices)}, got {value!r}")


def check_provider_options(
    options: Mapping[str, Mapping[str, str]], source: str, handed: Collection[str] = ()
) -> None:
    """Raise ``UsageError`` for a setting its provider does not declare or a value that
    does not suit it; ``source`` names the flag or parameter, ``handed`` the providers a
    program handed in (whose settings are theirs to read)."""
    for name, values in options.items():
        if name in handed:
            continue
        for key, value in values.items():
            try:
                check_setting(name, key, value)
            except AgentOptionError as error:
                raise UsageError(f"{source} {name}.{key}: {error.message}") from None


def check_rate_limits(limits: Mapping[str, int], source: str, handed: Collection[str] = ()) -> None:
    """Raise ``UsageError`` for a limit of an unknown provider or one below 1."""
    for name, limit in limits.items():
        check_provider(name, source, handed)
        problem = value_problem(limit)
        if problem is not None:
            raise UsageError(f"{source} {name}: {problem}")
