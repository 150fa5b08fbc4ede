"""Introspecting definitions the way legacy test suites do: a pipeline's solids, modes and
presets, a solid definition's inputs, outputs, config and resources."""

from orch import (
    Field,
    InputDefinition,
    Int,
    List,
    ModeDefinition,
    Nothing,
    OutputDefinition,
    PresetDefinition,
    PythonObjectDagsterType,
    String,
    composite_solid,
    pipeline,
    resource,
    solid,
)


@resource(config_schema={"url": str})
def database(init_context):
    return init_context.resource_config["url"]


@solid(input_defs=[InputDefinition("name", String, description="who"),
                   InputDefinition("after", Nothing)],
       output_defs=[OutputDefinition(Int, "length", description="how long")],
       config_schema={"shout": Field(bool, default_value=False)},
       required_resource_keys={"database"}, tags={"kind": "text"},
       description="Measures a name.")
def measure(context, name):
    return len(name)


@solid
def start(context):
    return None


@pipeline(mode_defs=[ModeDefinition("prod", resource_defs={"database": database}),
                     ModeDefinition("test", resource_defs={"database": database})],
          preset_defs=[PresetDefinition("dev", run_config={"resources": {"database": {
              "config": {"url": "sqlite://"}}}}, mode="test")],
          tags={"team": "data"}, description="Introspected.")
def introspected():
    measure(after=start())


def run_pipeline_properties():
    return [introspected.name, introspected.description, introspected.tags,
            sorted(s.name for s in introspected.solids),
            introspected.has_solid_named("measure"), introspected.has_solid_named("nope"),
            [m.name for m in introspected.mode_definitions],
            introspected.get_mode_definition("test").name,
            introspected.is_single_mode, introspected.has_mode_definition("prod"),
            [p.name for p in introspected.preset_defs], introspected.has_preset("dev"),
            introspected.get_preset("dev").mode]


def run_default_mode_is_first():
    return introspected.get_mode_definition().name


def run_unknown_mode():
    return introspected.get_mode_definition("staging")


def run_unknown_preset():
    return introspected.get_preset("nope")


def run_solid_named():
    node = introspected.solid_named("measure")
    return [node.name, node.definition.name, sorted(node.tags)]


def run_solid_definition_properties():
    return [measure.name, measure.description, measure.tags,
            sorted(measure.required_resource_keys), sorted(measure.input_dict),
            [d.name for d in measure.input_defs], [d.name for d in measure.output_defs],
            measure.input_dict["name"].description, measure.output_dict["length"].description,
            measure.input_dict["name"].dagster_type.display_name,
            measure.output_dict["length"].dagster_type.display_name,
            measure.input_def_named("name").name, measure.output_def_named("length").name,
            measure.has_input("after"), measure.has_output("result")]


def run_mode_resources():
    mode = introspected.get_mode_definition("prod")
    return [sorted(mode.resource_defs), mode.description]


def run_solid_defs():
    return sorted(d.name for d in introspected.all_solid_defs) \
        if hasattr(introspected, "all_solid_defs") else "no all_solid_defs"


def run_solid_def_named():
    return [introspected.solid_def_named("measure").name,
            introspected.has_solid_def("start"), introspected.has_solid_def("nope")]


def run_node_defs_and_modes():
    return [sorted(d.name for d in introspected.all_node_defs), introspected.available_modes,
            introspected.is_multi_mode, introspected.get_default_mode_name(),
            introspected.get_default_mode().name]


def run_solid_def_named_unknown():
    return introspected.solid_def_named("nope")


def run_dagster_types():
    return [introspected.has_dagster_type("String"), introspected.has_dagster_type("Int"),
            introspected.has_dagster_type("Float"), introspected.has_dagster_type("Orders"),
            introspected.dagster_type_named("Int").display_name,
            sorted(t.display_name for t in introspected.all_dagster_types())]


Orders = PythonObjectDagsterType(list, name="Orders")


@solid(output_defs=[OutputDefinition(Orders)])
def load_orders(context):
    return [1, 2]


@solid(input_defs=[InputDefinition("orders", List[Orders])])
def count_all(context, orders):
    return len(orders)


@composite_solid
def order_counts():
    return count_all([load_orders()])


@pipeline
def typed_pipeline():
    order_counts()


def run_custom_types():
    return [typed_pipeline.has_dagster_type("Orders"),
            typed_pipeline.dagster_type_named("Orders").display_name,
            order_counts.has_dagster_type("Orders"), order_counts.has_dagster_type("Int"),
            sorted(d.name for d in typed_pipeline.all_node_defs),
            typed_pipeline.has_solid_def("count_all")]


def run_unknown_dagster_type():
    return typed_pipeline.dagster_type_named("Missing")
