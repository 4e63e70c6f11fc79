"""What a model API's refusal means: the HTTP status and error body of a failed request,
or an error event in the middle of a stream, as a ``ProviderError`` of the right kind.

Both vendors put ``{"error": {"type", "message", "code"?}}`` in the body; the status
decides the kind first, the error's type or code where the status says nothing more.
"""

from __future__ import annotations

import json
from email.utils import parsedate_to_datetime

import httpx

from smolwf.clock import now_ms
from smolwf.errors import FailureKind, ProviderError
from smolwf.excerpts import one_line
from smolwf.jsontypes import JSON
from smolwf.providers.failures import kind_for_status
from smolwf.providers.json_fields import as_object
from smolwf.providers.model_api.config import ApiConfig
from smolwf.records import record

RETRIED_STATUSES = frozenset({408, 409, 429})
"""Refusals worth repeating besides every 5xx: a timeout, a conflict, too many requests."""
_CONFIG_STATUSES = frozenset({400, 404, 413, 422})
"""A request the API refused as invalid is a configuration matter: the base URL, the model
or an option this model does not take; a chain moves on. Other statuses are classed as
any model server's (``kind_for_status``), and one it cannot class as the body says."""
_ERROR_KINDS = {
    "authentication_error": FailureKind.AUTH,
    "permission_error": FailureKind.AUTH,
    "invalid_api_key": FailureKind.AUTH,
    "rate_limit_error": FailureKind.QUOTA,
    "rate_limit_exceeded": FailureKind.QUOTA,
    "insufficient_quota": FailureKind.QUOTA,
    "overloaded_error": FailureKind.TRANSIENT,
    "api_error": FailureKind.TRANSIENT,
    "server_error": FailureKind.TRANSIENT,
    "invalid_request_error": FailureKind.CONFIG,
    "not_found_error": FailureKind.CONFIG,
    "invalid_prompt": FailureKind.CONFIG,
}
"""Error ``type``/``code`` values of both vendors, for errors that come without a status
(an ``error`` event in a stream, a failed response)."""
_NOT_RETRIED_CODES = frozenset({"insufficient_quota"})
"""A 429 that says the account is out of credit: repeating it cannot help."""


@record
class ApiError:
    """The ``error`` object of a body or an event: its type (or code) and message."""

    type: str | None
    message: str
    code: str | None = None

    @classmethod
    def of(cls, value: JSON) -> ApiError:
        error = as_object(as_object(value).get("error")) or as_object(value)
        kind, message, code = error.get("type"), error.get("message"), error.get("code")
        return cls(
            type=kind if isinstance(kind, str) and kind else None,
            message=message if isinstance(message, str) and message else "",
            code=code if isinstance(code, str) and code else None,
        )

    @property
    def label(self) -> str | None:
        """The most specific name the API gave it: its code, else its type."""
        return self.code or self.type

    def kind(self, default: FailureKind = FailureKind.CRASH) -> FailureKind:
        for name in (self.code, self.type):
            if name is not None and name in _ERROR_KINDS:
                return _ERROR_KINDS[name]
        return default


@record
class Refusal:
    """A request the server refused before answering: the error to raise, and whether and
    when it is worth repeating."""

    error: ProviderError
    retryable: bool
    retry_after_s: float | None = None


def status_refusal(config: ApiConfig, response: httpx.Response, model: str) -> Refusal:
    """The refusal a ``>= 400`` response stands for (its body must have been read)."""
    status = response.status_code
    error = ApiError.of(_json_body(response))
    kind = FailureKind.CONFIG if status in _CONFIG_STATUSES else kind_for_status(status)
    if kind is FailureKind.CRASH:
        kind = error.kind()
    what = f"HTTP {status}" + (f" {error.label}" if error.label else "")
    said = one_line(error.message or response.text or response.reason_phrase)
    hint = _hint(config, status, model)
    message = f"{config.display_name} provider failed ({what}): {said}{hint}"
    retry_after = retry_after_seconds(response.headers)
    repeats = status >= 500 or status in RETRIED_STATUSES
    retryable = repeats and error.code not in _NOT_RETRIED_CODES
    return Refusal(
        ProviderError(message, kind=kind, retry_after_s=retry_after), retryable, retry_after
    )


def stream_error(config: ApiConfig, value: JSON) -> ProviderError:
    """The failure an ``error`` event (or a failed response) in a stream reports."""
    error = ApiError.of(value)
    label = f" ({error.label})" if error.label else ""
    said = one_line(error.message) or "no message"
    return ProviderError(
        f"{config.display_name} provider failed in the stream{label}: {said}",
        kind=error.kind(FailureKind.TRANSIENT),
    )


def transport_refusal(config: ApiConfig, error: httpx.TransportError) -> Refusal:
    """A connection that failed (refused, reset, closed early): worth repeating."""
    reason = one_line(str(error)) or type(error).__name__
    message = (
        f"{config.display_name} provider could not reach {config.base_url}: "
        f"{type(error).__name__}: {reason}"
    )
    return Refusal(ProviderError(message, kind=FailureKind.TRANSIENT), retryable=True)


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """``retry-after-ms``, else ``retry-after`` in seconds or as an HTTP date."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) * scale)
        except ValueError:
            pass
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            continue
        return max(0.0, moment.timestamp() - now_ms() / 1000)
    return None


def _json_body(response: httpx.Response) -> JSON:
    try:
        value: JSON = json.loads(response.content or b"null")
    except ValueError:
        return None
    return value


def _hint(config: ApiConfig, status: int, model: str) -> str:
    if status == 401 and config.api_key is None:
        return f"; no API key was sent: set {config.api_key_env}"
    if status == 404:
        return f"; check the base URL ({config.base_url}) and the model ({model})"
    return ""
