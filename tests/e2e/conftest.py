"""Fixtures of the end-to-end tests that drive the real CLIs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakellm.server import FakeLLM


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    """The scripted model server on 127.0.0.1, for one test."""
    with FakeLLM() as server:
        yield server
