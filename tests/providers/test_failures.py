"""Failure kinds from HTTP statuses and CLI messages, and quota reset times."""

from __future__ import annotations

import pytest

from smolwf.errors import FailureKind
from smolwf.providers.failures import kind_for_status, kind_for_text, retry_after_seconds


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (429, FailureKind.QUOTA),
        (401, FailureKind.AUTH),
        (403, FailureKind.AUTH),
        (500, FailureKind.TRANSIENT),
        (529, FailureKind.TRANSIENT),
        (400, FailureKind.CRASH),
    ],
)
def test_statuses_map_to_kinds(status: int, kind: FailureKind) -> None:
    assert kind_for_status(status) is kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Claude AI usage limit reached|1763823600", FailureKind.QUOTA),
        ("You've hit your usage limit. Try again in 20 minutes.", FailureKind.QUOTA),
        ("Failed to authenticate. API Error: 401 invalid x-api-key", FailureKind.AUTH),
        ("Invalid API key · Please run /login", FailureKind.AUTH),
        (
            "We're currently experiencing high demand, which may cause temporary errors.",
            FailureKind.TRANSIENT,
        ),
        ("API Error: 529 Overloaded", FailureKind.TRANSIENT),
        ("something odd happened", FailureKind.CRASH),
    ],
)
def test_messages_map_to_kinds(text: str, kind: FailureKind) -> None:
    assert kind_for_text(text) is kind


def test_retry_after_reads_relative_and_absolute_resets() -> None:
    assert retry_after_seconds("try again in 20s") == 20.0
    assert retry_after_seconds("Rate limited; retry after 1.5 minutes") == 90.0
    assert retry_after_seconds("resets in 250 ms") == 0.25
    at = retry_after_seconds("limit resets at 2026-11-22T15:00:00Z", now=1_795_359_600.0 - 60)
    assert at == 60.0
    assert retry_after_seconds("no time here") is None
