"""``reconstructable(p)``: a pipeline plus where its code lives, so another process can load
it again (the multiprocess executor and run workers need that)."""

from __future__ import annotations

import inspect
import os
import sys
from dataclasses import dataclass, field
from typing import Any

from ..errors import DagsterInvariantViolationError
from .pipeline import PipelineDefinition


@dataclass
class ReconstructablePipeline:
    """A pipeline and its origin: a Python file or module and the attribute that holds it."""

    pipeline_name: str
    python_file: str | None = None
    module_name: str | None = None
    attribute: str | None = None
    working_directory: str | None = None
    solid_selection: list[str] | None = None
    _definition: PipelineDefinition | None = field(default=None, repr=False, compare=False)

    @property
    def origin(self) -> dict[str, Any]:
        return {
            "python_file": self.python_file,
            "module_name": self.module_name,
            "attribute": self.attribute or self.pipeline_name,
            "working_directory": self.working_directory,
        }

    def get_definition(self) -> PipelineDefinition:
        if self._definition is None:
            from ..workspace import load_pipeline_from_origin

            self._definition = load_pipeline_from_origin(self.origin, self.pipeline_name)
        return self._definition

    def subset_for_execution(self, solid_selection: list[str] | None) -> ReconstructablePipeline:
        copy = ReconstructablePipeline(self.pipeline_name, self.python_file, self.module_name,
                                       self.attribute, self.working_directory, solid_selection,
                                       self._definition)
        return copy


def reconstructable(target: Any) -> ReconstructablePipeline:
    """Wrap a module-level pipeline (or a function returning one) so it can be re-imported."""
    definition = target if isinstance(target, PipelineDefinition) else None
    source = definition.source_fn if definition is not None else target
    if source is None or not callable(source):
        raise DagsterInvariantViolationError(
            "reconstructable() needs a pipeline defined with @pipeline at module level, or a "
            "module-level function that returns one."
        )
    if definition is None:
        definition = target()
        if not isinstance(definition, PipelineDefinition):
            raise DagsterInvariantViolationError(
                f"reconstructable({target.__name__}) must return a PipelineDefinition."
            )
    module = inspect.getmodule(source)
    attribute = target.name if isinstance(target, PipelineDefinition) else target.__name__
    if module is None or "<locals>" in getattr(source, "__qualname__", ""):
        raise DagsterInvariantViolationError(
            f'Pipeline "{definition.name}" is not reconstructable: it must be defined at module '
            "level so another process can import it."
        )
    if isinstance(target, PipelineDefinition) and getattr(module, attribute, None) is not target:
        attribute = _attribute_holding(module, target) or attribute
    if module.__name__ == "__main__" or not module.__spec__:
        python_file = os.path.abspath(sys.modules[module.__name__].__file__ or "")
        return ReconstructablePipeline(definition.name, python_file=python_file,
                                       attribute=attribute, working_directory=os.getcwd(),
                                       _definition=definition)
    return ReconstructablePipeline(definition.name, module_name=module.__name__,
                                   attribute=attribute, working_directory=os.getcwd(),
                                   _definition=definition)


def _attribute_holding(module: Any, value: Any) -> str | None:
    for name, candidate in vars(module).items():
        if candidate is value:
            return name
    return None
