"""CompositeSolidDefinition.configured: fix a composite's (config_fn) config."""

from orch import composite_solid, execute_pipeline, pipeline, solid


@solid(config_schema={"n": int})
def emit(context):
    return context.solid_config["n"]


@solid
def double(context, x):
    return x * 2


@composite_solid(config_schema={"start": int},
                 config_fn=lambda cfg: {"emit": {"config": {"n": cfg["start"]}}})
def emit_doubled():
    return double(emit())


ten = emit_doubled.configured({"start": 5}, name="ten")


@pipeline
def configured_composite_pipeline():
    ten()
    emit_doubled()


def run_configured_composite():
    return execute_pipeline(configured_composite_pipeline, run_config={
        "solids": {"emit_doubled": {"config": {"start": 1}}}})


def run_configured_composite_ignores_config():
    return execute_pipeline(configured_composite_pipeline, run_config={
        "solids": {"emit_doubled": {"config": {"start": 1}}, "ten": {"config": {"start": 2}}}})
