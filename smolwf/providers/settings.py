"""Settings a provider takes for one run (``--provider-setting NAME.KEY=VALUE``).

Each provider declares the keys it reads, with a check of the value, so a mistyped key
or a bad value fails in one line before the run starts instead of being ignored.
"""

from __future__ import annotations

from collections.abc import Callable

from smolwf.records import record

Check = Callable[[str], "str | None"]
"""Returns what is wrong with a value (``must be a whole number``), or ``None``."""


def any_text(value: str) -> str | None:
    return None if value else "must not be empty"


def whole_number(minimum: int) -> Check:
    """A base-10 integer of at least ``minimum``."""

    def check(value: str) -> str | None:
        if value.isdigit() and int(value) >= minimum:
            return None
        return f"must be a whole number of at least {minimum}"

    return check


def one_of(*choices: str) -> Check:
    def check(value: str) -> str | None:
        return None if value in choices else "must be one of " + ", ".join(choices)

    return check


def http_url(value: str) -> str | None:
    if value.startswith(("http://", "https://")) and len(value.split("://", 1)[1]) > 0:
        return None
    return "must be an http:// or https:// URL"


@record
class Setting:
    """One key a provider reads. A key ending in ``.`` names a family (``header.`` takes
    ``header.X-Team``); ``recorded`` says whether a resume reuses it (headers may carry
    credentials, so they are not stored with the run); ``changes_answers`` whether equal
    calls made with different values may answer differently (a model does, a retry count
    does not), so the cache keeps them apart."""

    key: str
    help: str
    check: Check = any_text
    recorded: bool = True
    changes_answers: bool = True

    def matches(self, key: str) -> bool:
        if self.key.endswith("."):
            return key.startswith(self.key) and len(key) > len(self.key)
        return key == self.key

    @property
    def shown(self) -> str:
        """The key as documentation shows it: ``header.NAME`` for a family."""
        return self.key + "NAME" if self.key.endswith(".") else self.key
