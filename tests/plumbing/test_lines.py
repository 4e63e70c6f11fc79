"""Splitting a child's output into lines: whatever the chunks, the same lines come out."""

from __future__ import annotations

import anyio
import pytest
from anyio.abc import ByteReceiveStream
from hypothesis import given
from hypothesis import strategies as st

from smolwf.lines import StreamLines


class Chunks(ByteReceiveStream):
    """A byte stream that hands out ``chunks`` one by one, then ends."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = list(chunks)

    async def receive(self, max_bytes: int = 65536) -> bytes:
        if not self.chunks:
            raise anyio.EndOfStream
        return self.chunks.pop(0)

    async def aclose(self) -> None:
        self.chunks.clear()


def read_lines(chunks: list[bytes], on_data: list[int] | None = None) -> list[bytes]:
    async def collect() -> list[bytes]:
        touch = None if on_data is None else (lambda: on_data.append(1))
        return [line async for line in StreamLines(Chunks(chunks), touch)]

    return anyio.run(collect)


@given(st.lists(st.binary(max_size=40), max_size=12))
def test_any_chunking_gives_the_lines_of_the_whole_output(chunks: list[bytes]) -> None:
    data = b"".join(chunks)
    expected = data.split(b"\n")
    if expected[-1] == b"":
        expected.pop()  # a final newline ends the last line, it starts no new one
    assert read_lines(chunks) == expected


@pytest.mark.parametrize(
    ("chunks", "lines"),
    [
        pytest.param([b"a\nb\n"], [b"a", b"b"], id="two-lines-in-one-chunk"),
        pytest.param([b"lo", b"ng li", b"ne\n"], [b"long line"], id="one-line-over-chunks"),
        pytest.param([b"a\n", b"no newline"], [b"a", b"no newline"], id="unterminated-last"),
        pytest.param([b"\n\n"], [b"", b""], id="blank-lines-are-lines"),
        pytest.param([], [], id="nothing"),
    ],
)
def test_lines_come_out_without_their_newline(chunks: list[bytes], lines: list[bytes]) -> None:
    assert read_lines(chunks) == lines


def test_every_chunk_is_reported_as_it_arrives() -> None:
    seen: list[int] = []
    read_lines([b"a", b"b", b"c\n"], seen)
    assert len(seen) == 3


def test_a_closed_stream_ends_the_lines_and_keeps_what_came() -> None:
    class Closing(Chunks):
        async def receive(self, max_bytes: int = 65536) -> bytes:
            if not self.chunks:
                raise anyio.ClosedResourceError
            return await super().receive(max_bytes)

    async def collect() -> list[bytes]:
        return [line async for line in StreamLines(Closing([b"a\nhalf"]))]

    assert anyio.run(collect) == [b"a", b"half"]
