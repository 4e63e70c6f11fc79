"""JSON Schema validation of model output in bounded time.

A model decides the output, so validation must never hang the host: every keyword
checks a deadline before it runs, patterns go through ``regex`` with a timeout (and
release the GIL, so a cancel still gets through), and ``uniqueItems`` hashes the
canonical JSON of each item instead of comparing every pair. Past the deadline the
call fails with ``TooCostly`` naming where validation stood.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smolwf.jsontext import canonical
from smolwf.jsontypes import JSON

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

Keyword = Callable[[Any, Any, Any, Any], "Iterator[ValidationError] | None"]


class TooCostly(Exception):
    """Validation ran past its deadline (or its call was cancelled); ``where`` says at what."""

    def __init__(self, where: str) -> None:
        super().__init__(where)
        self.where = where


@dataclass(slots=True)
class Deadline:
    """When one validation must have ended; ``stop()`` ends it early (a cancelled call)."""

    at: float
    stopped: bool = False

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def stop(self) -> None:
        self.stopped = True

    def remaining(self, where: str) -> float:
        """Seconds left, or ``TooCostly`` naming ``where`` when none are."""
        left = self.at - time.monotonic()
        if left <= 0 or self.stopped:
            raise TooCostly(where)
        return left


_local = threading.local()


def run_within(deadline: Deadline, work: Callable[[], Any]) -> Any:
    """Run ``work`` (one validation) on this thread under ``deadline``."""
    _local.deadline = deadline
    try:
        return work()
    finally:
        _local.deadline = None


def _deadline() -> Deadline | None:
    found: Deadline | None = getattr(_local, "deadline", None)
    return found


def bounded(base: type[Validator]) -> type[Validator]:
    """``base`` with every keyword under the deadline and the costly ones replaced."""
    from jsonschema import validators

    replaced: dict[str, Keyword] = {
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "additionalProperties": _additional_properties,
        "uniqueItems": _unique_items,
    }
    keywords = {
        name: _checked(name, replaced.get(name) or keyword)
        for name, keyword in base.VALIDATORS.items()
        if keyword is not None
    }
    extended: type[Validator] = validators.extend(base, keywords)  # type: ignore[no-untyped-call]
    return extended


def _checked(name: str, keyword: Keyword) -> Keyword:
    def run(validator: Any, value: Any, instance: Any, schema: Any) -> Any:
        deadline = _deadline()
        if deadline is not None:
            deadline.remaining(f"keyword {name!r}")
        return keyword(validator, value, instance, schema)

    return run


def _search(pattern: str, text: str) -> bool:
    """``re.search`` semantics through ``regex``, stopped at the deadline; ``regex`` is
    imported by the first schema pattern, not by every run (~10 ms of start-up)."""
    import regex

    deadline = _deadline()
    where = f"pattern {pattern!r}"
    timeout = deadline.remaining(where) if deadline is not None else None
    try:
        return regex.search(pattern, text, concurrent=True, timeout=timeout) is not None
    except TimeoutError:
        raise TooCostly(where) from None


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and not _search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Any, patterns: dict[str, Any], instance: Any, schema: Any
) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if _search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(
    validator: Any, additional: Any, instance: Any, schema: Any
) -> Iterator[Any]:
    """jsonschema's own keyword, with its pattern matches through ``_search``."""
    from jsonschema.exceptions import ValidationError

    if not validator.is_type(instance, "object"):
        return
    properties = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    extras = [
        key
        for key in instance
        if key not in properties and not any(_search(pattern, key) for pattern in patterns)
    ]
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif not additional and extras:
        if "patternProperties" in schema:
            verb = "does" if len(extras) == 1 else "do"
            listed = ", ".join(repr(extra) for extra in sorted(extras))
            yield ValidationError(
                f"{listed} {verb} not match any of the regexes: "
                + ", ".join(repr(pattern) for pattern in sorted(patterns))
            )
        else:
            were = "was" if len(extras) == 1 else "were"
            listed = ", ".join(repr(extra) for extra in sorted(extras))
            yield ValidationError(
                f"Additional properties are not allowed ({listed} {were} unexpected)"
            )


def _unique_items(validator: Any, unique: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if unique and validator.is_type(instance, "array") and not all_unique(instance):
        yield ValidationError(f"{instance!r} has non-unique elements")


def all_unique(items: list[JSON]) -> bool:
    """Whether no two items are equal as JSON Schema compares them (``1 == 1.0``,
    ``true != 1``, key order ignored): one canonical text per item, in a set."""
    seen: set[str] = set()
    for item in items:
        text = canonical(_integral(item))
        if text in seen:
            return False
        seen.add(text)
    return True


def _integral(value: JSON) -> JSON:
    """``value`` with whole floats as ints, so ``1.0`` and ``1`` have one text."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_integral(item) for item in value]
    if isinstance(value, dict):
        return {key: _integral(item) for key, item in value.items()}
    return value
