"""The pickle IO manager of every cloud: one object per output, at the legacy key layout.

``<prefix>/storage/<run_id>/<step_key>/<output>[/<mapping_key>]`` on S3;
``<prefix>/storage/<run_id>/files/<step_key>/<output>[/<mapping_key>]`` on GCS and ADLS2
(``files_segment``), as dagster-aws / dagster-gcp / dagster-azure lay them out. Every part that
comes from a run (run id, step key, output name, mapping key) is checked as one path component
before it becomes part of a key, so no id can reach another run's objects.

An output is pickled straight into the store's writer and becomes visible whole or not at all:
one PUT, or on S3 a multipart upload completed only once every part is in (aborted when the
pickling or a part fails), so an object already at that key is replaced atomically (a reader
sees the old pickle or the new one). The legacy managers first list and delete what
is there, warning ``Removing existing S3 key``, which costs a request per output and leaves a
moment with no object; orch does neither.
"""

from __future__ import annotations

import pickle
from typing import IO, Any

from orch.core.definitions.io_manager import IOManager
from orch.core.errors import DagsterInvariantViolationError
from orch.core.storage.paths import check_path_component, check_run_id

from .store import ObjectStore, join_key


def check_prefix(prefix: str, what: str = "prefix") -> str:
    """A key prefix made of safe components (``dagster``, ``team/dagster``)."""
    for part in prefix.strip("/").split("/"):
        check_path_component(part, what)
    return prefix.strip("/")


class PickledObjectStoreIOManager(IOManager):
    """Pickles each output to one object in ``store`` under ``prefix``."""

    def __init__(self, store: ObjectStore, prefix: str = "dagster", *,
                 files_segment: bool = False, label: str = "S3") -> None:
        self.store = store
        self.prefix = check_prefix(prefix)
        self.files_segment = files_segment
        self.label = label

    def key_for(self, context: Any) -> str:
        run_id, step_key, name, *mapping = context.get_run_scoped_output_identifier()
        check_run_id(run_id)
        check_path_component(step_key, "step key")
        check_path_component(name, "output name")
        for key in mapping:
            check_path_component(key, "mapping key")
        files = ["files"] if self.files_segment else []
        return join_key(self.prefix, "storage", run_id, *files, step_key, name, *mapping)

    def uri_for(self, context: Any) -> str:
        return self.store.uri(self.key_for(context))

    def handle_output(self, context: Any, obj: Any) -> None:
        key = self.key_for(context)
        if context.log is not None:
            context.log.debug(f"Writing {self.label} object at: {self.store.uri(key)}")

        def pickle_to(file: IO[bytes]) -> None:
            # Straight into the store's writer: no whole pickle in memory first (a large
            # output goes up in parts while it is pickled).
            try:
                pickle.Pickler(file, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
            except (pickle.PicklingError, TypeError, AttributeError) as exc:
                kind = type(obj)
                raise DagsterInvariantViolationError(
                    f'Output "{context.name}" of step "{context.step_key}" could not be '
                    f"pickled: a value of type {kind.__module__}.{kind.__qualname__} cannot "
                    f"be stored by the {self.label} pickle IO manager "
                    f"({type(exc).__name__}: {exc})."
                ) from exc

        self.store.put_stream(key, pickle_to)

    def load_input(self, context: Any) -> Any:
        up = context.upstream_output
        key = self.key_for(up)
        if context.log is not None:
            context.log.debug(f"Loading {self.label} object from: {self.store.uri(key)}")
        try:
            return self.store.get_stream(key, pickle.load)
        except FileNotFoundError:
            raise DagsterInvariantViolationError(
                f'No stored output "{up.name}" of step "{up.step_key}" from run {up.run_id} '
                f"at {self.store.uri(key)}."
            ) from None
