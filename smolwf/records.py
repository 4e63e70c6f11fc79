"""``record``: smol-wf's immutable data classes, cheap to define and to make.

A ``@dataclass(frozen=True, slots=True)`` guards its fields at run time: on Python 3.11
that compiles six methods per class instead of three, and calls ``object.__setattr__``
for each field in every ``__init__``. With a hundred such classes on every run's path,
defining them took a fifth of ``smol-wf run``'s start-up and making them about ten
microseconds of every ``agent()`` call (``bench/records.py``). A ``record`` is a slotted
dataclass that type checkers treat as frozen (``dataclass_transform``): an assignment to
a field is a ``mypy --strict`` error, in smol-wf (checked in CI) as in a program that uses
its Python API. Equal records hash alike, as frozen dataclasses do.

Only ``__init__`` is compiled per class: ``__eq__``, ``__hash__`` and ``__repr__`` are
written once, here, over each class's fields, which halves what defining one costs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform, overload

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
        made = dataclass(slots=True, repr=False, eq=order, order=order)(cls)
        _add_methods(made)
        return made

    return make if cls is None else make(cls)


def _add_methods(cls: type[Any]) -> None:
    """``__eq__``, ``__hash__`` and ``__repr__`` as a frozen dataclass has them, written
    once here instead of compiled for each class (a class defined at start-up costs half)."""
    every = fields(cls)
    compared = _getter(tuple(f.name for f in every if f.compare))
    hashed = _getter(tuple(f.name for f in every if (f.compare if f.hash is None else f.hash)))
    shown = tuple(f.name for f in every if f.repr)

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is self.__class__:
            return bool(compared(self) == compared(other))
        return NotImplemented

    def __hash__(self: Any) -> int:
        return hash(hashed(self))

    def __repr__(self: Any) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{type(self).__qualname__}({values})"

    for method in (__eq__, __hash__, __repr__):
        setattr(cls, method.__name__, method)


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The fields ``names`` of a record, as a tuple."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        single = attrgetter(names[0])
        return lambda item: (single(item),)
    return lambda item: ()
