"""A custom type with its own @dagster_type_loader: input config in the loader's schema."""

from orch import (
    DagsterType,
    InputDefinition,
    dagster_type_loader,
    execute_pipeline,
    pipeline,
    solid,
)


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


@dagster_type_loader({"x": int, "y": int})
def load_point(context, config):
    return Point(config["x"], config["y"])


PointType = DagsterType(name="PointType", type_check_fn=lambda _, v: isinstance(v, Point),
                        loader=load_point)


@solid(input_defs=[InputDefinition("point", PointType)])
def norm1(context, point):
    return abs(point.x) + abs(point.y)


@pipeline
def point_pipeline():
    norm1()


def run_loaded():
    return execute_pipeline(point_pipeline, run_config={
        "solids": {"norm1": {"inputs": {"point": {"x": 3, "y": -4}}}}})


def run_loader_schema_error():
    return execute_pipeline(point_pipeline, run_config={
        "solids": {"norm1": {"inputs": {"point": {"x": 3}}}}})


def run_type_without_loader_unconnected():
    NoLoader = DagsterType(name="NoLoader", type_check_fn=lambda _, v: True)

    @solid(input_defs=[InputDefinition("thing", NoLoader)])
    def needs(context, thing):
        return thing

    @pipeline
    def unresolvable():
        needs()

    return unresolvable
