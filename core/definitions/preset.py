"""Presets: a named bundle of run config, mode, solid selection and tags."""

from __future__ import annotations

import glob
from typing import Any

from ..errors import DagsterInvalidDefinitionError, DagsterInvariantViolationError
from .io_defs import check_valid_name


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """A new dict: ``override`` merged into ``base``; nested dicts merge, other values replace."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_yaml_files(patterns: list[str]) -> dict[str, Any]:
    """Load and deep-merge YAML files (globs allowed), later files overriding earlier ones.
    Any file that cannot be used raises one line naming it and the problem."""
    merged: dict[str, Any] = {}
    for pattern in patterns:
        paths = sorted(glob.glob(pattern)) or [pattern]
        for path in paths:
            data = _load_yaml_file(path, pattern)
            if not isinstance(data, dict):
                raise DagsterInvariantViolationError(
                    f'Config file "{path}" must contain a mapping at the top, got '
                    f"{type(data).__name__}."
                )
            merged = deep_merge(merged, data)
    return merged


def _load_yaml_file(path: str, pattern: str) -> Any:
    import yaml

    def bad(problem: str) -> DagsterInvariantViolationError:
        return DagsterInvariantViolationError(f'Config file "{path}" {problem}')

    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise bad(f'(from "{pattern}") does not exist.') from None
    except IsADirectoryError:
        raise bad("is a directory, not a YAML file.") from None
    except OSError as e:
        raise bad(f"cannot be read: {e.strerror or e}.") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise bad("is UTF-16 encoded; save it as UTF-8.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise bad(f"is not UTF-8 text (byte {e.start} is 0x{raw[e.start]:02x}); is it a "
                  "binary file?") from None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader: ~10x faster
    try:
        value = yaml.load(text, Loader=loader) or {}
        if _depth_exceeds(value, MAX_CONFIG_DEPTH):  # the C loader takes any depth
            raise bad(f"is nested too deeply (more than {MAX_CONFIG_DEPTH} levels).")
        return value
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        if "nesting depth" in problem:  # some libyaml builds stop at 1000 levels themselves
            raise bad(f"is nested too deeply (more than {MAX_CONFIG_DEPTH} levels).") from None
        raise bad(f"is not valid YAML{where}: {problem}.") from None
    except RecursionError:
        raise bad("is nested too deeply to load.") from None


MAX_CONFIG_DEPTH = 500


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether lists and mappings nest more than ``limit`` deep (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


class PresetDefinition:
    """``PresetDefinition("dev", run_config={...}, mode="local")``."""

    def __init__(
        self,
        name: str,
        run_config: dict[str, Any] | None = None,
        solid_selection: list[str] | None = None,
        mode: str | None = None,
        tags: dict[str, Any] | None = None,
    ):
        self.name = check_valid_name(name, "Preset name")
        if run_config is not None and not isinstance(run_config, dict):
            raise DagsterInvalidDefinitionError(
                f'Preset "{name}": run_config must be a dict, got {type(run_config).__name__}.'
            )
        self.run_config = run_config or {}
        self.solid_selection = solid_selection
        self.mode = mode or "default"
        self.tags = tags or {}

    @staticmethod
    def from_files(name, config_files=None, solid_selection=None, mode=None, tags=None):
        return PresetDefinition(name, config_from_files(list(config_files or [])),
                                solid_selection, mode, tags)

    @staticmethod
    def from_yaml_strings(name, yaml_strings=None, solid_selection=None, mode=None, tags=None):
        return PresetDefinition(name, _merge_yaml_strings(yaml_strings or [], f'Preset "{name}"'),
                                solid_selection, mode, tags)

    @staticmethod
    def from_pkg_resources(name, pkg_resource_defs=None, solid_selection=None, mode=None,
                           tags=None):
        return PresetDefinition(name, _merge_yaml_strings(
            _pkg_resource_texts(pkg_resource_defs or []), f'Preset "{name}"'),
            solid_selection, mode, tags)

    def with_additional_config(self, run_config: dict[str, Any] | None) -> PresetDefinition:
        return PresetDefinition(self.name, deep_merge(self.run_config, run_config or {}),
                                self.solid_selection, self.mode, self.tags)

    def get_environment_yaml(self) -> str:
        import yaml

        return yaml.safe_dump(self.run_config, default_flow_style=False)

    def snapshot(self) -> dict[str, Any]:
        return {"name": self.name, "mode": self.mode, "solid_selection": self.solid_selection,
                "tags": {k: str(v) for k, v in self.tags.items()}, "run_config": self.run_config}


def config_from_files(config_files: list[str]) -> dict[str, Any]:
    """Run config merged from YAML files (paths or glob patterns), later files winning."""
    return load_yaml_files(list(config_files))


def config_from_yaml_strings(yaml_strings: list[str]) -> dict[str, Any]:
    """Run config merged from YAML documents, later ones winning."""
    return _merge_yaml_strings(yaml_strings, "Run config")


def config_from_pkg_resources(pkg_resource_defs: list[tuple[str, str]]) -> dict[str, Any]:
    """Run config merged from YAML files shipped in packages: ``[(package, file), ...]``."""
    return _merge_yaml_strings(_pkg_resource_texts(pkg_resource_defs), "Run config")


def _pkg_resource_texts(pkg_resource_defs: list[tuple[str, str]]) -> list[str]:
    from importlib import resources

    return [resources.files(pkg).joinpath(path).read_text() for pkg, path in pkg_resource_defs]


def _merge_yaml_strings(yaml_strings: list[str], what: str) -> dict[str, Any]:
    import yaml

    merged: dict[str, Any] = {}
    for i, text in enumerate(yaml_strings):
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as e:
            raise DagsterInvariantViolationError(
                f"{what}: YAML string {i} is not valid: {e}") from e
        merged = deep_merge(merged, data)
    return merged
