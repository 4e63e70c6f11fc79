"""The end of every model API stream: the answer as text or as the schema's JSON, or the
failure that says why there is none (declined, cut short at the token limit, not JSON).

Each wire format's reader subclasses ``AnswerFold``: it fills the fields while events come
in and calls ``finish`` once the stream said it was complete.
"""

from __future__ import annotations

from dataclasses import dataclass

from smolwf.errors import FailureKind, ProviderError
from smolwf.jsontypes import JSON
from smolwf.providers.base import AgentRequest, AgentResult
from smolwf.providers.json_fields import json_answer
from smolwf.providers.model_api.config import ApiConfig
from smolwf.providers.model_api.schemas import SchemaEnvelope
from smolwf.usage import Usage

CUT_SHORT = frozenset({"max_tokens", "length", "max_output_tokens"})
"""How the APIs say an answer hit the token limit."""


@dataclass(slots=True)
class AnswerFold:
    """What a stream said so far; the ``StreamFold`` fields every reader has."""

    config: ApiConfig
    setting: str
    """The provider's name in ``--provider-setting``, for the hint of a cut-short answer."""
    request: AgentRequest
    schema: SchemaEnvelope
    session_id: str | None = None
    model: str | None = None
    usage: Usage | None = None
    refusal: str = ""
    """Text of a refusal the model gave instead of an answer."""

    def identify(self, session_id: JSON, model: JSON) -> None:
        """Note the message's or response's id and model, when an event names them."""
        if isinstance(session_id, str) and session_id:
            self.session_id = session_id
        if isinstance(model, str) and model:
            self.model = model

    def finish(self, text: str, stop: str | None) -> AgentResult:
        """The result of a complete stream whose answer text is ``text``; ``stop`` is why
        it ended early, if it did (``length``, ``content_filter``…)."""
        if self.refusal or stop == "refusal":
            said = f": {self.refusal.strip()}" if self.refusal.strip() else ""
            raise self.failure(f"model declined to answer{said}", FailureKind.CRASH)
        if stop in CUT_SHORT:
            limit = self.config.max_tokens
            shown = f" ({limit})" if limit is not None else ""
            raise self.failure(
                f"stopped at the token limit{shown} before the answer was complete: raise "
                f"--provider-setting {self.setting}.max_tokens",
                FailureKind.INVALID_OUTPUT,
            )
        if stop is not None:
            raise self.failure(
                f"stopped before the answer was complete ({stop})", FailureKind.CRASH
            )
        if not self.request.has_schema:
            return self.answered(text.rstrip())
        ok, value = json_answer(text)
        if not ok:
            raise self.failure(
                "did not answer with JSON for the schema", FailureKind.INVALID_OUTPUT
            )
        return self.answered(self.schema.unwrap(value))

    def answered(self, output: JSON) -> AgentResult:
        """The result that answers with ``output``."""
        return AgentResult(output, self.session_id, self.model or self.request.model, self.usage)

    def failure(self, what: str, kind: FailureKind) -> ProviderError:
        """A failure of this call, carrying what it spent and its session."""
        return ProviderError(
            f"{self.config.display_name} provider {what}",
            kind=kind,
            usage=self.usage,
            session_id=self.session_id,
        )
