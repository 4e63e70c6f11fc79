"""What ``smolwf.records.record`` saves against ``@dataclass(frozen=True, slots=True)``.

python bench/records.py

Defines 100 classes of five fields each way (what importing smol-wf's run path does about
as many times) and makes 100,000 instances of one of them, fastest of 5 rounds each, both
ways alternating in this one process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from smolwf.records import record

CLASSES = 100
INSTANCES = 100_000
ROUNDS = 5
FROZEN = "dataclass(frozen=True, slots=True)"
RECORD = "record"


def _define(decorator: Any) -> list[type]:
    made = []
    for i in range(CLASSES):
        namespace: dict[str, Any] = {
            "__annotations__": dict.fromkeys("abcde", "int | str | None"),
            "__doc__": "A class of five fields.",
            "c": None,
            "d": 0,
            "e": "",
        }
        made.append(decorator(type(f"C{i}", (), namespace)))
    return made


def _define_s(decorator: Any) -> float:
    start = time.perf_counter()
    _define(decorator)
    return time.perf_counter() - start


def _make_s(cls: Any) -> float:
    start = time.perf_counter()
    for i in range(INSTANCES):
        cls(i, "step", None, i, "x")
    return time.perf_counter() - start


def main() -> None:
    frozen = dataclass(frozen=True, slots=True)
    define = {FROZEN: [], RECORD: []}
    make = {FROZEN: [], RECORD: []}
    samples = {FROZEN: _define(frozen)[0], RECORD: _define(record)[0]}
    for _ in range(ROUNDS):
        for name, decorator in ((FROZEN, frozen), (RECORD, record)):
            define[name].append(_define_s(decorator))
            make[name].append(_make_s(samples[name]))
    for name in (FROZEN, RECORD):
        per_class = min(define[name]) / CLASSES * 1e3
        per_instance = min(make[name]) / INSTANCES * 1e6
        print(f"@{name:36s} define {per_class:.3f} ms per class, make {per_instance:.3f} µs each")


if __name__ == "__main__":
    main()
