"""What both opencode transports read alike: its error objects and its token reports.

Usage convention: every model call reports ``tokens {input, output, reasoning, cache
{read, write}, total}`` and a USD ``cost`` (a ``step_finish`` part of ``opencode run``,
an assistant message info of the server). opencode's ``input`` excludes cache reads and
writes, so it is ``input_tokens`` as is; ``reasoning`` is billed as output, so
``output_tokens`` = output + reasoning. The usage of a call is the SUM over its model
calls; ``total_tokens`` is the sum of the reported totals (``None`` when one reports none).
"""

from __future__ import annotations

from smolwf.errors import FailureKind, ProviderError
from smolwf.excerpts import one_line
from smolwf.jsontypes import JSON, JSONObject
from smolwf.permissions import Refusal
from smolwf.providers.capabilities import Capabilities, EffortLevels, ModelRules, SchemaMode
from smolwf.providers.failures import kind_for_status, kind_for_text, retry_after_seconds
from smolwf.providers.json_fields import as_object, count, is_number, number
from smolwf.usage import Usage

DISPLAY_NAME = "OpenCode"
CAPABILITIES = Capabilities(
    display_name=DISPLAY_NAME,
    schema_mode=SchemaMode.SERVER,
    model=ModelRules(model_provider="required"),
    effort=EffortLevels(accepted=None),  # a model's variant: any name is passed on
)
"""What ``OpenCodeProvider`` declares; both transports read its effort mapping."""
_ERROR_NAME_KINDS = {
    "ProviderAuthError": FailureKind.AUTH,
    "StructuredOutputError": FailureKind.INVALID_OUTPUT,
}
"""opencode error names whose kind their message may not show."""


def sum_usage(records: list[JSONObject]) -> Usage | None:
    """The SUM of the ``tokens``/``cost`` of step-finish parts or assistant message infos;
    ``None`` when none reports tokens."""
    reports = [(r["tokens"], r.get("cost")) for r in records if isinstance(r.get("tokens"), dict)]
    if not reports:
        return None
    usage = Usage(total_tokens=0)
    all_totals = True
    cost: float | None = None
    for found, spent in reports:
        tokens = as_object(found)
        cache = as_object(tokens.get("cache"))
        all_totals = all_totals and is_number(tokens.get("total"))
        if is_number(spent):
            cost = (cost or 0.0) + number(spent)
        usage = usage + Usage(
            input_tokens=count(tokens.get("input")),
            output_tokens=count(tokens.get("output")) + count(tokens.get("reasoning")),
            cache_read_tokens=count(cache.get("read")),
            cache_write_tokens=count(cache.get("write")),
            total_tokens=count(tokens.get("total")),
        )
    return Usage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_read_tokens=usage.cache_read_tokens,
        cache_write_tokens=usage.cache_write_tokens,
        total_tokens=usage.total_tokens if all_totals else None,
        cost_usd=cost,
    )


def _retry_after(data: JSONObject, message: str) -> float | None:
    header = as_object(data.get("responseHeaders")).get("retry-after")
    if isinstance(header, str):
        try:
            return max(0.0, float(header))
        except ValueError:
            pass
    return retry_after_seconds(message)


def describe_error(error: JSON) -> tuple[str, FailureKind, float | None]:
    """``(message, kind, retry_after_s)`` for an opencode error object: v1
    ``{name, data {message, statusCode, ...}}``, v2 ``{type, message}``, or a string."""
    if not isinstance(error, dict):
        text = one_line(str(error)) if error is not None else "unknown error"
        return f"{DISPLAY_NAME} provider error: {text}", kind_for_text(text), None
    data = as_object(error.get("data"))
    found_name = error.get("name") or error.get("type")
    name = found_name if isinstance(found_name, str) and found_name else "Error"
    found_text = data.get("message") or error.get("message")
    text = one_line(found_text) if isinstance(found_text, str) else ""
    text = text or "(no message)"
    status = data.get("statusCode")
    kind = FailureKind.CRASH
    label = name
    if isinstance(status, int) and not isinstance(status, bool):
        label = f"{name}, HTTP {status}"
        kind = kind_for_status(status)
    if kind is FailureKind.CRASH:
        kind = _ERROR_NAME_KINDS.get(name) or kind_for_text(f"{name}: {text}")
    if kind is FailureKind.CRASH and data.get("isRetryable") is True:
        kind = FailureKind.TRANSIENT
    retry_after = _retry_after(data, text) if kind is FailureKind.QUOTA else None
    return f"{DISPLAY_NAME} provider error ({label}): {text}", kind, retry_after


def failure(
    message: str,
    kind: FailureKind,
    usage: Usage | None,
    session: str | None,
    retry_after_s: float | None = None,
    refusals: tuple[Refusal, ...] = (),
) -> ProviderError:
    """A ``ProviderError`` carrying what the failed attempt spent and had refused."""
    return ProviderError(
        message,
        kind=kind,
        usage=usage,
        session_id=session,
        retry_after_s=retry_after_s,
        refusals=refusals,
    )
