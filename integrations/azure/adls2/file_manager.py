"""``ADLS2FileHandle`` and ``ADLS2FileManager`` (legacy ``dagster_azure.adls2.file_manager``),
on the Blob API of the same account."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...object_store import FileHandle, ObjectStoreFileManager

if TYPE_CHECKING:
    from .resources import ADLS2Resource


class ADLS2FileHandle(FileHandle):
    """A reference to a file on ADLS2: account, file system and key (machine-free)."""

    def __init__(self, account: str, file_system: str, key: str) -> None:
        self._account, self._file_system, self._key = account, file_system, key

    @property
    def account(self) -> str:
        return self._account

    @property
    def file_system(self) -> str:
        return self._file_system

    @property
    def key(self) -> str:
        return self._key

    @property
    def path_desc(self) -> str:
        return self.adls2_path

    @property
    def adls2_path(self) -> str:
        # "adfss" (sic): dagster-azure's spelling, kept because users compare these strings.
        return f"adfss://{self.file_system}@{self.account}.dfs.core.windows.net/{self.key}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ADLS2FileHandle) and other.adls2_path == self.adls2_path

    def __hash__(self) -> int:
        return hash(self.adls2_path)

    def __repr__(self) -> str:
        return (f"ADLS2FileHandle(account={self.account!r}, file_system="
                f"{self.file_system!r}, key={self.key!r})")


class ADLS2FileManager(ObjectStoreFileManager):
    """Writes ``<prefix>/<uuid4>[.<ext>]`` in ``file_system``; reads any ADLS2FileHandle of
    the account."""

    def __init__(self, adls2: ADLS2Resource, file_system: str, prefix: str) -> None:
        account = adls2.account.name

        def make_handle(container: str, key: str) -> FileHandle:
            return ADLS2FileHandle(account, container, key)

        def handle_key(handle: FileHandle) -> tuple[str, str] | None:
            if isinstance(handle, ADLS2FileHandle) and handle.account == account:
                return handle.file_system, handle.key
            return None

        super().__init__(adls2.store(file_system), prefix, make_handle, handle_key)
