"""Finding a provider's CLI: flag, then environment variable, then PATH; clear misses."""

from __future__ import annotations

from pathlib import Path

import pytest

from smolwf.errors import ProviderUnavailable
from smolwf.providers.binaries import find_binary


def _executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_path_lookup_finds_the_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    claude = _executable(tmp_path / "claude")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("SMOLWF_CLAUDE_CODE_BIN", raising=False)
    assert find_binary("claude-code", {}) == str(claude)


def test_the_environment_variable_beats_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _executable(tmp_path / "codex")
    other = _executable(tmp_path / "my-codex")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("SMOLWF_CODEX_BIN", str(other))
    assert find_binary("codex", {}) == str(other)


def test_the_flag_beats_the_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMOLWF_PI_BIN", str(_executable(tmp_path / "a")))
    flagged = _executable(tmp_path / "b")
    assert find_binary("pi", {"pi": str(flagged)}) == str(flagged)


def test_a_missing_cli_names_the_npm_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("SMOLWF_OPENCODE_BIN", raising=False)
    with pytest.raises(ProviderUnavailable) as info:
        find_binary("opencode", {})
    assert info.value.message == (
        "the opencode provider needs the `opencode` command, which is not on PATH: install it "
        "with `npm install -g opencode-ai`, or name it with --provider-bin opencode=PATH or "
        "SMOLWF_OPENCODE_BIN"
    )


def test_a_bad_override_says_which_setting_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(ProviderUnavailable) as info:
        find_binary("claude-code", {"claude-code": str(tmp_path / "nope")})
    assert info.value.message.startswith(f"--provider-bin claude-code={tmp_path / 'nope'} is not")
    assert "@anthropic-ai/claude-code" in info.value.message
