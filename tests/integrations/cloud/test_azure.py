"""Azure (orch.integrations.azure) against Azurite's blob service (SharedKey auth checked; no
DFS endpoint, so ADLS2 outputs go through the Blob API), through ``orch run``."""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import textwrap
import uuid
from collections.abc import Iterator

import pytest

from ..cloud_servers import AZURITE_ACCOUNT, AZURITE_KEY, azurite_server
from ..conftest import ORCH, Project, require

require("azure", "adlfs", "azure.storage.blob")

REPO = '''
from orch.integrations.azure.adls2 import (ADLS2FileHandle, adls2_file_manager,
                                           adls2_pickle_io_manager, adls2_resource)
from orch import ModeDefinition, pipeline, solid


@solid(required_resource_keys={"file_manager"})
def extract(context):
    print("extracting to adls2")
    handle = context.resources.file_manager.write_data(b"a\\nb\\n", ext="txt")
    assert isinstance(handle, ADLS2FileHandle)
    return handle


@solid(required_resource_keys={"file_manager", "adls2"})
def count(context, handle):
    lines = context.resources.file_manager.read_data(handle).split()
    print(f"{len(lines)} lines")
    return len(lines)


@pipeline(mode_defs=[ModeDefinition(resource_defs={
    "io_manager": adls2_pickle_io_manager, "adls2": adls2_resource,
    "file_manager": adls2_file_manager})])
def lines():
    count(extract())
'''


@pytest.fixture(scope="module")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with azurite_server(tmp_path_factory.mktemp("azurite")) as account_url:
        yield account_url


def blob_service(account_url: str):
    from azure.storage.blob import BlobServiceClient

    return BlobServiceClient(account_url, credential={"account_name": AZURITE_ACCOUNT,
                                                      "account_key": AZURITE_KEY})


@pytest.fixture
def container(azurite: str) -> str:
    name = f"orch-{uuid.uuid4().hex[:12]}"
    blob_service(azurite).create_container(name)
    return name


def blobs(account_url: str, container: str) -> dict[str, bytes]:
    client = blob_service(account_url).get_container_client(container)
    return {b.name: client.download_blob(b.name).readall() for b in client.list_blobs()}


def credentials(azurite: str, key: str = AZURITE_KEY) -> dict[str, object]:
    return {"storage_account": AZURITE_ACCOUNT, "credential": {"key": key},
            "account_url": azurite}


def test_outputs_files_and_compute_logs_in_azure(project: Project, azurite: str,
                                                 container: str) -> None:
    project.write(REPO)
    project.home.mkdir()
    (project.home / "orch.yaml").write_text(textwrap.dedent(f"""
        compute_logs:
          module: dagster_azure.blob.compute_log_manager
          class: AzureBlobComputeLogManager
          config:
            storage_account: {AZURITE_ACCOUNT}
            container: {container}
            secret_key: {{env: AZURE_KEY}}
            account_url: {azurite}
    """))
    config = project.root / "run.yaml"
    config.write_text(json.dumps({
        "resources": {"io_manager": {"config": {"adls2_file_system": container}},
                      "adls2": {"config": credentials(azurite)},
                      "file_manager": {"config": {**credentials(azurite),
                                                  "adls2_file_system": container,
                                                  "adls2_prefix": "files"}}},
        "execution": {"multiprocess": {}}}))
    env = project.env(AZURE_KEY=AZURITE_KEY)
    result = project.run("lines", "-c", str(config), env=env)
    assert result.returncode == 0, result.stderr
    run_id = result.run_id
    stored = blobs(azurite, container)
    prefix = f"dagster/storage/{run_id}/files/"
    assert pickle.loads(stored[f"{prefix}count/result"]) == 2
    handle = pickle.loads(stored[f"{prefix}extract/result"])
    assert handle.adls2_path.startswith(
        f"adfss://{container}@{AZURITE_ACCOUNT}.dfs.core.windows.net/files/")
    assert stored[handle.key] == b"a\nb\n"
    logs = f"dagster/storage/{run_id}/compute_logs/"
    assert stored[f"{logs}extract.out"] == b"extracting to adls2\n"
    assert stored[f"{logs}count.out"] == b"2 lines\n"

    shutil.rmtree(project.home / "logs")
    proc = subprocess.run([ORCH, "runs", "logs", run_id, "--step", "count", "--stdout"],
                          capture_output=True, text=True, env=env, cwd=project.root, timeout=60)
    assert (proc.returncode, proc.stdout) == (0, "2 lines\n"), proc.stderr


def test_a_wrong_key_is_refused_and_said(project: Project, azurite: str,
                                         container: str) -> None:
    project.write(REPO)
    wrong = AZURITE_KEY[:-4] + "AAA="
    config = project.root / "run.yaml"
    config.write_text(json.dumps({"resources": {
        "io_manager": {"config": {"adls2_file_system": container}},
        "adls2": {"config": credentials(azurite, wrong)},
        "file_manager": {"config": {**credentials(azurite), "adls2_file_system": container}}}}))
    result = project.run("lines", "-c", str(config), env=project.env())
    assert result.returncode == 1
    text = json.dumps(result.events)
    assert f"No access to the bucket abfss://{container} (Server failed to authenticate the " \
        "request." in text
