"""A child's output, line by line as it arrives, in time linear in its size.

The splitting is anyio's buffered stream: each byte is searched for a newline once, so a
line of 50 MB costs what its bytes cost, however many chunks it comes in.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import anyio
from anyio.abc import ByteReceiveStream
from anyio.streams.buffered import BufferedByteReceiveStream


class _Observed(ByteReceiveStream):
    """``stream``, calling ``on_data`` whenever a chunk arrives (a watchdog's touch)."""

    def __init__(self, stream: ByteReceiveStream, on_data: Callable[[], None]) -> None:
        self._stream = stream
        self._on_data = on_data

    async def receive(self, max_bytes: int = 65536) -> bytes:
        data = await self._stream.receive(max_bytes)
        self._on_data()
        return data

    async def aclose(self) -> None:
        await self._stream.aclose()


class StreamLines:
    """Iterates over the lines of ``stream``, without their ``\\n``; a last line without
    one is still a line. The stream ending, closing or breaking ends the iteration."""

    def __init__(
        self, stream: ByteReceiveStream, on_data: Callable[[], None] | None = None
    ) -> None:
        source = stream if on_data is None else _Observed(stream, on_data)
        self._buffered = BufferedByteReceiveStream(source)
        self._ended = False

    def __aiter__(self) -> StreamLines:
        return self

    async def __anext__(self) -> bytes:
        if self._ended:
            raise StopAsyncIteration
        try:
            return await self._buffered.receive_until(b"\n", sys.maxsize)
        except (anyio.IncompleteRead, anyio.ClosedResourceError, anyio.BrokenResourceError):
            self._ended = True
        rest = self._buffered.buffer
        if not rest:
            raise StopAsyncIteration
        return rest
