"""``record``: smol-wf's immutable data classes, cheap to define and to make.

A ``@dataclass(frozen=True, slots=True)`` guards its fields at run time: on Python 3.11
that compiles six methods per class instead of three, and calls ``object.__setattr__``
for each field in every ``__init__``. With a hundred such classes on every run's path,
defining them took a fifth of ``smol-wf run``'s start-up and making them about ten
microseconds of every ``agent()`` call (``bench/records.py``). A ``record`` is a slotted
dataclass that type checkers treat as frozen (``dataclass_transform``): an assignment to
a field is a ``mypy --strict`` error, in smol-wf (checked in CI) as in a program that uses
its Python API. Equal records hash alike, as frozen dataclasses do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar, dataclass_transform, overload

T = TypeVar("T")


@overload
def record(cls: type[T], /) -> type[T]: ...


@overload
def record(*, order: bool = False) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(
    cls: type[T] | None = None, /, *, order: bool = False
) -> type[T] | Callable[[type[T]], type[T]]:
    """``@record`` or ``@record(order=True)`` on a class with annotated fields."""

    def make(cls: type[T]) -> type[T]:
        return dataclass(slots=True, unsafe_hash=True, order=order)(cls)

    return make if cls is None else make(cls)
