"""Backfills: one run per partition of a partition set, stored in ``bulk_actions`` and
submitted through the run coordinator in chunks with a checkpoint, so a backfill whose
process died is resumed where it stopped and never launches a partition twice.

:func:`create_backfill` chooses and checks the partitions and stores the backfill
(REQUESTED); :func:`execute_backfill` submits its runs, ``chunk_size`` partitions at a time:
after each chunk the checkpoint (the last partition submitted) is saved and the status is
read again, so a cancel stops it between chunks. Each partition's run is claimed under
(backfill, partition) before it is created, so the partitions of a chunk that was cut short
are not launched again on resume. Runs carry ``orch/backfill``, ``orch/partition`` and
``orch/partition_set`` (``dagster/...`` filters find them too).
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..definitions.schedules import BACKFILL_ID_TAG, RunRequest
from ..errors import DagsterInvariantViolationError
from ..storage.schedules import Backfill, BulkActionStatus
from .ticks import LaunchOutcome, launch_request

if TYPE_CHECKING:
    from ..instance import Instance
    from ..workspace import LoadedWorkspace

CHUNK_SIZE = 25


class BackfillError(DagsterInvariantViolationError):
    """A backfill that cannot be created or resumed as asked."""


@dataclass(frozen=True)
class PartitionSetSource:
    """A partition set as the source of runs (for :func:`~.ticks.launch_request`)."""

    repository: str
    definition: Any
    backfill_id: str

    @property
    def name(self) -> str:
        return str(self.definition.name)

    @property
    def selector(self) -> str:
        return f"backfill:{self.backfill_id}"

    @property
    def kind(self) -> str:
        return "backfill of partition set"


def partition_sets_for(workspace: LoadedWorkspace, pipeline_name: str
                       ) -> list[tuple[str, Any]]:
    """(repository, partition set) pairs whose partition set targets ``pipeline_name``."""
    found = []
    for repo_name, repo in sorted(workspace.repository_defs.items()):
        for partition_set in repo.partition_set_defs:
            if partition_set.pipeline_name == pipeline_name:
                found.append((repo_name, partition_set))
    return found


def choose_partition_set(workspace: LoadedWorkspace, pipeline_name: str,
                         name: str | None) -> tuple[str, Any]:
    candidates = partition_sets_for(workspace, pipeline_name)
    if not candidates:
        raise BackfillError(f"No partition sets found for pipeline `{pipeline_name}`.")
    if name is None:
        if len(candidates) == 1:
            return candidates[0]
        raise BackfillError(
            "No partition set specified (see option `--partition-set`); pipeline "
            f"`{pipeline_name}` has {', '.join(p.name for _, p in candidates)}.")
    for repo_name, partition_set in candidates:
        if partition_set.name == name:
            return repo_name, partition_set
    raise BackfillError(
        f'No partition set named "{name}" for pipeline `{pipeline_name}`. Valid partition '
        f"sets: {', '.join(p.name for _, p in candidates)}.")


def select_partitions(all_names: Sequence[str], names: Sequence[str] | None = None,
                      select_all: bool = False, from_name: str | None = None,
                      to_name: str | None = None) -> list[str]:
    """The partitions a backfill covers: listed names, all, or an inclusive --from/--to
    slice (either end may be left open); with no selector, all."""
    given = sum([bool(names), select_all, from_name is not None or to_name is not None])
    if given > 1:
        raise BackfillError("Use only one of --all, --partitions and --from/--to.")
    if names:
        unknown = [n for n in names if n not in all_names]
        if unknown:
            raise BackfillError(
                f"Unknown partitions: {', '.join(unknown)}. The partition set has "
                f"{len(all_names)}: {_sample(all_names)}.")
        return [n for n in all_names if n in set(names)]
    if from_name is not None or to_name is not None:
        for label, value in (("--from", from_name), ("--to", to_name)):
            if value is not None and value not in all_names:
                raise BackfillError(f"Invalid value {value} for {label}: the partition set has "
                                    f"{_sample(all_names)}.")
        start = all_names.index(from_name) if from_name is not None else 0
        end = all_names.index(to_name) if to_name is not None else len(all_names) - 1
        if start > end:
            raise BackfillError(f"--from {from_name} comes after --to {to_name}.")
        return list(all_names[start:end + 1])
    return list(all_names)


def _sample(names: Sequence[str]) -> str:
    if len(names) <= 6:
        return ", ".join(names) or "none"
    return f"{', '.join(names[:3])}, …, {', '.join(names[-2:])}"


def new_backfill_id() -> str:
    return "".join(random.choices(string.ascii_lowercase, k=8))


def create_backfill(instance: Instance, workspace: LoadedWorkspace, pipeline_name: str,
                    partition_set_name: str | None, partition_names: Sequence[str],
                    tags: dict[str, str] | None = None) -> Backfill:
    """Store a REQUESTED backfill of ``partition_names`` (already selected)."""
    repo_name, partition_set = choose_partition_set(workspace, pipeline_name,
                                                    partition_set_name)
    if not partition_names:
        raise BackfillError(f'Partition set "{partition_set.name}" has no partitions to run.')
    origin = next(r["origin"] for r in workspace.repositories if r["name"] == repo_name)
    return instance.storage.add_backfill(Backfill(
        new_backfill_id(), BulkActionStatus.REQUESTED, pipeline_name, partition_set.name,
        list(partition_names), dict(tags or {}), {**origin, "repository": repo_name}))


def execute_backfill(instance: Instance, workspace: LoadedWorkspace, backfill_id: str,
                     chunk_size: int = CHUNK_SIZE,
                     on_chunk: Callable[[Backfill, LaunchOutcome], None] | None = None,
                     max_chunks: int | None = None) -> Backfill:
    """Submit the runs of a REQUESTED backfill from its checkpoint on; COMPLETED when every
    partition has its run, FAILED (with the error) when one could not be created. With
    ``max_chunks`` (the daemon's pass), stop after that many chunks, still REQUESTED."""
    storage = instance.storage
    backfill = storage.get_backfill(backfill_id)
    if backfill is None:
        raise BackfillError(f'No backfill "{backfill_id}" in the instance.')
    if backfill.status is not BulkActionStatus.REQUESTED:
        raise BackfillError(f"Backfill {backfill_id} is {backfill.status.value}; only a "
                            "REQUESTED backfill runs (resume a FAILED or CANCELED one).")
    repo_name = str((backfill.origin or {}).get("repository"))
    repo = workspace.repository_defs.get(repo_name)
    if repo is None:
        raise BackfillError(f'Backfill {backfill_id}: repository "{repo_name}" is not in '
                            f"{workspace.target.describe()}.")
    partition_set = repo.get_partition_set_def(backfill.partition_set_name)
    source = PartitionSetSource(repo_name, partition_set, backfill_id)
    names = backfill.partition_names
    start = names.index(backfill.last_submitted_partition_name) + 1 \
        if backfill.last_submitted_partition_name in names else 0
    try:
        partitions = {p.name: p for p in partition_set.get_partitions()}
    except Exception as e:
        return storage.update_backfill(replace(
            backfill, status=BulkActionStatus.FAILED,
            error=f"Partitions of {partition_set.name} could not be listed: {e}"))
    chunks = range(start, len(names), max(1, chunk_size))
    for done, offset in enumerate(chunks):
        if max_chunks is not None and done >= max_chunks:
            return backfill
        chunk = names[offset:offset + chunk_size]
        outcome = LaunchOutcome()
        for name in chunk:
            _launch_partition(instance, workspace, source, backfill, partitions.get(name),
                              name, outcome)
        if outcome.errors:  # the checkpoint stays before this chunk: resume retries it
            return storage.update_backfill(replace(
                backfill, status=BulkActionStatus.FAILED, error="\n\n".join(outcome.errors)))
        # The stored status is kept: a cancel that came during the chunk stops it here.
        backfill = storage.checkpoint_backfill(backfill_id, chunk[-1], offset + len(chunk)) \
            or backfill
        if on_chunk is not None:
            on_chunk(backfill, outcome)
        current = storage.get_backfill(backfill_id)
        if current is None or current.status is not BulkActionStatus.REQUESTED:
            return current or backfill  # canceled during or between chunks
    return storage.update_backfill(replace(backfill, status=BulkActionStatus.COMPLETED,
                                           error=None))


def run_requested_backfills(instance: Instance, workspace: LoadedWorkspace,
                            max_chunks: int = 1) -> list[Backfill]:
    """The daemon's backfill pass: up to ``max_chunks`` chunks of every REQUESTED backfill
    whose code is this workspace's (one created by ``orch backfill`` whose process died, one
    resumed from the app); returns them as they stand after it. A backfill whose process is
    still submitting it is safe to go on with too: every partition's run is claimed once."""
    out = []
    for backfill in instance.storage.get_backfills(BulkActionStatus.REQUESTED):
        if not _is_of(workspace, backfill):
            continue
        try:
            out.append(execute_backfill(instance, workspace, backfill.backfill_id,
                                        max_chunks=max_chunks))
        except BackfillError:  # canceled (or gone) since it was listed
            continue
    return out


def _is_of(workspace: LoadedWorkspace, backfill: Backfill) -> bool:
    origin = dict(backfill.origin or {})
    repo_name = origin.pop("repository", None)
    for repository in workspace.repositories:
        if repository["name"] == repo_name:
            mine = repository.get("origin") or {}
            return all(mine.get(k) == origin.get(k) for k in ("python_file", "module_name"))
    return False


def _launch_partition(instance: Instance, workspace: LoadedWorkspace,
                      source: PartitionSetSource, backfill: Backfill, partition: Any,
                      name: str, outcome: LaunchOutcome) -> None:
    partition_set = source.definition
    if partition is None:
        outcome.errors.append(f'Partition "{name}" is no longer in partition set '
                              f'"{partition_set.name}".')
        return
    try:
        run_config = partition_set.run_config_for_partition(partition)
        tags = {**partition_set.tags_for_partition(partition), **backfill.tags,
                BACKFILL_ID_TAG: backfill.backfill_id}
    except Exception as e:
        outcome.errors.append(f'The run config or tags of partition "{name}" could not be '
                              f"computed: {type(e).__name__}: {e}")
        return
    launch_request(instance, workspace, source, RunRequest(name, run_config, tags), name,
                   tags, outcome)


def set_backfill_status(instance: Instance, backfill_id: str,
                        status: BulkActionStatus) -> Backfill:
    """Cancel (CANCELED) or resume (REQUESTED) a backfill."""
    storage = instance.storage
    backfill = storage.get_backfill(backfill_id)
    if backfill is None:
        known = [b.backfill_id for b in storage.get_backfills()][:10]
        raise BackfillError(f'No backfill "{backfill_id}" in the instance. Backfills: '
                            f"{', '.join(known) or 'none'}.")
    if status is BulkActionStatus.CANCELED and backfill.status in (
            BulkActionStatus.COMPLETED, BulkActionStatus.CANCELED):
        raise BackfillError(f"Backfill {backfill_id} is already {backfill.status.value}.")
    if status is BulkActionStatus.REQUESTED and backfill.status is BulkActionStatus.COMPLETED:
        raise BackfillError(f"Backfill {backfill_id} is COMPLETED: every partition has its run.")
    return storage.update_backfill(replace(backfill, status=status, error=None))
