"""A provider from an installed package, as a team's in-house gateway would be written:
only the public API (``import smolwf``), registered through the ``smolwf.providers``
entry point group. It shouts the prompt back (a setting adds a suffix).

``tests/e2e/test_plugin_provider.py`` installs it the way pip would (a ``.dist-info``
with its entry point, on ``PYTHONPATH``) and runs it from ``smol-wf run``.
"""

from __future__ import annotations

import smolwf


class ShoutProvider:
    """Answers with the prompt in capitals; ``--provider-setting shout.suffix=…`` adds one."""

    name = "shout"
    capabilities = smolwf.Capabilities(
        display_name="Shout",
        schema_mode=smolwf.SchemaMode.API,
        permission_levels=("read-only",),
        tools=False,
        settings=(smolwf.Setting("suffix", "text added to every answer"),),
    )

    def __init__(self, settings: smolwf.ProviderSettings) -> None:
        self.suffix = settings.of(self.name).get("suffix", "")

    async def run(
        self, request: smolwf.AgentRequest, events: smolwf.ProviderEventSink
    ) -> smolwf.AgentResult:
        if "FAIL" in request.prompt:
            raise smolwf.ProviderError("shout is hoarse", kind=smolwf.FailureKind.QUOTA)
        answer = request.prompt.upper() + self.suffix
        events({"type": "shouted", "text": answer}, "shout-session")
        usage = smolwf.Usage(input_tokens=len(request.prompt), output_tokens=len(answer))
        return smolwf.AgentResult(output=answer, session_id="shout-session", usage=usage)


class NotAProvider:
    """Registered under a second name by a test, to show what a wrong class gets."""
