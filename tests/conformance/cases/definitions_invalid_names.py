"""Definition-time errors: bad names, duplicate solids, a cycle."""

from orch import execute_pipeline, pipeline, solid


@solid
def a(context, x):
    return x


def run_bad_solid_name():
    @solid(name="has space")
    def bad(context):
        return 1

    return bad


def run_keyword_name():
    @solid(name="class")
    def bad(context):
        return 1

    return bad


def run_alias_with_bad_name():
    @pipeline
    def broken():
        a.alias("not-valid")()

    return execute_pipeline(broken)


def run_star_args_rejected():
    @solid
    def star(context, *args):
        return 1

    return star
