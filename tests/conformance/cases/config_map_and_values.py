"""Map config types (Map(str, int)) and make_values_resource, as 0.13+ legacy code uses them."""

from orch import (
    Field,
    Map,
    ModeDefinition,
    execute_pipeline,
    make_values_resource,
    pipeline,
    solid,
)


@solid(config_schema={"counts": Map(str, int)})
def uses_map(context):
    return sum(context.solid_config["counts"].values())


@pipeline
def map_pipeline():
    uses_map()


def run_map_config():
    return execute_pipeline(map_pipeline, run_config={
        "solids": {"uses_map": {"config": {"counts": {"a": 1, "b": 2}}}}}).output_for_solid("uses_map")


def run_map_bad_value():
    return execute_pipeline(map_pipeline, run_config={
        "solids": {"uses_map": {"config": {"counts": {"a": "x"}}}}})


@solid(required_resource_keys={"values"})
def reads_values(context):
    return context.resources.values["rate"]


@pipeline(mode_defs=[ModeDefinition(
    resource_defs={"values": make_values_resource(rate=Field(float, default_value=1.5))})])
def values_pipeline():
    reads_values()


def run_values_resource():
    return [execute_pipeline(values_pipeline).output_for_solid("reads_values"),
            execute_pipeline(values_pipeline, run_config={"resources": {"values": {"config": {
                "rate": 2.5}}}}).output_for_solid("reads_values")]




def run_map_bad_key_and_not_dict():
    errors = []
    for counts in ({3: 4}, [1, 2]):
        try:
            execute_pipeline(map_pipeline, run_config={
                "solids": {"uses_map": {"config": {"counts": counts}}}})
        except Exception as exc:
            errors.append(sorted(str(e.message).split(" at path ")[1].split(".")[0]
                                 for e in exc.errors))
    return errors


@solid(config_schema={"tables": Field(Map(str, {"rows": int, "owner": Field(str, is_required=False)}),
                                      default_value={"orders": {"rows": 1}})})
def uses_shape_map(context):
    return {name: table["rows"] for name, table in context.solid_config["tables"].items()}


@pipeline
def shape_map_pipeline():
    uses_shape_map()


def run_map_of_shapes_default():
    return execute_pipeline(shape_map_pipeline).output_for_solid("uses_shape_map")


def run_map_of_shapes_given():
    return execute_pipeline(shape_map_pipeline, run_config={"solids": {"uses_shape_map": {
        "config": {"tables": {"a": {"rows": 2}, "b": {"rows": 3, "owner": "me"}}}}}}
    ).output_for_solid("uses_shape_map")


def run_map_of_shapes_missing_field():
    return execute_pipeline(shape_map_pipeline, run_config={"solids": {"uses_shape_map": {
        "config": {"tables": {"a": {"owner": "me"}}}}}})


def run_map_int_keys():
    @solid(config_schema=Map(int, str))
    def by_number(context):
        return sorted(context.solid_config.items())

    return execute_pipeline(pipeline(name="int_map")(lambda: by_number()), run_config={
        "solids": {"by_number": {"config": {1: "one", 2: "two"}}}}).output_for_solid("by_number")


def run_map_key_must_be_scalar():
    return Map({"a": int}, int)
