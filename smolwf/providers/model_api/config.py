"""A model API provider's configuration for one run: where it sends requests, with which
key and headers, for which default model, with which limits.

The ecosystem's variables come first (``ANTHROPIC_API_KEY``, ``OPENAI_BASE_URL``…), so a
machine set up for the vendor's SDK works as it is; ``--provider-setting`` overrides them
for one run. The key itself is only ever read from the environment (``api_key_env`` names
another variable), so it never lands on a command line or in the run's record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field

from smolwf.errors import AgentOptionError
from smolwf.providers.settings import Setting, http_url, whole_number
from smolwf.records import record

DEFAULT_MAX_RETRIES = 2
"""Repeats of a request the server refused with 429 or 5xx, or a connection that failed
before any answer (the vendors' SDKs repeat twice too)."""
HEADER_PREFIX = "header."


@record
class ApiDefaults:
    """What a model API provider uses when nothing overrides it."""

    display_name: str
    base_url: str
    base_url_env: str
    api_key_env: str
    max_tokens: int | None = None
    """Sent on every request when not ``None`` (the Messages API requires one)."""


COMMON_SETTINGS: tuple[Setting, ...] = (
    Setting("base_url", "the API's base URL (else the vendor's variable, else its own)", http_url),
    Setting(
        "api_key_env", "the environment variable that holds the API key", changes_answers=False
    ),
    Setting("model", "the model of calls whose agent() options name none"),
    Setting("max_tokens", "the longest answer, in tokens", whole_number(1)),
    Setting(
        "max_retries",
        f"repeats of a request refused with 429/5xx (default {DEFAULT_MAX_RETRIES})",
        whole_number(0),
        changes_answers=False,
    ),
    Setting(
        HEADER_PREFIX,
        "an extra HTTP header on every request (not recorded: it may carry a credential)",
        recorded=False,
    ),
)
"""The settings every model API provider reads."""


@record
class ApiConfig:
    """Everything a model API provider needs to send a request, resolved once per run."""

    display_name: str
    base_url: str
    api_key: str | None
    api_key_env: str
    headers: Mapping[str, str] = field(default_factory=dict)
    model: str | None = None
    max_tokens: int | None = None
    max_retries: int = DEFAULT_MAX_RETRIES

    def url(self, path: str) -> str:
        """``path`` under the base URL, however the base URL ends."""
        return self.base_url.rstrip("/") + path


def api_config(
    defaults: ApiDefaults, options: Mapping[str, str], env: Mapping[str, str]
) -> ApiConfig:
    """The configuration ``options`` (this provider's ``--provider-setting`` values) and
    ``env`` give; raises ``AgentOptionError`` for a value that cannot serve."""
    key_env = options.get("api_key_env") or defaults.api_key_env
    base_url = options.get("base_url") or env.get(defaults.base_url_env) or defaults.base_url
    if not base_url.startswith(("http://", "https://")):
        source = "base_url" if "base_url" in options else defaults.base_url_env
        raise AgentOptionError(
            f"the {defaults.display_name} provider's {source} must be an http:// or https:// "
            f"URL, got {base_url!r}"
        )
    return ApiConfig(
        display_name=defaults.display_name,
        base_url=base_url,
        api_key=env.get(key_env) or None,
        api_key_env=key_env,
        headers={
            key.removeprefix(HEADER_PREFIX): value
            for key, value in options.items()
            if key.startswith(HEADER_PREFIX)
        },
        model=options.get("model") or None,
        max_tokens=_number(options, "max_tokens", defaults.max_tokens),
        max_retries=_number(options, "max_retries", DEFAULT_MAX_RETRIES) or 0,
    )


def _number(options: Mapping[str, str], key: str, default: int | None) -> int | None:
    value = options.get(key)
    if value is None:
        return default
    if not value.isdigit():
        raise AgentOptionError(f"{key} must be a whole number, got {value!r}")
    return int(value)
