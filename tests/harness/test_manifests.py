"""The harness manifests, skills and copies have the shape their hosts expect (spec §5)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "harness"
PLUGIN = HARNESS / "plugins" / "smol-workflows"
SKILLS = PLUGIN / "skills"
ASSETS = ROOT / "smolwf" / "assets" / "skills"
SKILL_NAMES = ("create", "list", "run")
HELPER = Path("scripts") / "smol-wf.sh"
SKILL_FILES = (*(Path(name) / "SKILL.md" for name in SKILL_NAMES), HELPER)
DEFAULT_PROMPTS = ["Write a smol-wf workflow for this task.", "Run this smol-workflows script."]


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def front_matter(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), f"{path} has no front matter"
    block, _, body = text[4:].partition("\n---\n")
    assert body.strip(), f"{path} has no body"
    data = yaml.safe_load(block)
    assert isinstance(data, dict)
    return data


def test_claude_marketplace() -> None:
    data = load_json(HARNESS / ".claude-plugin" / "marketplace.json")
    assert data["name"] == "smol-workflows-marketplace"
    assert isinstance(data["description"], str)
    assert data["owner"] == {"name": "b4fun"}
    [plugin] = data["plugins"]
    assert plugin["name"] == "smol-workflows"
    assert plugin["source"] == "./plugins/smol-workflows"
    assert plugin["version"] == "0.1.0"
    assert isinstance(plugin["description"], str)
    assert (HARNESS / plugin["source"] / ".claude-plugin" / "plugin.json").is_file()


def test_claude_plugin() -> None:
    data = load_json(PLUGIN / ".claude-plugin" / "plugin.json")
    assert data["name"] == "smol-workflows"
    assert isinstance(data["description"], str) and data["description"]
    assert data["version"] == "0.1.0"
    assert data["author"] == {"name": "b4fun"}
    assert data["license"] == "MIT"
    assert "smol-wf" in data["keywords"]
    # Claude Code discovers skills from skills/<name>/SKILL.md next to .claude-plugin/.
    for name in SKILL_NAMES:
        assert (PLUGIN / "skills" / name / "SKILL.md").is_file()


def test_codex_marketplace() -> None:
    data = load_json(HARNESS / ".agents" / "plugins" / "marketplace.json")
    assert data["name"] == "smol-workflows-marketplace"
    assert data["interface"]["displayName"] == "smol-workflows"
    [plugin] = data["plugins"]
    assert plugin["name"] == "smol-workflows"
    assert plugin["source"] == {"source": "local", "path": "./plugins/smol-workflows"}
    assert plugin["policy"] == {
        "installation": "AVAILABLE",
        "authentication": "ON_INSTALL",
        "products": ["CODEX"],
    }
    assert plugin["category"] == "Developer Tools"
    assert (HARNESS / plugin["source"]["path"] / ".codex-plugin" / "plugin.json").is_file()


def test_codex_plugin() -> None:
    data = load_json(PLUGIN / ".codex-plugin" / "plugin.json")
    assert data["name"] == "smol-workflows"
    assert data["version"] == "0.1.0"
    assert data["author"] == {"name": "b4fun"}
    assert data["license"] == "MIT"
    assert data["skills"] == "./skills/"
    assert (PLUGIN / data["skills"]).is_dir()
    interface = data["interface"]
    for key in ("displayName", "shortDescription", "longDescription"):
        assert isinstance(interface[key], str) and interface[key]
    assert interface["category"] == "Coding"
    assert interface["capabilities"] == ["Read", "Write"]
    assert interface["defaultPrompt"] == DEFAULT_PROMPTS


def test_pi_package() -> None:
    data = load_json(HARNESS / "pi" / "package.json")
    assert data["type"] == "module"
    assert "pi-package" in data["keywords"]
    assert data["pi"]["extensions"] == ["./extension.ts"]
    assert set(data["peerDependencies"]) == {
        "@earendil-works/pi-ai",
        "@earendil-works/pi-coding-agent",
        "typebox",
    }
    source = (HARNESS / "pi" / "extension.ts").read_text(encoding="utf-8")
    for needle in ('"smol_workflows_list"', '"smol_workflows_run"', "export default function"):
        assert needle in source
    for param in ("path:", "argsFile:", "tokenBudget:", "agentProvider:", "maxParallelAgents:"):
        assert param in source


def test_opencode_package() -> None:
    data = load_json(HARNESS / "opencode" / "package.json")
    assert data["type"] == "module"
    assert "@opencode-ai/plugin" in data["peerDependencies"]
    source = (HARNESS / "opencode" / "plugin.js").read_text(encoding="utf-8")
    assert "export const SmolWorkflowsPlugin" in source


@pytest.mark.parametrize("name", SKILL_NAMES)
def test_skill_front_matter(name: str) -> None:
    data = front_matter(SKILLS / name / "SKILL.md")
    assert data["name"] == name
    assert isinstance(data["description"], str) and len(data["description"]) > 20
    assert isinstance(data["argument-hint"], str) and data["argument-hint"]
    tools = data["allowed-tools"]
    assert isinstance(tools, list) and tools
    assert all(isinstance(tool, str) for tool in tools)
    assert "Bash" in tools


def test_create_skill_covers_runtime() -> None:
    text = (SKILLS / "create" / "SKILL.md").read_text(encoding="utf-8")
    for needle in (
        "schema",
        "retry",
        "label",
        "--model-map",
        "pipeline(",
        "parallelSettled",
        "pipelineSettled",
        "workflow(",
        "meta.budget",
        "budget.remaining()",
        "sleep(",
        "workflow:sandbox",
        "meta.phases",
        "Math.random()",
        "Date.now()",
        "--resume-run",
        "--agent-provider debug",
        "--args-from-file",
        ".agents/workflows/<name>.mjs",
    ):
        assert needle in text, needle
    for pattern in (
        "Fan-out",
        "Adversarial verify",
        "Judge panel",
        "Loop until done",
        "Tournament",
    ):
        assert pattern in text, pattern


@pytest.mark.parametrize("relative", SKILL_FILES, ids=str)
def test_assets_are_byte_identical(relative: Path) -> None:
    assert (ASSETS / relative).read_bytes() == (SKILLS / relative).read_bytes()


def test_assets_hold_only_the_skill_files() -> None:
    found = {p.relative_to(ASSETS) for p in ASSETS.rglob("*") if p.is_file()}
    found = {p for p in found if "__pycache__" not in p.parts}
    assert found == set(SKILL_FILES)


@pytest.mark.parametrize("host", ["opencode", "pi"])
def test_helper_copies_are_identical(host: str) -> None:
    copy = HARNESS / host / "scripts" / "smol-wf.sh"
    assert copy.read_bytes() == (SKILLS / HELPER).read_bytes()


@pytest.mark.parametrize(
    "script",
    [SKILLS / HELPER, ASSETS / HELPER, HARNESS / "opencode" / HELPER, HARNESS / "pi" / HELPER],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_helper_is_executable_bash(script: Path) -> None:
    assert os.access(script, os.X_OK)
    assert script.read_text(encoding="utf-8").startswith("#!/usr/bin/env bash\n")
    subprocess.run(["bash", "-n", str(script)], check=True)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_opencode_plugin_parses() -> None:
    subprocess.run(["node", "--check", str(HARNESS / "opencode" / "plugin.js")], check=True)
