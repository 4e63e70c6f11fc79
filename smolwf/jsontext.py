"""Compact JSON text: the one encoder behind events, step rows and checkpoint keys.

``json.dumps`` builds a new C encoder on every call, and on the hot path (several
encodings per agent call) that set-up costs more than the encoding itself. These
encoders are built once. Values are JSON already (parsed or built by the engine), so
there is no cycle check: a value nested too deeply raises ``RecursionError``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]

from smolwf.jsontypes import JSON


def _unserialisable(value: object) -> None:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _encoder(*, sort_keys: bool) -> Callable[[JSON], str]:
    if c_make_encoder is None:  # pragma: no cover - CPython always has the C accelerator
        encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
        return encoder.encode
    chunks = c_make_encoder(
        None, _unserialisable, encode_basestring, None, ":", ",", sort_keys, False, True
    )

    def encode(value: JSON) -> str:
        return "".join(chunks(value, 0))

    return encode


compact = _encoder(sort_keys=False)
"""Compact separators, non-ASCII kept, key order kept (results keep JS key order)."""
canonical = _encoder(sort_keys=True)
"""``compact`` with sorted keys: one text per value (checkpoint keys hash it)."""


def object_text(value: Mapping[str, JSON], rendered: Mapping[str, str]) -> str:
    """``compact(value)`` of an object, taking the text of the keys in ``rendered`` as
    given: a value that goes into several texts (an agent call's usage goes into its
    stored result and its event) is encoded once."""
    parts = []
    for key, item in value.items():
        text = rendered.get(key)
        if text is None:
            if item is None:
                text = "null"
            elif type(item) is str:
                text = encode_basestring(item)
            else:
                text = compact(item)
        parts.append(encode_basestring(key) + ":" + text)
    return "{" + ",".join(parts) + "}"
