"""Direct invocation of generator solids: iterating the result, and output mistakes."""

from orch import AssetMaterialization, Output, OutputDefinition, build_solid_context, solid


@solid
def emits_materialization(context):
    yield AssetMaterialization(asset_key="table")
    yield Output("done")


@solid(output_defs=[OutputDefinition(name="a"), OutputDefinition(name="b")])
def yields_a_only(context):
    yield Output(1, "a")


@solid
def yields_twice(context):
    yield Output(1)
    yield Output(2)


@solid
def yields_unknown(context):
    yield Output(1, "zzz")


def run_materialization():
    return list(emits_materialization(build_solid_context()))


def run_missing_required():
    return list(yields_a_only(build_solid_context()))


def run_twice():
    return list(yields_twice(build_solid_context()))


def run_unknown():
    return list(yields_unknown(build_solid_context()))
