"""Optional outputs: the branch whose output is not yielded is skipped, and skips cascade."""

from orch import Output, OutputDefinition, execute_pipeline, pipeline, solid


@solid(output_defs=[OutputDefinition(name="even", is_required=False),
                    OutputDefinition(name="odd", is_required=False)])
def branch(context):
    num = 4
    if num % 2 == 0:
        yield Output(num, "even")
    else:
        yield Output(num, "odd")


@solid
def handle_even(context, num):
    return f"even {num}"


@solid
def handle_odd(context, num):
    return f"odd {num}"


@solid
def after_odd(context, text):
    return text.upper()


@pipeline
def branching_pipeline():
    even, odd = branch()
    handle_even(even)
    after_odd(handle_odd(odd))


def run_branching():
    return execute_pipeline(branching_pipeline)
