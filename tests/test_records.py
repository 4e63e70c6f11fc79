"""``record``: frozen to the type checker, hashable and comparable like a frozen dataclass."""

from __future__ import annotations

import pickle
import textwrap
from dataclasses import field
from pathlib import Path

import pytest
from mypy import api as mypy_api

from smolwf.records import record


@record
class Point:
    x: int
    y: int = 0


@record(order=True)
class Version:
    major: int
    minor: int


def test_equal_records_are_equal_and_hash_alike() -> None:
    assert Point(1, 2) == Point(1, 2) and Point(1, 2) != Point(2, 1)
    assert len({Point(1, 2), Point(1, 2), Point(3)}) == 2


@record
class Tagged:
    name: str
    extra: dict[str, int] = field(hash=False, repr=False)


def test_a_record_shows_its_fields() -> None:
    assert repr(Point(1, 2)) == "Point(x=1, y=2)"
    assert repr(Tagged("a", {"n": 1})) == "Tagged(name='a')"


def test_a_field_left_out_of_the_hash_still_counts_for_equality() -> None:
    assert hash(Tagged("a", {"n": 1})) == hash(Tagged("a", {"n": 2}))
    assert Tagged("a", {"n": 1}) != Tagged("a", {"n": 2})
    assert Tagged("a", {"n": 1}) == Tagged("a", {"n": 1})


def test_records_of_different_classes_are_never_equal() -> None:
    assert Point(1, 0) != Version(1, 0)


def test_an_ordered_record_sorts_by_its_fields() -> None:
    assert sorted([Version(1, 10), Version(1, 2), Version(0, 9)]) == [
        Version(0, 9),
        Version(1, 2),
        Version(1, 10),
    ]


def test_a_record_pickles_as_it_was() -> None:  # the Ray executor ships records to workers
    assert pickle.loads(pickle.dumps(Point(4, 5))) == Point(4, 5)


def test_a_record_holds_only_its_fields() -> None:
    with pytest.raises(AttributeError):
        Point(1).z = 3  # type: ignore[attr-defined]


def test_the_type_checker_refuses_an_assignment_to_a_field(tmp_path: Path) -> None:
    script = tmp_path / "mutates.py"
    script.write_text(
        textwrap.dedent(
            """
            from smolwf.records import record

            @record
            class Point:
                x: int

            Point(1).x = 2
            """
        )
    )
    out, _, status = mypy_api.run(["--strict", "--no-incremental", str(script)])
    assert status == 1
    assert 'Property "x" defined in "Point" is read-only' in out
