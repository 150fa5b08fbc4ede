"""JSON encoding shared by the storages."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def _compact_encoder() -> Callable[[Any], str]:
    """Compact JSON (``default=str``) for the event hot path.

    ``JSONEncoder.encode`` rebuilds its C encoder on every call; building it once halves the
    cost of a small payload (0.7 vs 1.7 µs). No circular-reference check: a cyclic payload
    raises RecursionError instead of ValueError.
    """
    c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if c_make_encoder is None:  # pragma: no cover - CPython always has the C accelerator
        return json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str).encode
    encode = c_make_encoder(
        None, str, json.encoder.encode_basestring, None, ":", ",", False, False, True
    )
    join = "".join

    def dumps(obj: Any) -> str:
        return join(encode(obj, 0))

    return dumps


dumps_compact = _compact_encoder()
_dumps_canonical = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, sort_keys=True, default=str
).encode
loads = json.loads


def canonical_json(obj: Any) -> str:
    """Key-sorted compact JSON: equal values give equal text (and equal hashes)."""
    return _dumps_canonical(obj)


def content_id(obj: Any) -> str:
    """The content address of a JSON value: sha256 of its canonical JSON."""
    return text_id(canonical_json(obj))


def text_id(text: str) -> str:
    """The content address of a canonical JSON text (:func:`canonical_json`'s)."""
    import hashlib  # here: loading OpenSSL is ~3 ms of every command, most never hash

    return hashlib.sha256(text.encode()).hexdigest()


def dumps_or_none(obj: Any) -> str | None:
    return None if obj is None else dumps_compact(obj)


def loads_or_none(text: str | None) -> Any:
    return None if text is None else loads(text)
