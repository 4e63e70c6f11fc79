"""Ids: sortable by time, and unique across the processes of one machine."""

from __future__ import annotations

import os

from smolwf.ids import new_id


def test_ids_sort_by_creation_and_never_repeat() -> None:
    ids = [new_id("step") for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    assert [i[:15] for i in ids] == sorted(i[:15] for i in ids)  # prefix + milliseconds
    assert all(len(i) == len("step_") + 26 for i in ids)


def test_a_forked_child_makes_other_ids_than_its_parent() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its ids, then out without running the parent's cleanup
        os.write(write, " ".join(new_id("step") for _ in range(100)).encode())
        os._exit(0)
    os.close(write)
    parent = {new_id("step") for _ in range(100)}
    with os.fdopen(read) as pipe:
        child = set(pipe.read().split())
    os.waitpid(pid, 0)
    assert len(child) == 100 and not parent & child
    assert {i[15:] for i in parent}.isdisjoint(i[15:] for i in child)
