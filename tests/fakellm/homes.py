"""Config files and environments that point each real CLI at a FakeLLM, and nowhere else.

Each ``*_env(port, home)`` writes the CLI's config under ``home`` (a fresh directory, e.g.
under pytest's ``tmp_path``) and returns the complete environment to run it with: HOME is
``home``, PATH holds only the pinned CLIs, ``node`` and the system directories, and the
switches that stop each CLI's own network traffic are set (see
shared/spec/real-clis-offline.md). Retries are cut down so that errors fail fast.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fakellm.turns import JSONDict

CLIS = ("claude", "codex", "pi", "opencode")
PROVIDER = "fakellm"
MODEL = "fake-model"
CODEX_MODEL = "gpt-5.5"
API_KEY_VAR = "FAKELLM_API_KEY"
SYSTEM_PATH = ("/usr/local/bin", "/usr/bin", "/bin")
CLIS_DIR = Path(__file__).resolve().parent.parent / "clis"


def cli_bin_dir() -> Path:
    """``tests/clis/node_modules/.bin``: where ``npm install --prefix tests/clis`` puts them."""
    return CLIS_DIR / "node_modules" / ".bin"


def cli_path(name: str) -> Path | None:
    path = cli_bin_dir() / name
    return path if path.exists() and os.access(path, os.X_OK) else None


def installed_clis() -> dict[str, bool]:
    node = shutil.which("node") is not None
    return {name: node and cli_path(name) is not None for name in CLIS}


def base_env(home: Path) -> dict[str, str]:
    """The environment every CLI starts from: nothing of the caller's but what is needed."""
    home.mkdir(parents=True, exist_ok=True)
    path = [str(cli_bin_dir())]
    node = shutil.which("node")
    if node is not None:
        path.append(str(Path(node).resolve().parent))
    path += [p for p in SYSTEM_PATH if p not in path]
    return {"PATH": os.pathsep.join(path), "HOME": str(home), "TERM": "dumb", "LANG": "C.UTF-8"}


def _write_json(path: Path, value: JSONDict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2) + "\n", encoding="utf-8")


def claude_env(port: int, home: Path) -> dict[str, str]:
    """claude needs no config file: the base URL (no ``/v1``) and a dummy key do it."""
    return {
        **base_env(home),
        "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{port}",
        "ANTHROPIC_API_KEY": "dummy",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_MAX_RETRIES": "0",
    }


def codex_config(port: int) -> str:
    return f"""\
model = "{CODEX_MODEL}"
model_provider = "{PROVIDER}"
approval_policy = "never"
sandbox_mode = "read-only"
check_for_update_on_startup = false

[analytics]
enabled = false

[features]
plugins = false

[model_providers.{PROVIDER}]
name = "{PROVIDER}"
base_url = "http://127.0.0.1:{port}/v1"
env_key = "{API_KEY_VAR}"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0
"""


def codex_env(port: int, home: Path) -> dict[str, str]:
    codex_home = home / ".codex"
    codex_home.mkdir(parents=True, exist_ok=True)
    (codex_home / "config.toml").write_text(codex_config(port), encoding="utf-8")
    return {**base_env(home), "CODEX_HOME": str(codex_home), API_KEY_VAR: "dummy"}


def pi_models(port: int) -> JSONDict:
    model = {
        "id": MODEL,
        "name": "Fake Model",
        "contextWindow": 128000,
        "maxTokens": 4096,
        "cost": {"input": 3, "output": 15, "cacheRead": 0.3, "cacheWrite": 3.75},
    }
    provider = {
        "baseUrl": f"http://127.0.0.1:{port}/v1",
        "api": "openai-completions",
        "apiKey": API_KEY_VAR,
        "compat": {"supportsDeveloperRole": False, "supportsReasoningEffort": False},
        "models": [model],
    }
    return {"providers": {PROVIDER: provider}}


PI_SETTINGS: JSONDict = {
    "defaultProvider": PROVIDER,
    "defaultModel": MODEL,
    "quietStartup": True,
    "enableInstallTelemetry": False,
    "retry": {"enabled": False, "maxRetries": 0, "provider": {"maxRetries": 0}},
}


def pi_env(port: int, home: Path) -> dict[str, str]:
    agent_dir = home / ".pi" / "agent"
    _write_json(agent_dir / "models.json", pi_models(port))
    _write_json(agent_dir / "settings.json", PI_SETTINGS)
    return {**base_env(home), API_KEY_VAR: "dummy", "PI_OFFLINE": "1"}


def opencode_config(port: int) -> JSONDict:
    model = {
        "name": "Fake Model",
        "limit": {"context": 128000, "output": 4096},
        "cost": {"input": 3, "output": 15},
    }
    provider = {
        "npm": "@ai-sdk/openai-compatible",
        "name": PROVIDER,
        "options": {"baseURL": f"http://127.0.0.1:{port}/v1", "apiKey": f"{{env:{API_KEY_VAR}}}"},
        "models": {MODEL: model},
    }
    return {
        "$schema": "https://opencode.ai/config.json",
        "model": f"{PROVIDER}/{MODEL}",
        "small_model": f"{PROVIDER}/{MODEL}",
        "autoupdate": False,
        "share": "disabled",
        "provider": {PROVIDER: provider},
    }


def opencode_env(port: int, home: Path) -> dict[str, str]:
    _write_json(home / ".config" / "opencode" / "opencode.json", opencode_config(port))
    return {
        **base_env(home),
        API_KEY_VAR: "dummy",
        "OPENCODE_DISABLE_MODELS_FETCH": "1",
        "OPENCODE_DISABLE_AUTOUPDATE": "1",
        "OPENCODE_DISABLE_SHARE": "1",
        "OPENCODE_DISABLE_PROJECT_CONFIG": "1",
        "npm_config_offline": "true",
    }


CLI_ENVS: dict[str, Callable[[int, Path], dict[str, str]]] = {
    "claude": claude_env,
    "codex": codex_env,
    "pi": pi_env,
    "opencode": opencode_env,
}


def cli_env(name: str, port: int, home: Path) -> dict[str, str]:
    return CLI_ENVS[name](port, home)


def require_cli(name: str) -> None:
    """Skip the test when CLI ``name`` is not installed; fail instead under
    ``SMOLWF_REQUIRE_REAL_CLIS=1`` (CI), so a missing CLI never passes silently."""
    if installed_clis()[name]:
        return
    if os.environ.get("SMOLWF_REQUIRE_REAL_CLIS") == "1":
        pytest.fail(f"{name} is not installed: npm install --prefix tests/clis")
    pytest.skip(f"{name} is not installed (npm install --prefix tests/clis)")
