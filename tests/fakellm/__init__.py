"""A scripted local LLM server and the CLI homes that point the real code agents at it."""

from tests.fakellm.homes import cli_bin_dir, cli_env, cli_path, installed_clis
from tests.fakellm.server import FakeLLM

__all__ = ["FakeLLM", "cli_bin_dir", "cli_env", "cli_path", "installed_clis"]
