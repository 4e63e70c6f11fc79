"""``OpenCodeProvider``: answers ``agent()`` calls with the ``opencode`` CLI, through
``opencode run`` without a schema and a private ``opencode serve`` with one."""

from __future__ import annotations

from smolwf.providers.base import AgentRequest, AgentResult, ProviderEventSink, ProviderSettings
from smolwf.providers.binaries import find_binary
from smolwf.providers.opencode.cli import run_cli_call
from smolwf.providers.opencode.wire import CAPABILITIES


class OpenCodeProvider:
    """Answers ``agent()`` calls with the ``opencode`` CLI."""

    name = "opencode"
    capabilities = CAPABILITIES

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings

    async def run(self, request: AgentRequest, events: ProviderEventSink) -> AgentResult:
        binary = find_binary(self.name, self.settings.binaries)
        if request.has_schema:
            # Imported here: only structured calls need the HTTP client.
            from smolwf.providers.opencode.server import run_structured

            return await run_structured(binary, request, self.settings.env, events)
        return await run_cli_call(binary, request, self.settings.env, events)
