"""The runtime type system: what a solid's inputs and outputs are checked against.

A :class:`DagsterType` has a name and a ``type_check_fn(context, value)`` returning a bool or a
:class:`TypeCheck`. Built-ins (``Any, Bool, Int, Float, String, Nothing``) double as config
types through ``to_config_type()``; ``List[...]``, ``Optional[...]``, ``Dict``, ``Set`` and
``Tuple`` build parametrised types; plain Python annotations resolve through
:func:`resolve_dagster_type`.
"""

from __future__ import annotations

import builtins
import types
import typing
from collections.abc import Callable, Iterable
from typing import Any as TypingAny

from .. import config
from ..errors import DagsterError, DagsterInvalidDefinitionError, DagsterTypeCheckError
from .events import TypeCheck


class DagsterTypeLoader:
    """Turns config (``solids.<s>.inputs.<i>``) into an input value."""

    def __init__(self, config_schema: TypingAny, loader_fn: Callable[..., TypingAny],
                 required_resource_keys: set[str] | None = None):
        self.config_schema = config_schema
        self.loader_fn = loader_fn
        self.required_resource_keys = frozenset(required_resource_keys or ())

    def construct_from_config_value(self, context: TypingAny, config_value: TypingAny) -> TypingAny:
        return self.loader_fn(context, config_value)


def _load_selected_source(config_value: dict[str, TypingAny]) -> TypingAny:
    """``{value: X}`` -> X; ``{json: {path}}`` -> the file's ``"value"`` entry (the layout
    output materialization writes); ``{pickle: {path}}`` -> the unpickled object."""
    (kind, options), = config_value.items()
    if kind == "value":
        return options
    if kind == "json":
        import json

        with open(options["path"], encoding="utf8") as f:
            return json.load(f)["value"]
    import pickle

    with open(options["path"], "rb") as f:
        return pickle.load(f)


class _SourceSelectorLoader(DagsterTypeLoader):
    """The built-in input config of ``Any`` (``{value|json|pickle}``) and of the scalars (the
    bare scalar, or that selector)."""

    def __init__(self, config_type_name: str, bare_scalar: bool):
        value_type = getattr(config, config_type_name)
        path = {"path": config.Field(config.String)}
        selector = config.Selector({"value": config.Field(value_type), "json": path,
                                    "pickle": path})
        super().__init__(config.ScalarUnion(value_type, selector) if bare_scalar else selector,
                         self._load)

    @staticmethod
    def _load(_context: TypingAny, config_value: TypingAny) -> TypingAny:
        return _load_selected_source(config_value) if isinstance(config_value, dict) \
            else config_value


class _WrappingLoader(DagsterTypeLoader):
    """``List[T]`` (an array of T's config) and ``Optional[T]`` (T's config or None)."""

    def __init__(self, inner: DagsterTypeLoader, kind: str):
        wrap = config.Array if kind == "list" else config.Noneable
        super().__init__(wrap(inner.config_schema), self._load)
        self._inner = inner
        self._kind = kind

    def _load(self, context: TypingAny, config_value: TypingAny) -> TypingAny:
        if self._kind == "list":
            return [self._inner.construct_from_config_value(context, v) for v in config_value]
        if config_value is None:
            return None
        return self._inner.construct_from_config_value(context, config_value)


class DagsterTypeMaterializer:
    """Turns output config (``solids.<s>.outputs: [{<output>: ...}]``) and an output's value
    into a stored artifact; returns the AssetMaterialization(s) recording it."""

    def __init__(self, config_schema: TypingAny, materializer_fn: Callable[..., TypingAny],
                 required_resource_keys: set[str] | None = None):
        self.config_schema = config_schema
        self.materializer_fn = materializer_fn
        self.required_resource_keys = frozenset(required_resource_keys or ())

    def materialize_runtime_values(self, context: TypingAny, config_value: TypingAny,
                                   value: TypingAny) -> TypingAny:
        return self.materializer_fn(context, config_value, value)


def dagster_type_materializer(config_schema: TypingAny, required_resource_keys=None):
    """Decorator: ``@dagster_type_materializer({"path": str}) def save(context, config,
    value): ... return AssetMaterialization(...)``."""

    def wrap(fn: Callable[..., TypingAny]) -> DagsterTypeMaterializer:
        return DagsterTypeMaterializer(config_schema, fn, required_resource_keys)

    return wrap


def _materialize_to_file(_context: TypingAny, config_value: dict[str, TypingAny],
                         value: TypingAny) -> TypingAny:
    """The built-in output config: ``{json: {path}}`` writes ``{"value": value}`` (what the
    json input loader reads back), ``{pickle: {path}}`` pickles the value."""
    from .events import AssetMaterialization

    (kind, options), = config_value.items()
    path = options["path"]
    if kind == "json":
        import json

        with open(path, "w", encoding="utf8") as f:
            json.dump({"value": value}, f)
    else:
        import pickle

        with open(path, "wb") as f:
            pickle.dump(value, f)
    return AssetMaterialization.file(path)


def _file_materializer() -> DagsterTypeMaterializer:
    path = {"path": config.Field(config.String)}
    return DagsterTypeMaterializer(config.Selector({"json": path, "pickle": path}),
                                   _materialize_to_file)


def dagster_type_loader(config_schema: TypingAny, required_resource_keys=None):
    """Decorator: ``@dagster_type_loader(str) def load(context, value): ...``."""

    def wrap(fn: Callable[..., TypingAny]) -> DagsterTypeLoader:
        return DagsterTypeLoader(config_schema, fn, required_resource_keys)

    return wrap


class DagsterType:
    """A named runtime type with a check function."""

    def __init__(
        self,
        type_check_fn: Callable[[TypingAny, TypingAny], bool | TypeCheck],
        name: str | None = None,
        key: str | None = None,
        description: str | None = None,
        loader: DagsterTypeLoader | None = None,
        materializer: TypingAny = None,
        required_resource_keys: set[str] | None = None,
        is_builtin: bool = False,
        kind: str = "regular",
        typing_type: TypingAny = TypingAny,
    ):
        type_name = name or key
        if type_name is None:
            raise DagsterInvalidDefinitionError("A DagsterType needs a name.")
        self.name: str = type_name
        self.key: str = key or type_name
        self.description = description
        self.type_check_fn = type_check_fn
        self.loader = loader
        self.materializer = materializer
        self.required_resource_keys = set(required_resource_keys or ())
        self.is_builtin = is_builtin
        self.kind = kind
        self.typing_type = typing_type

    @property
    def is_nothing(self) -> bool:
        return self.kind == "nothing"

    @property
    def is_any(self) -> bool:
        return self.kind == "any"

    @property
    def display_name(self) -> str:
        return self.name

    def type_check(self, context: TypingAny, value: TypingAny) -> TypeCheck:
        try:
            result = self.type_check_fn(context, value)
        except DagsterError:  # a framework error raised by the check passes through as is
            raise
        except Exception as exc:  # the check itself broke: not a verdict on the value
            raise DagsterTypeCheckError(
                f'Error occurred while type-checking a value of type "{self.display_name}": '
                f"{type(exc).__name__}: {exc}", exc) from exc
        if isinstance(result, TypeCheck):
            return result
        if isinstance(result, bool):
            return TypeCheck(success=result)
        raise DagsterInvalidDefinitionError(
            f'Type check function of type "{self.display_name}" returned {result!r}; '
            "it must return a bool or a TypeCheck."
        )

    def to_config_type(self) -> TypingAny:
        """The config type for this runtime type (built-in scalars and Any only)."""
        if self.config_type_name is None:
            raise DagsterInvalidDefinitionError(
                f'DagsterType "{self.display_name}" cannot be used as a config type.'
            )
        return getattr(config, self.config_type_name)

    config_type_name: str | None = None

    def snapshot(self) -> dict[str, TypingAny]:
        return {"key": self.key, "name": self.display_name, "kind": self.kind,
                "description": self.description}

    def __repr__(self) -> str:
        return f"<DagsterType {self.display_name}>"


class _BuiltinScalar(DagsterType):
    def __init__(self, name: str, python_types: tuple[type, ...], exclude_bool: bool):
        def check(_ctx: TypingAny, value: TypingAny) -> TypeCheck:
            ok = isinstance(value, python_types) and not (
                exclude_bool and isinstance(value, bool)
            )
            if ok:
                return TypeCheck(True)
            return TypeCheck(
                False,
                description=f'Value "{value!r}" of python type "{type(value).__name__}" '
                f'must be a {python_types[0].__name__}.',
            )

        super().__init__(check, name=name, is_builtin=True, kind="scalar",
                         loader=_SourceSelectorLoader(name, bare_scalar=True),
                         materializer=_file_materializer())
        self.config_type_name = name
        self.python_types = python_types


Any = DagsterType(lambda _c, _v: True, name="Any", is_builtin=True, kind="any",
                  loader=_SourceSelectorLoader("Any", bare_scalar=False),
                  materializer=_file_materializer())
Any.config_type_name = "Any"
Bool = _BuiltinScalar("Bool", (bool,), exclude_bool=False)
Int = _BuiltinScalar("Int", (int,), exclude_bool=True)
Float = _BuiltinScalar("Float", (float, int), exclude_bool=True)
String = _BuiltinScalar("String", (str,), exclude_bool=False)
Nothing = DagsterType(
    lambda _c, v: TypeCheck(v is None, description="Value must be None for Nothing"),
    name="Nothing",
    is_builtin=True,
    kind="nothing",
)


class PythonObjectDagsterType(DagsterType):
    """A type checked with ``isinstance`` against one or more Python classes."""

    def __init__(self, python_type: type | tuple[type, ...], name: str | None = None, **kwargs):
        types_ = python_type if isinstance(python_type, tuple) else (python_type,)
        self.python_type = python_type
        type_name = name or types_[0].__name__

        def check(_ctx: TypingAny, value: TypingAny) -> TypeCheck:
            if isinstance(value, types_):
                return TypeCheck(True)
            return TypeCheck(
                False,
                description=f'Value of type {type(value)} failed type check for Dagster type '
                f'{type_name}, expected value to be of Python type {types_[0].__name__}.',
            )

        super().__init__(check, name=type_name, **kwargs)


class _ListType(DagsterType):
    def __init__(self, inner: DagsterType):
        self.inner_type = inner

        def check(ctx: TypingAny, value: TypingAny) -> TypeCheck:
            if not isinstance(value, list):
                return TypeCheck(False, description=f"Value must be a list, got {value!r}")
            for i, item in enumerate(value):
                item_check = inner.type_check(ctx, item)
                if not item_check.success:
                    return TypeCheck(
                        False, description=f"Item {i} of the list: {item_check.description}"
                    )
            return TypeCheck(True)

        super().__init__(check, name=f"List[{inner.display_name}]", kind="list", is_builtin=True,
                         loader=_WrappingLoader(inner.loader, "list") if inner.loader else None)


class _OptionalType(DagsterType):
    def __init__(self, inner: DagsterType):
        self.inner_type = inner

        def check(ctx: TypingAny, value: TypingAny) -> TypeCheck:
            return TypeCheck(True) if value is None else inner.type_check(ctx, value)

        super().__init__(
            check, name=f"Optional[{inner.display_name}]", kind="nullable", is_builtin=True,
            loader=_WrappingLoader(inner.loader, "nullable") if inner.loader else None,
        )


class _TypeFactory:
    """``List[Int]``, ``Optional[String]``: indexing builds the parametrised DagsterType."""

    def __init__(self, name: str, build: Callable[[DagsterType], DagsterType]):
        self._name = name
        self._build = build
        self._cache: dict[int, DagsterType] = {}

    def __getitem__(self, inner: TypingAny) -> DagsterType:
        resolved = resolve_dagster_type(inner)
        key = id(resolved)
        if key not in self._cache:
            self._cache[key] = self._build(resolved)
        return self._cache[key]

    def __repr__(self) -> str:
        return self._name


List = _TypeFactory("List", _ListType)
Optional = _TypeFactory("Optional", _OptionalType)
class _CollectionType(PythonObjectDagsterType):
    """``Dict``, ``Set``, ``Tuple``: the plain Python collection, or — indexed, as in
    ``Set[int]``, ``Tuple[int, str]``, ``Dict[str, int]`` — one whose items are checked."""

    def __getitem__(self, params: TypingAny) -> DagsterType:
        inner = [resolve_dagster_type(p)
                 for p in (params if isinstance(params, tuple) else (params,))]
        name = f"{self.name}[{','.join(t.display_name for t in inner)}]"
        items = _ITEMS[self.name]

        def check(ctx: TypingAny, value: TypingAny) -> TypeCheck:
            outer = self.type_check(ctx, value)
            if not outer.success:
                return outer
            pairs = items(value, inner)
            if pairs is None:
                return TypeCheck(False, description=f"{value!r} does not have the shape {name}")
            for item_type, item in pairs:
                item_check = item_type.type_check(ctx, item)
                if not item_check.success:
                    return TypeCheck(False, description=f"{name}: {item_check.description}")
            return TypeCheck(True)

        return DagsterType(check, name=name, is_builtin=True, kind="regular",
                           loader=self.loader if self.name == "Dict" else None)


def _dict_items(value: dict, inner: list[DagsterType]):
    if len(inner) != 2:
        return None
    return [p for k, v in value.items() for p in ((inner[0], k), (inner[1], v))]


def _tuple_items(value: tuple, inner: list[DagsterType]):
    return list(zip(inner, value, strict=True)) if len(value) == len(inner) else None


_ITEMS: dict[str, Callable[[TypingAny, list[DagsterType]], TypingAny]] = {
    "Dict": _dict_items,
    "Set": lambda value, inner: [(inner[0], v) for v in value] if len(inner) == 1 else None,
    "Tuple": _tuple_items,
}

Dict = _CollectionType(dict, name="Dict", is_builtin=True, loader=DagsterTypeLoader(
    config.Permissive(), lambda _context, value: value))
Set = _CollectionType(set, name="Set", is_builtin=True)
Tuple = _CollectionType(tuple, name="Tuple", is_builtin=True)

_BUILTIN_BY_PYTHON: dict[TypingAny, DagsterType] = {
    builtins.int: Int,
    builtins.float: Float,
    builtins.str: String,
    builtins.bool: Bool,
    builtins.dict: Dict,
    builtins.set: Set,
    builtins.tuple: Tuple,
    TypingAny: Any,
    None: Nothing,
    type(None): Nothing,
}

_PYTHON_CLASS_TYPES: dict[type, DagsterType] = {}
_LIST_OF_ANY = _ListType(Any)
_BUILTIN_BY_PYTHON[builtins.list] = _LIST_OF_ANY


def usable_as_dagster_type(
    name: str | None = None, description: str | None = None, loader=None, materializer=None,
    serialization_strategy: TypingAny = None,
) -> Callable[[type], type]:
    """Class decorator: annotations with this class resolve to a DagsterType for it."""

    def wrap(cls: type) -> type:
        _PYTHON_CLASS_TYPES[cls] = PythonObjectDagsterType(
            cls, name=name or cls.__name__, description=description, loader=loader,
            materializer=materializer,
        )
        return cls

    if isinstance(name, type):  # used bare: @usable_as_dagster_type
        cls, name = name, None
        return wrap(cls)  # type: ignore[return-value]
    return wrap


def make_python_type_usable_as_dagster_type(python_type: type, dagster_type: DagsterType) -> None:
    _PYTHON_CLASS_TYPES[python_type] = dagster_type


def resolve_dagster_type(annotation: TypingAny) -> DagsterType:
    """Resolve a DagsterType, a built-in Python type, a typing annotation or a class."""
    if isinstance(annotation, DagsterType):
        return annotation
    if annotation is None or annotation is type(None):
        return Nothing
    try:
        if annotation in _BUILTIN_BY_PYTHON:
            return _BUILTIN_BY_PYTHON[annotation]
    except TypeError:  # unhashable annotation
        pass
    if isinstance(annotation, _TypeFactory):
        return annotation[Any]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is list:
        return List[args[0] if args else Any]
    if origin is typing.Union or origin is types.UnionType:
        non_none = [a for a in args if a is not type(None)]
        if len(non_none) == 1 and len(args) == 2:
            return Optional[non_none[0]]
        return Any
    if origin in (dict, set, tuple):
        return _BUILTIN_BY_PYTHON[origin]
    if isinstance(annotation, type):
        if annotation in _PYTHON_CLASS_TYPES:
            return _PYTHON_CLASS_TYPES[annotation]
        created = PythonObjectDagsterType(annotation)
        _PYTHON_CLASS_TYPES[annotation] = created
        return created
    if origin is not None:
        return Any
    raise DagsterInvalidDefinitionError(
        f"Cannot resolve {annotation!r} to a DagsterType: use a DagsterType, a Python class or "
        "a typing annotation such as List[int]."
    )


def is_list_like(dagster_type: DagsterType) -> bool:
    return dagster_type.kind in ("list", "any", "nothing")


_NAMED_BUILTINS = (Any, Bool, Float, Int, String, Nothing)


def named_dagster_types(node_defs: Iterable[TypingAny]) -> dict[str, DagsterType]:
    """Dagster's type dictionary of a graph: the builtin scalars, Any and Nothing, and every
    named type the definitions' inputs and outputs use (inner types of List/Optional too; those
    wrappers themselves have no name of their own)."""
    found: dict[str, DagsterType] = {t.name: t for t in _NAMED_BUILTINS}
    for definition in node_defs:
        for io_def in [*definition.input_defs, *definition.output_defs]:
            dagster_type = io_def.dagster_type
            while dagster_type is not None:
                if dagster_type.kind not in ("list", "optional"):
                    found.setdefault(dagster_type.name, dagster_type)
                dagster_type = getattr(dagster_type, "inner_type", None)
    return found


def _resource_needs(dagster_type: DagsterType) -> dict[str, frozenset[str]]:
    """What of a type needs resources (its check, loader, materializer; inner types' too, a
    List checks and loads each item), by a description of it."""
    needs: dict[str, frozenset[str]] = {}
    current: DagsterType | None = dagster_type
    while current is not None:
        name = current.display_name
        for what, part in ((f"type '{name}'", current),
                           (f"the loader on type '{name}'", current.loader),
                           (f"the materializer on type '{name}'", current.materializer)):
            keys = frozenset(getattr(part, "required_resource_keys", None) or ())
            if keys:
                needs[what] = keys
        current = getattr(current, "inner_type", None)
    return needs


def type_resource_keys(dagster_type: DagsterType) -> frozenset[str]:
    """The resources a type's check, loader and materializer need."""
    return frozenset().union(*_resource_needs(dagster_type).values())


def solid_type_resource_keys(solid_def: TypingAny) -> dict[str, frozenset[str]]:
    """The resources the types of a solid's inputs and outputs need, by what needs them."""
    found: dict[str, frozenset[str]] = {}
    for io_def in [*solid_def.input_defs, *solid_def.output_defs]:
        found.update(_resource_needs(io_def.dagster_type))
    return found
