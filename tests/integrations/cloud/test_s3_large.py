"""Large outputs through the S3 pickle IO manager on SeaweedFS: pickled straight into a
multipart upload (parts sent while the pickler runs), read back into the unpickler's buffer,
at the legacy key, and never visible half written."""

from __future__ import annotations

import os
import pickle
from typing import Any

import pytest

from ..cloud_servers import S3Server
from ..conftest import require

require("aws", "boto3", "s3fs")

MiB = 1024 * 1024


def output_context(run_id: str, step_key: str) -> Any:
    from orch import build_output_context

    return build_output_context(step_key, run_id=run_id)


def input_context(upstream: Any) -> Any:
    from orch import build_input_context

    return build_input_context(upstream_output=upstream)


def s3_io_manager(seaweedfs: S3Server, s3_bucket: str, monkeypatch: pytest.MonkeyPatch,
                  endpoint_url: str | None = None) -> Any:
    """The S3 IO manager on the bucket, with SeaweedFS's credentials, talking to
    ``endpoint_url`` (a proxy in front of the server) or the server itself."""
    for name, value in seaweedfs.env().items():
        monkeypatch.setenv(name, value)
    from orch.integrations.aws.s3 import PickledObjectS3IOManager
    from orch.integrations.aws.s3.resources import S3Settings

    client = S3Settings(endpoint_url=endpoint_url or seaweedfs.endpoint_url,
                        region_name="us-east-1").client()
    return PickledObjectS3IOManager(s3_bucket, client)


@pytest.fixture
def manager(seaweedfs: S3Server, s3_bucket: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    manager = s3_io_manager(seaweedfs, s3_bucket, monkeypatch)
    manager.store.part_size, manager.store.concurrency = 5 * MiB, 2  # S3's smallest parts
    return manager


def test_a_large_output_goes_up_in_parts_and_round_trips(
        manager: Any, seaweedfs: S3Server, s3_bucket: str) -> None:
    value = {"blob": os.urandom(22 * MiB), "rows": list(range(50_000)), "name": "large"}
    out = output_context("run-large", "make")
    manager.handle_output(out, value)
    key = "dagster/storage/run-large/make/result"  # the legacy layout
    assert out.consume_logged_metadata()["uri"].value == f"s3://{s3_bucket}/{key}"

    client = seaweedfs.client()
    head = client.head_object(Bucket=s3_bucket, Key=key)
    raw = client.get_object(Bucket=s3_bucket, Key=key)["Body"].read()
    assert head["ContentLength"] == len(raw) > 22 * MiB
    assert head["ETag"].strip('"').endswith(f"-{-(-len(raw) // (5 * MiB))}")  # 5 parts
    assert pickle.loads(raw) == value  # a plain pickle: dagster-aws reads it too
    assert manager.load_input(input_context(out)) == value  # streamed into the unpickler's buffer
    assert not client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads")


def test_a_small_output_is_still_one_put(manager: Any, seaweedfs: S3Server,
                                         s3_bucket: str) -> None:
    out = output_context("run-small", "make")
    manager.handle_output(out, [1, 2, 3])
    head = seaweedfs.client().head_object(Bucket=s3_bucket,
                                          Key="dagster/storage/run-small/make/result")
    assert "-" not in head["ETag"]
    assert manager.load_input(input_context(out)) == [1, 2, 3]


def test_a_write_failing_after_parts_went_up_leaves_the_old_object(
        manager: Any, seaweedfs: S3Server, s3_bucket: str) -> None:
    from orch.core.errors import DagsterInvariantViolationError

    out = output_context("run-fail", "make")
    key = "dagster/storage/run-fail/make/result"
    client = seaweedfs.client()
    # The server lists uploads begun and not completed (so the checks below mean something).
    begun = client.create_multipart_upload(Bucket=s3_bucket, Key="probe")["UploadId"]
    assert [u["Key"] for u in client.list_multipart_uploads(Bucket=s3_bucket)["Uploads"]] == \
        ["probe"]
    client.abort_multipart_upload(Bucket=s3_bucket, Key="probe", UploadId=begun)
    # A first output, then a second whose pickling fails once 12 MiB (two parts) are sent.
    manager.handle_output(out, "the first value")
    with pytest.raises(DagsterInvariantViolationError, match="could not be pickled"):
        manager.handle_output(out, [os.urandom(12 * MiB), lambda: None])
    assert manager.load_input(input_context(out)) == "the first value"
    assert not client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads")

    # With nothing there before, nothing is there after.
    fresh = output_context("run-fail", "other")
    with pytest.raises(DagsterInvariantViolationError, match="could not be pickled"):
        manager.handle_output(fresh, [os.urandom(12 * MiB), lambda: None])
    listed = client.list_objects_v2(Bucket=s3_bucket, Prefix="dagster/storage/run-fail/")
    assert [o["Key"] for o in listed.get("Contents", [])] == [key]
    assert not client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads")


class CuttingProxy:
    """A loopback TCP proxy in front of SeaweedFS that, once armed, closes the first
    connection whose answer (or, with ``cut_requests``, request) passes ``cut_after`` bytes:
    a connection dropped mid-body."""

    def __init__(self, upstream_port: int) -> None:
        import socket
        import threading

        self.upstream_port = upstream_port
        self.cut_after: int | None = None
        self.cut_requests = False
        self.cuts = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import socket
        import threading

        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._pipe, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, True), daemon=True).start()

    def _pipe(self, source: Any, sink: Any, answers: bool) -> None:
        sent = 0
        try:
            while chunk := source.recv(1 << 16):
                sink.sendall(chunk)
                sent += len(chunk)
                if answers != self.cut_requests and self.cut_after is not None and \
                        sent > self.cut_after:
                    with self.lock:
                        if self.cut_after is None:
                            continue
                        self.cut_after, self.cuts = None, self.cuts + 1
                    break
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(2)
                s.close()
            except OSError:
                pass

    def close(self) -> None:
        self.listener.close()


def test_a_large_read_cut_off_midway_resumes_where_it_stopped(
        seaweedfs: S3Server, s3_bucket: str, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    proxy = CuttingProxy(int(seaweedfs.endpoint_url.rsplit(":", 1)[1]))
    try:
        manager = s3_io_manager(seaweedfs, s3_bucket, monkeypatch,
                                f"http://127.0.0.1:{proxy.port}")
        value = os.urandom(30 * MiB)
        out = output_context("run-cut", "make")
        manager.handle_output(out, value)
        proxy.cut_after = 12 * MiB
        assert manager.load_input(input_context(out)) == value
        assert proxy.cuts == 1
        assert "resuming" in caplog.text and "run-cut/make/result" in caplog.text
    finally:
        proxy.close()


def test_a_part_cut_off_midway_is_sent_again(
        seaweedfs: S3Server, s3_bucket: str, monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = CuttingProxy(int(seaweedfs.endpoint_url.rsplit(":", 1)[1]))
    try:
        manager = s3_io_manager(seaweedfs, s3_bucket, monkeypatch,
                                f"http://127.0.0.1:{proxy.port}")
        manager.store.part_size = 5 * MiB
        value = os.urandom(23 * MiB)
        out = output_context("run-cut", "send")
        proxy.cut_requests, proxy.cut_after = True, 2 * MiB  # inside the first part
        manager.handle_output(out, value)
        assert proxy.cuts == 1
        raw = seaweedfs.client().get_object(
            Bucket=s3_bucket, Key="dagster/storage/run-cut/send/result")["Body"].read()
        assert pickle.loads(raw) == value
        assert not seaweedfs.client().list_multipart_uploads(Bucket=s3_bucket).get("Uploads")
    finally:
        proxy.close()
