"""A composite's config_fn maps its own config onto its children's."""

from orch import composite_solid, execute_pipeline, pipeline, solid


@solid(config_schema={"word": str})
def say(context):
    return context.solid_config["word"]


@solid(config_schema={"times": int})
def repeat(context, word):
    return " ".join([word] * context.solid_config["times"])


@composite_solid(
    config_fn=lambda cfg: {"say": {"config": {"word": cfg["word"]}},
                           "repeat": {"config": {"times": cfg["n"]}}},
    config_schema={"word": str, "n": int},
)
def say_many():
    return repeat(say())


@pipeline
def config_fn_pipeline():
    say_many()


def run_config_fn():
    return execute_pipeline(config_fn_pipeline, run_config={
        "solids": {"say_many": {"config": {"word": "hey", "n": 3}}}})


def run_config_fn_missing():
    return execute_pipeline(config_fn_pipeline, run_config={
        "solids": {"say_many": {"config": {"word": "hey"}}}})


def run_inner_config_without_fn():
    @composite_solid
    def plain():
        return repeat(say())

    @pipeline
    def plain_pipeline():
        plain()

    return execute_pipeline(plain_pipeline, run_config={"solids": {"plain": {"solids": {
        "say": {"config": {"word": "yo"}}, "repeat": {"config": {"times": 2}}}}}})


def broken_fn(cfg):
    raise ValueError("cannot map")


@composite_solid(config_schema={"word": str}, config_fn=broken_fn)
def broken_mapping():
    return say()


@pipeline
def broken_mapping_pipeline():
    broken_mapping()


def run_config_fn_raises():
    return execute_pipeline(broken_mapping_pipeline, run_config={
        "solids": {"broken_mapping": {"config": {"word": "hi"}}}})


@composite_solid(config_schema={"word": str},
                 config_fn=lambda cfg: {"say": {"config": {"word": 3}}})
def wrong_mapping():
    return say()


@pipeline
def wrong_mapping_pipeline():
    wrong_mapping()


def run_config_fn_returns_invalid():
    return execute_pipeline(wrong_mapping_pipeline, run_config={
        "solids": {"wrong_mapping": {"config": {"word": "hi"}}}})
