"""One stand-in server per test session for the cloud integrations (started by the first test
that needs it, stopped by pid at the end); each test makes its own bucket."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from ..cloud_servers import S3Server, seaweedfs_server


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with seaweedfs_server(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture
def s3_bucket(seaweedfs: S3Server) -> str:
    name = f"orch-{uuid.uuid4().hex[:12]}"
    seaweedfs.client().create_bucket(Bucket=name)
    return name
