"""JSON encoding shared by the storages."""

from __future__ import annotations

import hashlib
import json
from typing import Any

# One encoder object: json.dumps(obj, separators=...) builds a new encoder on every call.
dumps_compact = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str).encode
_dumps_canonical = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, sort_keys=True, default=str
).encode
loads = json.loads


def canonical_json(obj: Any) -> str:
    """Key-sorted compact JSON: equal values give equal text (and equal hashes)."""
    return _dumps_canonical(obj)


def content_id(obj: Any) -> str:
    """The content address of a JSON value: sha256 of its canonical JSON."""
    return hashlib.sha256(canonical_json(obj).encode()).hexdigest()


def dumps_or_none(obj: Any) -> str | None:
    return None if obj is None else dumps_compact(obj)


def loads_or_none(text: str | None) -> Any:
    return None if text is None else loads(text)
