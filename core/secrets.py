"""Secrets in what orch shows: a password in a URL or under a secret-looking key is masked.

``orch instance info`` prints the instance's configuration and its storage's location; a team
instance's ``postgres_url`` carries a password. ``{env: VAR}`` references are shown as they
are (they are not the secret).
"""

from __future__ import annotations

import re
from typing import Any

MASK = "***"
_SECRET_KEYS = re.compile(r"password|secret|token|passwd", re.IGNORECASE)
_PASSWORD_IN_URL = re.compile(r"(?P<head>\w+://[^:/@\s]*:)(?P<password>[^@\s]*)(?P<at>@)")
_PASSWORD_IN_QUERY = re.compile(r"(?P<head>[?&]password=)[^&\s]*", re.IGNORECASE)


def mask_url(url: str) -> str:
    """``url`` (or any text holding URLs) with each password replaced by ``***``."""
    url = _PASSWORD_IN_URL.sub(rf"\g<head>{MASK}\g<at>", url)
    return _PASSWORD_IN_QUERY.sub(rf"\g<head>{MASK}", url)


def mask_secrets(value: Any) -> Any:
    """A copy of a config value with passwords in URLs and values of secret-looking keys
    masked; an ``{env: VAR}`` reference is kept (it names the secret, it is not one)."""
    if isinstance(value, dict):
        if set(value) == {"env"}:
            return value
        return {k: MASK if _SECRET_KEYS.search(str(k)) and not _is_env_ref(v)
                and v not in (None, "") else mask_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_secrets(v) for v in value]
    if isinstance(value, str):
        return mask_url(value)
    return value


def _is_env_ref(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"env"}
