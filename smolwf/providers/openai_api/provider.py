"""The ``openai`` provider class: what it declares, and the call it makes.

Configured by ``OPENAI_API_KEY`` and ``OPENAI_BASE_URL`` (with ``/v1``), and per run by
``--provider-setting openai.KEY=VALUE`` (see ``model_api.config``). ``api=responses``
(the default) speaks the Responses API; ``api=chat`` speaks Chat Completions, which
OpenAI-compatible servers (vLLM, Ollama, LM Studio, OpenRouter…) offer.
"""

from __future__ import annotations

from smolwf.permissions import DEFAULT_PERMISSIONS
from smolwf.providers.base import AgentRequest
from smolwf.providers.capabilities import Capabilities, EffortLevels, ModelRules, SchemaMode
from smolwf.providers.model_api.client import ApiCall
from smolwf.providers.model_api.config import COMMON_SETTINGS, ApiDefaults
from smolwf.providers.model_api.provider import ModelApiProvider, StreamFold
from smolwf.providers.model_api.schemas import SchemaEnvelope
from smolwf.providers.openai_api.chat import ChatFold, chat_body
from smolwf.providers.openai_api.responses import ResponseFold, response_body
from smolwf.providers.settings import Setting, one_of

DISPLAY_NAME = "OpenAI API"
APIS = ("responses", "chat")


class OpenAIProvider(ModelApiProvider):
    """Answers ``agent()`` calls with the Responses or Chat Completions API, without tools."""

    name = "openai"
    defaults = ApiDefaults(
        display_name=DISPLAY_NAME,
        base_url="https://api.openai.com/v1",
        base_url_env="OPENAI_BASE_URL",
        api_key_env="OPENAI_API_KEY",
    )
    capabilities = Capabilities(
        display_name=DISPLAY_NAME,
        schema_mode=SchemaMode.API,
        # Gateways name models vendor/model (OpenRouter), so that form passes as it is.
        model=ModelRules(model_provider="optional", thinking=True),
        effort=EffortLevels(
            accepted=("none", "minimal", "low", "medium", "high", "xhigh"),
            aliases={"max": "xhigh", "off": "none"},
        ),
        permission_levels=(DEFAULT_PERMISSIONS,),
        tools=False,
        settings=(
            *COMMON_SETTINGS,
            Setting("api", "responses (default) or chat (Chat Completions)", one_of(*APIS)),
        ),
    )

    def prepare(self, request: AgentRequest, model: str) -> tuple[ApiCall, StreamFold]:
        config = self.config
        headers = {} if config.api_key is None else {"authorization": f"Bearer {config.api_key}"}
        headers.update(config.headers)
        effort = self.capabilities.effort.flag_value(request.effort)
        schema = SchemaEnvelope.of(request.schema)
        fold: StreamFold
        if self.options.get("api", APIS[0]) == "chat":
            body = chat_body(request, model, config.max_tokens, effort, schema)
            path, fold = "/chat/completions", ChatFold(config, self.name, request, schema)
        else:
            body = response_body(request, model, config.max_tokens, effort, schema)
            path, fold = "/responses", ResponseFold(config, self.name, request, schema)
        return ApiCall(config.url(path), headers, body, model), fold
