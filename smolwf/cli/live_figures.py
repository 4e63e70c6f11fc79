"""Numbers and text as the live view writes them: tokens, costs, durations, one-liners."""

from __future__ import annotations


def format_tokens(count: int) -> str:
    """``987``, ``12,345``, ``123.4k``, ``1.2M``: exact while small, compact when large."""
    if count < 100_000:
        return f"{count:,}"
    if count < 1_000_000:
        return f"{count / 1000:.1f}k"
    return f"{count / 1_000_000:.1f}M"


def format_cost(cost: float | None, estimated: bool = False) -> str:
    """``$0.0123``, ``$12.30``; ``~`` before a cost that is (partly) estimated."""
    if cost is None:
        return ""
    shown = f"${cost:.4f}" if cost < 1 else f"${cost:,.2f}"
    return "~" + shown if estimated else shown


def format_duration(ns: int) -> str:
    """``0.4s``, ``12.3s``, ``4m05s``, ``1h02m``."""
    seconds = ns / 1e9
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def first_line(text: str, width: int) -> str:
    """The first line of ``text``, cut to ``width`` characters with ``…``."""
    line = text.split("\n", 1)[0]
    return line if len(line) <= width else line[: width - 1] + "…"
