"""Loading user code: a Python file or module, and the pipelines and repositories in it."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from .errors import DagsterInvariantViolationError


def import_python_file(python_file: str, working_directory: str | None = None) -> ModuleType:
    """Import a file as a module (its directory and the working directory go on sys.path)."""
    path = Path(python_file).resolve()
    if not path.exists():
        raise DagsterInvariantViolationError(f'Python file "{python_file}" does not exist.')
    for entry in (working_directory, str(path.parent)):
        if entry and entry not in sys.path:
            sys.path.insert(0, entry)
    module_name = f"__orch_user_code__.{path.stem}"
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise DagsterInvariantViolationError(f'Cannot import "{python_file}".')
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def import_module(module_name: str, working_directory: str | None = None) -> ModuleType:
    cwd = working_directory or os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    return importlib.import_module(module_name)


def load_module_from_origin(origin: dict[str, Any]) -> ModuleType:
    if origin.get("python_file"):
        return import_python_file(origin["python_file"], origin.get("working_directory"))
    if origin.get("module_name"):
        return import_module(origin["module_name"], origin.get("working_directory"))
    raise DagsterInvariantViolationError(f"Code origin {origin} names no file or module.")


def pipelines_in_module(module: ModuleType) -> dict[str, Any]:
    """Every pipeline a module defines, directly or through @repository definitions."""
    from .definitions.pipeline import PipelineDefinition
    from .definitions.repository import RepositoryDefinition

    found: dict[str, Any] = {}
    for value in list(vars(module).values()):
        if isinstance(value, PipelineDefinition):
            found.setdefault(value.name, value)
        elif isinstance(value, RepositoryDefinition):
            for name in value.pipeline_names:
                found.setdefault(name, lambda r=value, n=name: r.get_pipeline(n))
    return found


def load_pipeline_from_origin(origin: dict[str, Any], pipeline_name: str):
    """Import the origin's code and return the pipeline named ``pipeline_name``."""
    from .definitions.pipeline import PipelineDefinition

    module = load_module_from_origin(origin)
    attribute = origin.get("attribute")
    if attribute and hasattr(module, attribute):
        value = getattr(module, attribute)
        if callable(value) and not isinstance(value, PipelineDefinition):
            value = value()
        if isinstance(value, PipelineDefinition):
            return value
    pipelines = pipelines_in_module(module)
    if pipeline_name not in pipelines:
        raise DagsterInvariantViolationError(
            f'No pipeline named "{pipeline_name}" in {origin.get("python_file") or origin.get("module_name")}. '
            f"Pipelines: {sorted(pipelines)}."
        )
    value = pipelines[pipeline_name]
    return value if isinstance(value, PipelineDefinition) else value()
