"""The per-call ``retry`` option: defaults, accepted shapes and the exact rejection messages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smolwf.engine.retry import MAX_ATTEMPTS_LIMIT, RetryPolicy, parse_retry
from smolwf.errors import AgentOptionError
from smolwf.jsontypes import JSON

NOT_OBJECT = "agent retry option must be an object"
NOT_POSITIVE = "agent retry.maxAttempts must be a positive integer"
TOO_MANY = "agent retry.maxAttempts must be between 1 and 100"
BAD_BACKOFF = "agent retry.backoffMs must be a non-negative integer"


def _message(value: JSON) -> str:
    with pytest.raises(AgentOptionError) as info:
        parse_retry(value)
    return info.value.message


def test_absent_retry_means_one_attempt_without_backoff() -> None:
    assert parse_retry(None) == RetryPolicy(max_attempts=1, backoff_ms=0)
    assert RetryPolicy() == RetryPolicy(1, 0)


def test_empty_object_and_null_fields_use_defaults() -> None:
    assert parse_retry({}) == RetryPolicy()
    assert parse_retry({"maxAttempts": None, "backoffMs": None}) == RetryPolicy()


def test_max_attempts_and_backoff_are_read() -> None:
    assert parse_retry({"maxAttempts": 3, "backoffMs": 250}) == RetryPolicy(3, 250)


def test_unknown_retry_keys_are_ignored() -> None:
    assert parse_retry({"maxAttempts": 2, "jitter": True}) == RetryPolicy(2, 0)


def test_whole_floats_count_as_integers_because_js_has_one_number_type() -> None:
    assert parse_retry({"maxAttempts": 2.0, "backoffMs": 10.0}) == RetryPolicy(2, 10)


def test_max_attempts_upper_bound_is_a_hundred() -> None:
    assert parse_retry({"maxAttempts": MAX_ATTEMPTS_LIMIT}).max_attempts == 100
    assert _message({"maxAttempts": MAX_ATTEMPTS_LIMIT + 1}) == TOO_MANY


@pytest.mark.parametrize("value", [1, "x", [1], True, 0.5])
def test_non_object_retry_is_rejected(value: JSON) -> None:
    assert _message(value) == NOT_OBJECT


@pytest.mark.parametrize("attempts", [0, -1, 1.5, "2", True, False, [2], {"n": 2}])
def test_bad_max_attempts_must_be_a_positive_integer(attempts: JSON) -> None:
    assert _message({"maxAttempts": attempts}) == NOT_POSITIVE


@pytest.mark.parametrize("backoff", [-1, 0.5, "100", True, False, [0]])
def test_bad_backoff_must_be_a_non_negative_integer(backoff: JSON) -> None:
    assert _message({"backoffMs": backoff}) == BAD_BACKOFF


def test_zero_backoff_is_allowed() -> None:
    assert parse_retry({"backoffMs": 0}) == RetryPolicy(1, 0)


def test_max_attempts_is_checked_before_backoff() -> None:
    assert _message({"maxAttempts": 0, "backoffMs": -1}) == NOT_POSITIVE


@given(st.integers(1, MAX_ATTEMPTS_LIMIT), st.integers(0, 10**12))
def test_every_valid_pair_round_trips(attempts: int, backoff: int) -> None:
    assert parse_retry({"maxAttempts": attempts, "backoffMs": backoff}) == RetryPolicy(
        attempts, backoff
    )
