"""Short excerpts of text that a one-line message quotes: stderr, an error body, a command."""

from __future__ import annotations


def one_line(text: str) -> str:
    """``text`` with every run of whitespace, newlines included, made one space."""
    return " ".join(text.split())


def clip(text: str, width: int) -> str:
    """One line of at most ``width`` characters, ``…`` marking a cut."""
    line = one_line(text)
    return line if len(line) <= width else line[: width - 1] + "…"


def cut_to_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes (never inside a character), with
    ``…`` appended when something was cut."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", "ignore") + "…"
