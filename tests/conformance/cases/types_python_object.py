"""PythonObjectDagsterType and usable_as_dagster_type: annotations and isinstance checks."""

from orch import (
    InputDefinition,
    OutputDefinition,
    PythonObjectDagsterType,
    execute_pipeline,
    pipeline,
    solid,
    usable_as_dagster_type,
)


class Frame:
    def __init__(self, rows):
        self.rows = rows

    def __repr__(self):
        return f"Frame({self.rows})"


FrameType = PythonObjectDagsterType(Frame, name="FrameType")


@usable_as_dagster_type
class Record:
    def __init__(self, key):
        self.key = key

    def __repr__(self):
        return f"Record({self.key!r})"


@solid(output_defs=[OutputDefinition(FrameType)])
def make_frame(context):
    return Frame([1, 2])


@solid(input_defs=[InputDefinition("frame", FrameType)])
def count_rows(context, frame):
    return len(frame.rows)


@solid
def make_record(context) -> Record:
    return Record("k1")


@solid
def not_a_record(context) -> Record:
    return "plain string"


@pipeline
def object_types_pipeline():
    count_rows(make_frame())
    make_record()
    not_a_record()


def run_object_types():
    return execute_pipeline(object_types_pipeline, raise_on_error=False)


def run_type_names():
    return [FrameType.display_name, make_record.output_defs[0].dagster_type.display_name]
