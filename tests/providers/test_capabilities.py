"""What each provider declares it can do, read through the registry as the engine reads it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from smolwf import RunReport
from smolwf.errors import AgentOptionError
from smolwf.permissions import PermissionLevel
from smolwf.providers.capabilities import Capabilities, SchemaMode
from smolwf.providers.debug import DebugProvider
from smolwf.providers.registry import (
    KNOWN_PROVIDERS,
    capabilities_of,
    check_permissions,
    check_selector,
)
from tests.conftest import META

EFFORT_FLAGS = [
    ("claude-code", "low", "low"),
    ("claude-code", "medium", "medium"),
    ("claude-code", "high", "high"),
    ("claude-code", "xhigh", "xhigh"),
    ("claude-code", "max", "max"),
    ("claude-code", "minimal", "low"),
    ("claude-code", "off", None),
    ("claude-code", "none", None),
    ("claude-code", None, None),
    ("codex", None, None),
    ("codex", "off", "none"),
    ("codex", "minimal", "minimal"),
    ("codex", "low", "low"),
    ("codex", "medium", "medium"),
    ("codex", "high", "high"),
    ("codex", "xhigh", "xhigh"),
    ("codex", "max", "xhigh"),
    ("codex", "turbo", None),
    ("pi", None, None),
    ("pi", "off", "off"),
    ("pi", "minimal", "minimal"),
    ("pi", "low", "low"),
    ("pi", "medium", "medium"),
    ("pi", "high", "high"),
    ("pi", "xhigh", "xhigh"),
    ("pi", "max", "xhigh"),
    ("pi", "turbo", None),
    ("opencode", "max", "max"),
    ("opencode", "my-variant", "my-variant"),
    ("opencode", None, None),
    ("debug", "high", None),
    ("anthropic", "high", None),
    ("openai", "high", "high"),
    ("openai", "max", "xhigh"),
    ("openai", "off", "none"),
]
"""(provider, effort or a selector's thinking, the value its CLI flag gets or None)."""


@pytest.mark.parametrize(
    ("provider", "effort", "flag"),
    EFFORT_FLAGS,
    ids=[f"{provider}-{effort}" for provider, effort, _ in EFFORT_FLAGS],
)
def test_each_provider_maps_an_effort_onto_its_cli_or_drops_it(
    provider: str, effort: str | None, flag: str | None
) -> None:
    capabilities = capabilities_of(provider)
    assert capabilities is not None
    assert capabilities.effort.flag_value(effort) == flag


@pytest.mark.parametrize("provider", ["claude-code", "codex", "pi"])
def test_a_thinking_level_in_another_case_still_finds_the_cli_level(provider: str) -> None:
    capabilities = capabilities_of(provider)
    assert capabilities is not None
    assert capabilities.effort.flag_value(" High ") == "high"


@pytest.mark.parametrize(
    ("provider", "mode"),
    [
        ("debug", SchemaMode.GENERATED),
        ("claude-code", SchemaMode.FLAG),
        ("codex", SchemaMode.FLAG),
        ("pi", SchemaMode.TOOL),
        ("opencode", SchemaMode.SERVER),
        ("anthropic", SchemaMode.API),
        ("openai", SchemaMode.API),
    ],
)
def test_each_provider_says_how_it_gets_structured_output(provider: str, mode: SchemaMode) -> None:
    capabilities = capabilities_of(provider)
    assert capabilities is not None and capabilities.schema_mode is mode


MODEL_APIS = ("anthropic", "openai")
"""Providers without tools: they answer and change nothing."""


@pytest.mark.parametrize("provider", [name for name in KNOWN_PROVIDERS if name not in MODEL_APIS])
def test_every_agent_provider_declares_that_it_runs_at_every_permission_level(
    provider: str,
) -> None:
    capabilities = capabilities_of(provider)
    assert capabilities is not None
    assert capabilities.tools
    assert capabilities.permission_levels == ("read-only", "edit", "full")
    for level in capabilities.permission_levels:
        check_permissions(provider, level)


@pytest.mark.parametrize(
    ("provider", "level"),
    [(name, level) for name in MODEL_APIS for level in ("edit", "full")],
    ids=[f"{name}-{level}" for name in MODEL_APIS for level in ("edit", "full")],
)
def test_a_provider_without_tools_refuses_any_level_that_could_change_something(
    provider: str, level: PermissionLevel
) -> None:
    check_permissions(provider, "read-only")
    with pytest.raises(AgentOptionError) as caught:
        check_permissions(provider, level)
    assert "has no tools: it only answers and changes nothing" in caught.value.message
    assert f"not '{level}'; give this call or its phase permissions: 'read-only'" in (
        caught.value.message
    )


def test_an_unknown_provider_declares_nothing_and_nothing_is_checked() -> None:
    assert capabilities_of("embedded-by-a-test") is None
    check_selector("embedded-by-a-test", "any", "thing")
    check_permissions("embedded-by-a-test", "full")


def test_a_level_a_provider_lacks_is_refused_in_one_line() -> None:
    narrow = Capabilities("Narrow", SchemaMode.FLAG, permission_levels=("read-only",))
    with pytest.raises(AgentOptionError) as caught:
        narrow.check_permissions("edit")
    assert caught.value.message == (
        "the Narrow provider cannot run agents with permissions 'edit'; it supports 'read-only'"
    )


def test_the_engine_asks_the_registry_before_a_call_starts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, run: Callable[..., RunReport]
) -> None:
    narrow = Capabilities("Debug", SchemaMode.GENERATED, permission_levels=("read-only",))
    monkeypatch.setattr(DebugProvider, "capabilities", narrow)
    script = tmp_path / "wf.mjs"
    script.write_text(
        META
        + "const seen = []\n"
        + "try { await agent('x', { permissions: 'edit' }) } catch (e) { seen.push(e.message) }\n"
        + "seen.push(await agent('y'))\n"
        + "export default seen\n",
        encoding="utf-8",
    )
    report = run(script)
    assert report.result == [
        "the Debug provider cannot run agents with permissions 'edit'; it supports 'read-only'",
        "echo: y",
    ]


def _doc_row(name: str) -> str:
    """The row of docs/providers.md's table that says what ``name`` declares."""
    capabilities = capabilities_of(name)
    assert capabilities is not None
    effort = capabilities.effort
    if effort.accepted is None:
        levels = "any value, as it is"
    elif not effort.accepted:
        levels = "ignored"
    else:
        levels = ", ".join(effort.accepted)
        if effort.aliases:
            levels += "; " + ", ".join(f"{a} → {b}" for a, b in effort.aliases.items())
    upstream = {"rejected": "not allowed", "optional": "optional", "required": "required"}
    permissions = ", ".join(capabilities.permission_levels)
    if not capabilities.tools:
        permissions += " (no tools)"
    return (
        f"| `{name}` | {upstream[capabilities.model.model_provider]} "
        f"| {'yes' if capabilities.model.thinking else 'no'} | {levels} "
        f"| {capabilities.schema_mode} | {permissions} |"
    )


@pytest.mark.parametrize("provider", KNOWN_PROVIDERS)
def test_the_providers_page_says_what_each_provider_declares(provider: str) -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "providers.md").read_text()
    assert _doc_row(provider) in page.splitlines()
