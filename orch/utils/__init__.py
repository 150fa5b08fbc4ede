"""``orch.utils``: the legacy ``dagster.utils`` helpers that pipeline files import."""

from __future__ import annotations

import inspect
import os

from orch.core.legacy_helpers import file_relative_path

__all__ = ["file_relative_path", "script_relative_path"]


def script_relative_path(file_path: str) -> str:
    """A path relative to the file of the caller (legacy; prefer ``file_relative_path``)."""
    caller = inspect.stack()[1].filename
    return os.path.join(os.path.dirname(os.path.abspath(caller)), file_path)
