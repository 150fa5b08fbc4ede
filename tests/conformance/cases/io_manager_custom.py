"""A custom IOManager: handle_output stores, load_input reads back."""

from orch import IOManager, ModeDefinition, execute_pipeline, io_manager, pipeline, solid

STORE = {}


class DictIOManager(IOManager):
    def handle_output(self, context, obj):
        STORE[(context.step_key, context.name)] = obj

    def load_input(self, context):
        return STORE[(context.upstream_output.step_key, context.upstream_output.name)]


@io_manager
def dict_io_manager(_):
    return DictIOManager()


@solid
def produce(context):
    return {"rows": 3}


@solid
def consume(context, data):
    return data["rows"] * 2


@pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": dict_io_manager})])
def io_pipeline():
    consume(produce())


def run_io():
    STORE.clear()
    return execute_pipeline(io_pipeline)


def run_store_contents():
    STORE.clear()
    execute_pipeline(io_pipeline)
    return sorted(f"{k[0]}.{k[1]}={v}" for k, v in STORE.items())
