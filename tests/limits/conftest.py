"""Fixtures of the host-limit tests."""

from tests.limits.fake_claude import fake_claude

__all__ = ["fake_claude"]
