"""IO managers: how a step's outputs are stored and how downstream inputs load them."""

from __future__ import annotations

import errno
import os
import pickle
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..config import Field, StringSource
from ..errors import DagsterInvariantViolationError
from ..storage.paths import (
    FILE_MODE,
    NOFOLLOW,
    DirectoriesAhead,
    OrchPathEscapeError,
    contained_file,
    make_private_dir,
)
from .resource import ResourceDefinition, _accept_optional_context


class IOManager(ABC):
    """Stores outputs (``handle_output``) and loads them as inputs (``load_input``)."""

    @abstractmethod
    def handle_output(self, context: Any, obj: Any) -> None: ...

    @abstractmethod
    def load_input(self, context: Any) -> Any: ...

    def prepare_outputs(self, run_id: str, outputs: Sequence[tuple[str, str]]
                        ) -> Callable[[], None] | None:
        """orch: the ``(step key, output name)`` pairs of run ``run_id`` that steps in this
        process will store here, in the order they should run, told once before the first of
        them (executors that initialise resources once a run). A manager may get ready for
        them meanwhile; what it returns is called when those steps are done. The default does
        nothing."""
        return None


class RootInputManager(ABC):
    """Provides a value for an input that has no upstream output."""

    @abstractmethod
    def load_input(self, context: Any) -> Any: ...


class IOManagerDefinition(ResourceDefinition):
    """A resource whose value is an :class:`IOManager`."""

    def __init__(
        self,
        resource_fn: Callable[[Any], Any],
        config_schema: Any = None,
        description: str | None = None,
        required_resource_keys: set[str] | None = None,
        version: str | None = None,
        input_config_schema: Any = None,
        output_config_schema: Any = None,
        persists_across_processes: bool = True,
    ):
        super().__init__(resource_fn, config_schema, description, required_resource_keys, version)
        self.input_config_schema = input_config_schema
        self.output_config_schema = output_config_schema
        self.persists_across_processes = persists_across_processes

    @staticmethod
    def hardcoded_io_manager(value: IOManager, description: str | None = None):
        return IOManagerDefinition(lambda _ctx: value, description=description)


class RootInputManagerDefinition(ResourceDefinition):
    """A resource whose value is a :class:`RootInputManager`."""

    def __init__(self, resource_fn, config_schema=None, description=None,
                 required_resource_keys=None, version=None, input_config_schema=None):
        super().__init__(resource_fn, config_schema, description, required_resource_keys, version)
        self.input_config_schema = input_config_schema


def io_manager(
    config_schema: Any = None,
    description: str | None = None,
    output_config_schema: Any = None,
    input_config_schema: Any = None,
    required_resource_keys: set[str] | None = None,
    version: str | None = None,
):
    """Decorator: ``@io_manager def my_manager(init_context): return MyIOManager()``."""

    def wrap(fn: Callable[[Any], Any]) -> IOManagerDefinition:
        return IOManagerDefinition(
            _accept_optional_context(fn), config_schema, description or fn.__doc__,
            required_resource_keys, version, input_config_schema, output_config_schema,
        )

    if callable(config_schema) and not isinstance(config_schema, type | dict | list):
        fn, config_schema = config_schema, None
        return wrap(fn)
    return wrap


def root_input_manager(
    config_schema: Any = None,
    description: str | None = None,
    input_config_schema: Any = None,
    required_resource_keys: set[str] | None = None,
    version: str | None = None,
):
    """Decorator: the function *is* ``load_input(context)``."""

    def wrap(fn: Callable[[Any], Any]) -> RootInputManagerDefinition:
        class _FnRootInputManager(RootInputManager):
            def load_input(self, context: Any) -> Any:
                return fn(context)

        return RootInputManagerDefinition(
            lambda _ctx: _FnRootInputManager(), config_schema, description or fn.__doc__,
            required_resource_keys, version, input_config_schema,
        )

    if callable(config_schema) and not isinstance(config_schema, type | dict | list):
        fn, config_schema = config_schema, None
        return wrap(fn)
    return wrap


class InMemoryIOManager(IOManager):
    """Keeps outputs in a dict; only steps in the same process can load them."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, ...], Any] = {}

    def handle_output(self, context: Any, obj: Any) -> None:
        self.values[tuple(context.get_run_scoped_output_identifier())] = obj

    def load_input(self, context: Any) -> Any:
        up = context.upstream_output
        key = tuple(up.get_run_scoped_output_identifier())
        if key not in self.values:
            raise DagsterInvariantViolationError(
                f'Output "{up.name}" of step "{up.step_key}" (run {up.run_id}) is not in memory: '
                "in-memory outputs live only in the process and run that produced them. "
                "Use fs_io_manager to reuse outputs across processes or runs."
            )
        return self.values[key]


mem_io_manager = IOManagerDefinition(
    lambda _ctx: InMemoryIOManager(),
    description="Keeps outputs in memory (the default).",
    persists_across_processes=False,
)


class PickledObjectFilesystemIOManager(IOManager):
    """Pickles each output to ``base_dir/<run_id>/<step_key>/<output_name>``.

    A reader never sees a half-written file: the pickle goes to ``<output>.tmp`` and is
    renamed over the output (``os.replace``) once complete, so a process killed mid-write
    leaves the previous file or none. There is no fsync: like the event log
    (``synchronous=NORMAL``), a stored output survives the death of any process, not an OS
    crash or power loss. Neither file is opened through a symlink (``NOFOLLOW``)."""

    def __init__(self, base_dir: str | os.PathLike):
        self.base_dir = Path(base_dir)
        self._ahead: DirectoriesAhead | None = None

    def prepare_outputs(self, run_id: str, outputs: Sequence[tuple[str, str]]
                        ) -> Callable[[], None] | None:
        """Make the outputs' step directories in a thread while the first steps run (see
        :class:`DirectoriesAhead`); none for a single output."""
        if len(outputs) < 2 or self._ahead is not None:
            return None
        try:
            steps = [os.path.dirname(contained_file(self.base_dir, run_id, step_key, name))
                     for step_key, name in outputs]
            directories = list(dict.fromkeys([os.path.dirname(steps[0]), *steps]))
        except (OSError, DagsterInvariantViolationError):  # the step reports it when it runs
            return None
        self._ahead = ahead = DirectoriesAhead(directories)

        def done() -> None:
            self._ahead = None
            ahead.close()

        return done

    def _path(self, output_context: Any) -> str:
        """``base_dir/<run_id>/<step_key>/<output>`` (plus ``/<mapping_key>`` for dynamic)."""
        return contained_file(self.base_dir, *output_context.get_run_scoped_output_identifier())

    def handle_output(self, context: Any, obj: Any) -> None:
        path = self._path(context)
        directory = os.path.dirname(path)
        if self._ahead is not None:
            self._ahead.used(directory)
        make_private_dir(directory)
        tmp = path + ".tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | NOFOLLOW, FILE_MODE)
        except OSError as exc:
            raise _refused_link(tmp, exc) from exc
        try:
            try:
                pickle.dump(obj, _FdWriter(fd), protocol=pickle.HIGHEST_PROTOCOL)
            finally:
                os.close(fd)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            os.unlink(tmp)
            kind = type(obj)
            mapping = f" (mapping key {context.mapping_key!r})" if context.mapping_key else ""
            raise DagsterInvariantViolationError(
                f'Output "{context.name}" of step "{context.step_key}"{mapping} could not be '
                f"pickled: a value of type {kind.__module__}.{kind.__qualname__} cannot be "
                f"stored by the filesystem IO manager ({type(exc).__name__}: {exc}). Return a "
                "picklable value, or give the output an IO manager that can store it."
            ) from exc
        os.replace(tmp, path)  # readers never see a half-written file

    def load_input(self, context: Any) -> Any:
        up = context.upstream_output
        path = self._path(up)
        try:
            fd = os.open(path, os.O_RDONLY | NOFOLLOW)
        except FileNotFoundError:
            raise DagsterInvariantViolationError(
                f'No stored output "{up.name}" of step "{up.step_key}" from run {up.run_id} '
                f"at {path}."
            ) from None
        except OSError as exc:
            raise _refused_link(path, exc) from exc
        try:
            size = os.fstat(fd).st_size
            if size > READ_WHOLE_BYTES:  # unpickled as it is read, not held twice
                with open(fd, "rb", closefd=False) as f:
                    return pickle.load(f)
            return pickle.loads(_read_exactly(fd, size))
        finally:
            os.close(fd)


# Stored outputs up to this size are read in one call and unpickled from memory; larger ones
# through a buffered file, so a large value is not held as bytes and as objects at once.
READ_WHOLE_BYTES = 1 << 20


class _FdWriter:
    """The file ``pickle.dump`` writes an output to: straight to the descriptor. The pickler
    already writes in frames of 64 KB (a large bytes-like value at once, uncopied), so a
    buffered file would only copy each frame again, and cost a file object per output."""

    __slots__ = ("fd",)

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        total = len(view)
        while view:
            view = view[os.write(self.fd, view):]
        return total


def _read_exactly(fd: int, size: int) -> bytes:
    """``size`` bytes from ``fd`` (a complete stored output: its size no longer changes)."""
    data = os.read(fd, size)
    if len(data) == size:
        return data
    parts = [data]
    left = size - len(data)
    while left > 0:
        chunk = os.read(fd, left)
        if not chunk:
            break
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _refused_link(path: str, exc: OSError) -> Exception:
    """The error for a stored output that cannot be opened (ELOOP: a symlink in its place)."""
    if exc.errno == errno.ELOOP:
        return OrchPathEscapeError(f"Refusing to follow the symlink at {path}: stored outputs "
                                   "are never read or written through a link.")
    return exc


def _fs_io_manager_fn(init_context: Any) -> PickledObjectFilesystemIOManager:
    config = init_context.resource_config or {}
    base_dir = config.get("base_dir") or init_context.instance.storage_dir
    return PickledObjectFilesystemIOManager(base_dir)


fs_io_manager = IOManagerDefinition(
    _fs_io_manager_fn,
    config_schema={"base_dir": Field(StringSource, is_required=False)},
    description="Pickles outputs to the instance's storage directory (or base_dir).",
)
