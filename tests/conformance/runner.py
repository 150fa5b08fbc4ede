"""Runs one conformance case under a library and summarises what a user can observe.

A case is a legacy pipeline file under ``cases/`` that imports from ``orch``. Each of its
module-level functions named ``run_*`` (in file order) is one scenario, written the way a
legacy user's own test would be: it executes something and returns the result object, a
value, or raises. This module turns each into plain JSON — per-solid success/skip, output
value reprs, the event types per step, error class names, config error paths and reasons —
so the same file run under Dagster (the oracle, with the import swapped) and under orch can
be compared.

This file uses only the standard library: it runs inside the oracle's virtualenv too::

    ORACLE_PYTHON tests/conformance/runner.py --lib dagster --out golden.json case.py
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import sys
import tempfile
import traceback
import types
import warnings
from pathlib import Path
from typing import Any

_IMPORT_FROM = re.compile(r"^(\s*)from orch((?:\.[\w.]+)?) import", re.MULTILINE)
_IMPORT = re.compile(r"^(\s*)import orch((?:\.[\w.]+)?)\b", re.MULTILINE)
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_CONFIG_PATH = re.compile(r"at path (root[\w:\[\]\-]*)|(at the root)")


# orch's integrations mirror the legacy libraries' module paths under orch.integrations.
_LEGACY_LIBRARIES = {"pandas": "dagster_pandas", "snowflake": "dagster_snowflake",
                     "gcp": "dagster_gcp", "aws": "dagster_aws", "slack": "dagster_slack",
                     "pagerduty": "dagster_pagerduty", "datadog": "dagster_datadog",
                     "notebook": "dagstermill", "spark": "dagster_spark",
                     "pyspark": "dagster_pyspark"}
_INTEGRATION = re.compile(r"^(\s*)(from|import) orch\.integrations\.(\w+)", re.MULTILINE)


def swap_imports(source: str, lib: str) -> str:
    """The case's source with ``orch`` imports pointing at ``lib`` (module paths kept;
    ``orch.integrations.<x>`` becomes the legacy library ``dagster_<x>``)."""
    if lib == "orch":
        return source
    source = _INTEGRATION.sub(
        lambda m: f"{m.group(1)}{m.group(2)} {_LEGACY_LIBRARIES.get(m.group(3), m.group(3))}",
        source)
    source = _IMPORT_FROM.sub(lambda m: f"{m.group(1)}from {lib}{m.group(2)} import", source)
    return _IMPORT.sub(lambda m: f"{m.group(1)}import {lib}{m.group(2)}", source)


def load_case(path: Path, lib: str, workdir: Path) -> types.ModuleType:
    """Import the case as a real module (importable by name from ``workdir``, so pickles and
    child processes find its classes), its imports swapped to ``lib``."""
    name = f"conformance_case_{path.stem}"
    target = workdir / f"{name}.py"
    target.write_text(swap_imports(path.read_text(), lib))
    if str(workdir) not in sys.path:
        sys.path.insert(0, str(workdir))
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(workdir), *filter(None, [os.environ.get("PYTHONPATH")])])
    sys.modules.pop(name, None)
    spec = importlib.util.spec_from_file_location(name, target)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def scenarios(module: types.ModuleType) -> list[tuple[str, Any]]:
    return [(name, fn) for name, fn in vars(module).items()
            if name.startswith("run_") and callable(fn)
            and getattr(fn, "__module__", None) == module.__name__]


# ---------------------------------------------------------------------------- values

_EVENT_OBJECTS = {
    "Output": ("value", "output_name"),
    "DynamicOutput": ("value", "mapping_key", "output_name"),
    "AssetMaterialization": ("label", "description"),
    "ExpectationResult": ("success", "label", "description"),
    "TypeCheck": ("success", "description"),
}


def norm(value: Any, depth: int = 0) -> Any:
    """A JSON form of a value that is equal for equal values under either library."""
    if depth > 20:
        return {"__repr__": "<too deep>"}
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) \
            else {"__float__": repr(value)}
    if isinstance(value, list):
        return [norm(v, depth + 1) for v in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return {"__tuple__": [norm(v, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {(k if isinstance(k, str) else repr(k)): norm(v, depth + 1)
                for k, v in value.items()}
    if isinstance(value, types.GeneratorType):  # a user iterates it: compare what it yields
        return {"__generator__": [norm(v, depth + 1) for v in value]}
    if isinstance(value, set | frozenset):
        return {"__set__": sorted(repr(v) for v in value)}
    cls = type(value).__name__
    if cls in _EVENT_OBJECTS:
        out: dict[str, Any] = {"__class__": cls}
        for attr in _EVENT_OBJECTS[cls]:
            out[attr] = norm(getattr(value, attr, None), depth + 1)
        if cls == "AssetMaterialization":
            key = getattr(value, "asset_key", None)
            out["asset_key"] = list(getattr(key, "path", []) or [])
        return out
    return {"__repr__": _ADDRESS.sub("", repr(value))}


# ---------------------------------------------------------------------------- errors

def error_info(exc: BaseException) -> dict[str, Any]:
    info: dict[str, Any] = {"raised": type(exc).__name__}
    chain = []
    seen = {id(exc)}
    cause = _cause(exc)
    while cause is not None and id(cause) not in seen and len(chain) < 5:
        seen.add(id(cause))
        chain.append(type(cause).__name__)
        cause = _cause(cause)
    if chain:
        info["cause"] = chain
    errors = getattr(exc, "errors", None)
    if type(exc).__name__ == "DagsterInvalidConfigError" and errors is not None:
        info["config_errors"] = sorted(
            ({"path": _config_path(str(getattr(e, "message", e))),
              "reason": getattr(getattr(e, "reason", None), "name", None)} for e in errors),
            key=lambda d: (d["path"] or "", d["reason"] or ""))
    info["_message"] = str(exc).splitlines()[0][:300] if str(exc) else ""
    return info


def _cause(exc: BaseException) -> BaseException | None:
    """The exception Python's traceback shows as this one's cause or context."""
    if exc.__cause__ is not None:
        return exc.__cause__
    return None if exc.__suppress_context__ else exc.__context__


def _config_path(message: str) -> str | None:
    match = _CONFIG_PATH.search(message)
    if match is None:
        return None
    return match.group(1) or "root"


def failure_info(failure_data: Any) -> dict[str, Any] | None:
    if failure_data is None:
        return None
    error = getattr(failure_data, "error", None)
    chain = []
    while error is not None and len(chain) < 5:
        chain.append(getattr(error, "cls_name", None))
        error = getattr(error, "cause", None)
    out: dict[str, Any] = {"error": chain}
    user = getattr(failure_data, "user_failure_data", None)
    if user is not None:
        out["user_failure"] = getattr(user, "description", None)
    return out


# ---------------------------------------------------------------------------- results

def _event_type(event: Any) -> str:
    return str(getattr(event, "event_type_value", None))


def _step_key(event: Any) -> str | None:
    return getattr(event, "step_key", None)


def events_summary(events: list[Any]) -> dict[str, Any]:
    steps: dict[str, list[str]] = {}
    run: list[str] = []
    for event in events:
        if not getattr(event, "is_dagster_event", True):
            continue
        key = _step_key(event)
        if key is None:
            run.append(_event_type(event))
        else:
            steps.setdefault(key, []).append(_event_type(event))
    return {"run_events": run, "steps": steps}


def _safe(fn: Any) -> Any:
    try:
        return norm(fn())
    except Exception as exc:  # the access itself is observable behaviour
        return {"__error__": type(exc).__name__}


def solid_summary(result: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "success": _safe(lambda: result.success),
        "skipped": _safe(lambda: result.skipped),
    }
    if out["success"] is True:
        out["outputs"] = _safe(lambda: result.output_values)
    failure = _safe_raw(lambda: result.failure_data)
    if failure is not None:
        out["failure"] = failure_info(failure)
    inner = _safe_raw(lambda: result.solid_result_list)
    if isinstance(inner, list):
        out["solids"] = {_name(r): solid_summary(r) for r in inner}
    return out


def _safe_raw(fn: Any) -> Any:
    try:
        return fn()
    except Exception:
        return None


def _name(solid_result: Any) -> str:
    solid = getattr(solid_result, "solid", None)
    if solid is not None and hasattr(solid, "name"):
        return solid.name
    handle = getattr(solid_result, "handle", None)
    return str(getattr(handle, "name", handle)).rsplit(".", 1)[-1]


def summarize(value: Any) -> dict[str, Any]:
    cls = type(value).__name__
    if cls == "PipelineExecutionResult":
        return {"kind": "pipeline_result", "success": value.success,
                "solids": {_name(r): solid_summary(r) for r in value.solid_result_list},
                **events_summary(value.event_list)}
    if cls in ("SolidExecutionResult", "CompositeSolidExecutionResult"):
        summary = {"kind": "solid_result", **solid_summary(value)}
        events = _safe_raw(lambda: value.compute_step_events)
        if events is not None:
            summary.update(events_summary(events))
        return summary
    if isinstance(value, list) and value and all(
            hasattr(e, "event_type_value") for e in value):
        return {"kind": "events", **events_summary(value)}
    return {"kind": "value", "value": norm(value)}


def run_scenario(fn: Any) -> dict[str, Any]:
    try:
        value = fn()
    except Exception as exc:
        return {"kind": "error", **error_info(exc)}
    return summarize(value)


def run_case(path: Path, lib: str) -> dict[str, Any]:
    """Every scenario of one case under ``lib``; import-time errors are the case's result."""
    warnings.filterwarnings("ignore")
    with tempfile.TemporaryDirectory(prefix="conformance-") as tmp:
        cwd = os.getcwd()
        os.chdir(tmp)  # scenarios may write files: keep them out of the checkout
        try:
            try:
                module = load_case(path, lib, Path(tmp))
            except Exception as exc:
                return {"import": {"kind": "error", **error_info(exc)}}
            return {name: run_scenario(fn) for name, fn in scenarios(module)}
        finally:
            os.chdir(cwd)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lib", default="dagster")
    parser.add_argument("--out", required=True)
    parser.add_argument("case")
    args = parser.parse_args(argv)
    try:
        runs = run_case(Path(args.case).resolve(), args.lib)
    except BaseException:
        traceback.print_exc()
        return 1
    Path(args.out).write_text(json.dumps(runs, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
