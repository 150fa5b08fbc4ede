"""``local_output_notebook_io_manager`` (legacy ``dagstermill.io_managers``): stores an executed
notebook (the bytes of a notebook solid's ``output_notebook_name`` output) at
``<base_dir>/<run_id>/<step_key>/<output>.ipynb`` (``base_dir`` default ORCH_HOME/storage) and
records the asset ``[*asset_key_prefix, "<step_key>_output_notebook"]`` with its path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from orch.core.config import Array, Field
from orch.core.definitions.events import AssetMaterialization
from orch.core.definitions.io_manager import IOManager, io_manager
from orch.core.definitions.metadata import MetadataEntry, MetadataValue


class OutputNotebookIOManager(IOManager):
    def __init__(self, asset_key_prefix: list[str] | None = None) -> None:
        self.asset_key_prefix = list(asset_key_prefix or [])

    def get_output_asset_key(self, context: Any) -> list[str]:
        return [*self.asset_key_prefix, f"{context.step_key}_output_notebook"]


class LocalOutputNotebookIOManager(OutputNotebookIOManager):
    def __init__(self, base_dir: str, asset_key_prefix: list[str] | None = None) -> None:
        super().__init__(asset_key_prefix)
        self.base_dir = base_dir

    def _path(self, context: Any) -> Path:
        return Path(self.base_dir, *context.get_run_scoped_output_identifier()).with_suffix(
            ".ipynb")

    def handle_output(self, context: Any, obj: bytes) -> Iterator[Any]:
        path = self._path(context)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(obj)
        yield MetadataEntry("path", value=MetadataValue.path(str(path)))
        yield AssetMaterialization(asset_key=self.get_output_asset_key(context))

    def load_input(self, context: Any) -> bytes:
        return self._path(context.upstream_output).read_bytes()


@io_manager(config_schema={"asset_key_prefix": Field(Array(str), is_required=False),
                           "base_dir": Field(str, is_required=False)})
def local_output_notebook_io_manager(init_context: Any) -> LocalOutputNotebookIOManager:
    """Stores executed notebooks as files (see the module docstring)."""
    config = init_context.resource_config or {}
    base_dir = config.get("base_dir") or str(init_context.instance.storage_dir)
    return LocalOutputNotebookIOManager(base_dir, config.get("asset_key_prefix", []))
