"""An IO manager's handle_output records metadata (context.add_output_metadata, or yielded
MetadataEntry objects) and materializations (context.log_event, or yielded): the
ASSET_MATERIALIZATION events come before HANDLED_OUTPUT. (Which metadata each event carries
is asserted in tests/integrations: orch's events have no ``event_specific_data``.)"""

from orch import (
    AssetMaterialization,
    IOManager,
    MetadataEntry,
    ModeDefinition,
    OutputDefinition,
    execute_pipeline,
    io_manager,
    pipeline,
    solid,
)


class _Recording(IOManager):
    def __init__(self):
        self.values = {}

    def handle_output(self, context, obj):
        self.values[(context.step_key, context.name)] = obj
        context.add_output_metadata({"rows": len(obj) if isinstance(obj, list) else 1})
        context.log_event(AssetMaterialization(asset_key=["table", context.step_key]))

    def load_input(self, context):
        up = context.upstream_output
        return self.values[(up.step_key, up.name)]


class _Yielding(_Recording):
    def handle_output(self, context, obj):
        self.values[(context.step_key, context.name)] = obj
        yield MetadataEntry("size", value=len(obj))
        yield AssetMaterialization(asset_key="yielded")


@io_manager
def recording(_):
    return _Recording()


@io_manager
def yielding(_):
    return _Yielding()


@solid
def rows(context):
    return [1, 2, 3]


@solid(output_defs=[OutputDefinition(io_manager_key="other")])
def more_rows(context, got):
    return got + [4]


@solid
def count(context, got):
    return len(got)


@pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": recording,
                                                   "other": yielding})])
def metadata_pipeline():
    count(more_rows(rows()))


def run_metadata_pipeline():
    return execute_pipeline(metadata_pipeline)
