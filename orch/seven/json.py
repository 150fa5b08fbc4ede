"""``orch.seven.json``: the legacy ``dagster.seven.json`` — the standard ``json`` functions with
the legacy defaults (``dump``/``dumps`` sort keys; ``load``/``loads`` accept control
characters in strings)."""

from __future__ import annotations

import json as _json
from functools import partial
from json import JSONDecodeError

__all__ = ["JSONDecodeError", "dump", "dumps", "load", "loads"]

dump = partial(_json.dump, sort_keys=True)
dumps = partial(_json.dumps, sort_keys=True)
load = partial(_json.load, strict=False)
loads = partial(_json.loads, strict=False)
