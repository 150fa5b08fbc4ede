"""When an optional Field gets an implicit default: only when ``is_required`` is left out.

``Field(T)`` whose type T has no required fields (an all-optional Shape or Permissive, a
Selector of one optional choice, Noneable) is optional and defaults to T's own defaults;
``Field(T, is_required=False)`` is optional with no default, so a missing value stays
missing. Recorded: each Field's ``is_required`` / ``default_provided`` / ``default_value``
(what the config schema snapshot shows), and what solid and resource config hold at run
time, for Shape, Permissive, Selector, Noneable, nested shapes and explicit defaults."""

from orch import (
    Field,
    ModeDefinition,
    Noneable,
    Permissive,
    Selector,
    Shape,
    build_solid_context,
    execute_pipeline,
    logger,
    pipeline,
    resource,
    solid,
)

_UNSET = object()


def _types():
    """Fresh config types by name (some of each kind, all-optional and some-required)."""
    return {
        "shape_all_optional_with_default": Shape({"a": Field(int, default_value=1)}),
        "shape_all_optional_no_default": Shape({"a": Field(int, is_required=False)}),
        "shape_empty": Shape({}),
        "dict_literal_all_optional": {"a": Field(int, default_value=1)},
        "shape_some_required": Shape({"a": int, "b": Field(int, default_value=2)}),
        "permissive_empty": Permissive(),
        "permissive_all_optional": Permissive({"a": Field(int, default_value=1)}),
        "permissive_some_required": Permissive({"a": int}),
        "selector_one_optional_choice": Selector({"x": Field({"a": Field(int, default_value=1)})}),
        "selector_one_required_choice": Selector({"x": {"a": int}}),
        "selector_two_choices": Selector({"x": Field({"a": Field(int, default_value=1)}),
                                          "y": Field(int, default_value=2)}),
        "noneable_int": Noneable(int),
        "nested_all_optional": {"outer": {"inner": Field(int, default_value=3)}},
        "nested_inner_explicitly_optional": {
            "outer": Field({"a": Field(int, default_value=1)}, is_required=False)},
        "int": int,
    }


def _attrs(field):
    out = {"is_required": field.is_required, "default_provided": field.default_provided}
    if field.default_provided:
        out["default_value"] = field.default_value
    return out


def _field(config, is_required=_UNSET, **kwargs):
    if is_required is not _UNSET:
        kwargs["is_required"] = is_required
    return Field(config, **kwargs)


def _table(is_required=_UNSET, **kwargs):
    out = {}
    for name, config in _types().items():
        try:
            out[name] = _attrs(_field(config, is_required, **kwargs))
        except Exception as exc:
            out[name] = {"raised": type(exc).__name__}
    return out


# ---------------------------------------------------------------- the Field's own attributes

def run_field_is_required_omitted():
    return _table()


def run_field_is_required_false():
    return _table(False)


def run_field_is_required_true():
    return _table(True)


def run_field_default_given_is_required_omitted():
    return {
        "shape": _attrs(Field({"a": Field(int, default_value=1)}, default_value={"a": 5})),
        "shape_partial_default": _attrs(Field({"a": Field(int, default_value=1),
                                               "b": Field(int, default_value=2)},
                                              default_value={"a": 5})),
        "permissive": _attrs(Field(Permissive(), default_value={"z": 1})),
        "selector": _attrs(Field(Selector({"x": int, "y": str}), default_value={"y": "s"})),
        "noneable": _attrs(Field(Noneable(int), default_value=4)),
        "int": _attrs(Field(int, default_value=4)),
    }


def run_field_default_given_is_required_false():
    return {
        "shape": _attrs(Field({"a": Field(int, default_value=1)}, default_value={"a": 5},
                              is_required=False)),
        "permissive": _attrs(Field(Permissive(), default_value={"z": 1}, is_required=False)),
        "noneable_none": _attrs(Field(Noneable(int), default_value=None, is_required=False)),
        "int": _attrs(Field(int, default_value=4, is_required=False)),
    }


def run_nested_fields_of_a_shape():
    """The Fields a Shape holds, as the snapshot lists them."""
    shape = Shape({
        "implicit": Field({"a": Field(int, default_value=1)}),
        "explicit_false": Field({"a": Field(int, default_value=1)}, is_required=False),
        "bare_dict": {"a": Field(int, default_value=1)},
        "permissive_false": Field(Permissive(), is_required=False),
        "noneable_false": Field(Noneable(str), is_required=False),
    })
    return {name: _attrs(field) for name, field in shape.fields.items()}


# ---------------------------------------------------------------- what solids see at run time

def _solid_config(schema, config=_UNSET):
    @solid(config_schema=schema)
    def s(context):
        return context.solid_config

    @pipeline(name="optional_fields_pipeline")
    def p():
        s()

    run_config = {} if config is _UNSET else {"solids": {"s": {"config": config}}}
    try:
        result = execute_pipeline(p, run_config=run_config, raise_on_error=False)
    except Exception as exc:
        return {"raised": type(exc).__name__}
    if not result.success:
        return {"success": False}
    return result.result_for_solid("s").output_value()


def _sub_fields(is_required=_UNSET):
    return {name: _field(config, is_required) for name, config in _types().items()
            if name not in ("int", "shape_some_required", "permissive_some_required",
                            "selector_one_required_choice", "selector_two_choices")}


def run_solid_config_sub_fields_omitted():
    return _solid_config({"given": Field(int, default_value=0), **_sub_fields()},
                         {"given": 1})


def run_solid_config_sub_fields_false():
    return _solid_config({"given": Field(int, default_value=0), **_sub_fields(False)},
                         {"given": 1})


def run_solid_config_sub_fields_false_given_empty():
    """Given as {}, an explicitly optional shape's own defaults are filled in."""
    return _solid_config({
        "shape": Field({"a": Field(int, default_value=1)}, is_required=False),
        "permissive": Field(Permissive({"a": Field(int, default_value=1)}), is_required=False),
        "selector": Field(Selector({"x": Field({"a": Field(int, default_value=1)})}),
                          is_required=False),
    }, {"shape": {}, "permissive": {"b": 2}, "selector": {"x": {}}})


def run_solid_config_required_sub_fields_false():
    """Some-required types with is_required=False: absent is fine, a partial value is not."""
    schema = {"shape": Field({"a": int}, is_required=False),
              "selector": Field(Selector({"x": {"a": int}, "y": int}), is_required=False)}
    return {"absent": _solid_config(schema, {}),
            "partial": _solid_config(schema, {"shape": {}})}


def run_solid_config_nested():
    return {
        "outer_implicit_inner_false": _solid_config(
            {"outer": {"inner": Field({"a": Field(int, default_value=1)}, is_required=False),
                       "b": Field(int, default_value=2)}}),
        "outer_false_inner_implicit": _solid_config(
            {"outer": Field({"inner": {"a": Field(int, default_value=1)}}, is_required=False)}),
        "outer_false_given_inner_implicit": _solid_config(
            {"outer": Field({"inner": {"a": Field(int, default_value=1)}}, is_required=False)},
            {"outer": {}}),
        "all_implicit": _solid_config({"outer": {"inner": {"a": Field(int, default_value=1)}}}),
    }


def run_solid_config_schema_is_a_field():
    """config_schema=Field(...) itself, with no run config for the solid."""
    return {
        "omitted": _solid_config(Field({"a": Field(int, default_value=1)})),
        "false": _solid_config(Field({"a": Field(int, default_value=1)}, is_required=False)),
        "false_permissive": _solid_config(Field(Permissive(), is_required=False)),
        "false_noneable": _solid_config(Field(Noneable(int), is_required=False)),
        "omitted_noneable": _solid_config(Field(Noneable(int))),
        "false_with_default": _solid_config(
            Field({"a": Field(int, default_value=1)}, is_required=False, default_value={"a": 7})),
    }


def run_direct_invocation():
    @solid(config_schema={"opt": Field({"a": Field(int, default_value=1)}, is_required=False),
                          "imp": Field({"a": Field(int, default_value=1)})})
    def s(context):
        return context.solid_config

    return s(build_solid_context(config={}))


# ---------------------------------------------------------------- resources and loggers

def run_resource_config():
    @resource(config_schema={
        "opt": Field({"a": Field(int, default_value=1)}, is_required=False),
        "opt_noneable": Field(Noneable(str), is_required=False),
        "imp": Field({"a": Field(int, default_value=1)}),
        "imp_noneable": Field(Noneable(str)),
    })
    def r(init_context):
        return init_context.resource_config

    @solid(required_resource_keys={"r"})
    def s(context):
        return context.resources.r

    @pipeline(mode_defs=[ModeDefinition(resource_defs={"r": r})])
    def p():
        s()

    return execute_pipeline(p).result_for_solid("s").output_value()


SEEN = []


@logger(config_schema={"level": Field(str, default_value="INFO")})
def all_optional_logger(init_context):
    import logging

    SEEN.append(dict(init_context.logger_config))
    return logging.getLogger("conformance_all_optional_logger")


@solid
def hello(context):
    context.log.info("hello")
    return 1


@pipeline(mode_defs=[ModeDefinition(logger_defs={"quiet": all_optional_logger})])
def logger_pipeline():
    hello()


def run_all_optional_logger_not_configured():
    """A mode's logger with all-optional config that run config does not name."""
    SEEN.clear()
    result = execute_pipeline(logger_pipeline)
    return [result.success, SEEN[:1]]


def run_all_optional_logger_configured():
    SEEN.clear()  # (Dagster builds a run's loggers twice in process: compare the first)
    result = execute_pipeline(logger_pipeline, run_config={"loggers": {"quiet": {}}})
    return [result.success, SEEN[:1]]
