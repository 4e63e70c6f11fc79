"""The ``anthropic`` provider class: what it declares, and the Messages API call it makes.

Configured by ``ANTHROPIC_API_KEY`` and ``ANTHROPIC_BASE_URL`` (without ``/v1``), and per
run by ``--provider-setting anthropic.KEY=VALUE`` (see ``model_api.config``); the API
requires ``max_tokens``, 4096 unless set.
"""

from __future__ import annotations

from smolwf.permissions import DEFAULT_PERMISSIONS
from smolwf.providers.anthropic_api.wire import STRUCTURED_MODES, MessageFold, message_body
from smolwf.providers.base import AgentRequest
from smolwf.providers.capabilities import Capabilities, EffortLevels, ModelRules, SchemaMode
from smolwf.providers.model_api.client import ApiCall
from smolwf.providers.model_api.config import COMMON_SETTINGS, ApiDefaults
from smolwf.providers.model_api.provider import ModelApiProvider, StreamFold
from smolwf.providers.model_api.schemas import SchemaEnvelope
from smolwf.providers.settings import Setting, one_of

DISPLAY_NAME = "Anthropic API"
API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096


class AnthropicProvider(ModelApiProvider):
    """Answers ``agent()`` calls with Anthropic's Messages API, without tools."""

    name = "anthropic"
    defaults = ApiDefaults(
        display_name=DISPLAY_NAME,
        base_url="https://api.anthropic.com",
        base_url_env="ANTHROPIC_BASE_URL",
        api_key_env="ANTHROPIC_API_KEY",
        max_tokens=DEFAULT_MAX_TOKENS,
    )
    capabilities = Capabilities(
        display_name=DISPLAY_NAME,
        schema_mode=SchemaMode.API,
        # Model ids are bare; the Messages API has no reasoning-effort level to map onto.
        model=ModelRules(model_provider="rejected", thinking=False),
        effort=EffortLevels(accepted=()),
        permission_levels=(DEFAULT_PERMISSIONS,),
        tools=False,
        settings=(
            *COMMON_SETTINGS,
            Setting(
                "structured_output",
                "how a schema is asked for: tool (default) or output_config",
                one_of(*STRUCTURED_MODES),
            ),
        ),
    )

    def prepare(self, request: AgentRequest, model: str) -> tuple[ApiCall, StreamFold]:
        config = self.config
        headers = {"anthropic-version": API_VERSION}
        if config.api_key is not None:
            headers["x-api-key"] = config.api_key
        headers.update(config.headers)
        structured = self.options.get("structured_output", STRUCTURED_MODES[0])
        schema = SchemaEnvelope.of(request.schema)
        max_tokens = config.max_tokens or DEFAULT_MAX_TOKENS
        body = message_body(request, model, max_tokens, structured, schema)
        fold = MessageFold(config, self.name, request, schema, structured=structured)
        return ApiCall(config.url("/v1/messages"), headers, body, model), fold
