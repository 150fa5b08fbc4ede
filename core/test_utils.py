"""``orch.core.test_utils``: the helpers of the legacy ``dagster.core.test_utils`` that users'
own test suites import."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .legacy_helpers import DagsterInstance

__all__ = ["environ", "instance_for_test", "instance_for_test_tempdir"]


@contextmanager
def environ(env: dict[str, str | None]) -> Iterator[None]:
    """Set (or, for None, unset) environment variables for the block, then restore them."""
    previous = {key: os.environ.get(key) for key in env}
    try:
        for key, value in env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def instance_for_test_tempdir(temp_dir: str,
                              overrides: dict[str, Any] | None = None) -> Iterator[Any]:
    """A persistent instance rooted at ``temp_dir`` (``ORCH_HOME`` points there meanwhile);
    ``overrides`` is written as its ``orch.yaml``."""
    if overrides:
        import yaml

        with open(os.path.join(temp_dir, "orch.yaml"), "w") as f:
            yaml.safe_dump(overrides, f)
    with environ({"ORCH_HOME": temp_dir}):
        instance = DagsterInstance.from_home(temp_dir)
        try:
            yield instance
        finally:
            instance.close()


@contextmanager
def instance_for_test(overrides: dict[str, Any] | None = None,
                      temp_dir: str | None = None) -> Iterator[Any]:
    """A temporary persistent instance for a test, removed afterwards."""
    if temp_dir is not None:
        with instance_for_test_tempdir(temp_dir, overrides) as instance:
            yield instance
        return
    with tempfile.TemporaryDirectory(prefix="orch-test-instance-") as tmp, \
            instance_for_test_tempdir(tmp, overrides) as instance:
        yield instance
