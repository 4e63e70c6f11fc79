"""Finding each provider's CLI: ``--provider-bin``, then an environment variable, then PATH."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping

from smolwf.errors import ProviderUnavailable
from smolwf.records import record


@record
class CliPackage:
    """Where a provider's executable comes from, for discovery and install hints."""

    provider: str
    command: str
    npm_package: str

    @property
    def env_var(self) -> str:
        """``SMOLWF_<PROVIDER>_BIN``, e.g. ``SMOLWF_CLAUDE_CODE_BIN``."""
        return "SMOLWF_" + self.provider.upper().replace("-", "_") + "_BIN"


CLI_PACKAGES: dict[str, CliPackage] = {
    package.provider: package
    for package in (
        CliPackage("claude-code", "claude", "@anthropic-ai/claude-code"),
        CliPackage("codex", "codex", "@openai/codex"),
        CliPackage("pi", "pi", "@mariozechner/pi-coding-agent"),
        CliPackage("opencode", "opencode", "opencode-ai"),
    )
}


def find_binary(provider: str, overrides: Mapping[str, str]) -> str:
    """The executable to run for ``provider``; raises ``ProviderUnavailable`` in one line."""
    package = CLI_PACKAGES[provider]
    override = overrides.get(provider)
    source = f"--provider-bin {provider}="
    if override is None:
        override = os.environ.get(package.env_var) or None
        source = f"{package.env_var}="
    if override is not None:
        found = shutil.which(override)
        if found is None:
            raise ProviderUnavailable(
                f"{source}{override} is not an executable file: point it at the "
                f"`{package.command}` command of {package.npm_package}"
            )
        return found
    found = shutil.which(package.command)
    if found is None:
        raise ProviderUnavailable(
            f"the {provider} provider needs the `{package.command}` command, which is not on "
            f"PATH: install it with `npm install -g {package.npm_package}`, or name it with "
            f"--provider-bin {provider}=PATH or {package.env_var}"
        )
    return found
