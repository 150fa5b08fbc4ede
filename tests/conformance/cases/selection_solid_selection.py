"""solid_selection: the * and + grammar, subset config, and a selection that finds nothing."""

from orch import execute_pipeline, pipeline, solid


@solid
def extract(context):
    return [1, 2, 3]


@solid
def clean(context, rows):
    return [r for r in rows if r > 1]


@solid
def aggregate(context, rows):
    return sum(rows)


@solid
def report(context, total):
    return f"total={total}"


@solid(config_schema={"threshold": int})
def audit(context, rows):
    return len(rows) > context.solid_config["threshold"]


@pipeline
def etl():
    rows = clean(extract())
    report(aggregate(rows))
    audit(rows)


def run_downstream_of_clean():
    return execute_pipeline(etl, solid_selection=["*clean+"])


def run_ancestors_of_report():
    return execute_pipeline(etl, solid_selection=["*report"])


def run_union():
    return execute_pipeline(etl, solid_selection=["extract", "clean"])


def run_unknown_solid():
    return execute_pipeline(etl, solid_selection=["nope"])


def run_bad_clause():
    return execute_pipeline(etl, solid_selection=["+*clean"])


def run_unconnected_input_after_subset():
    return execute_pipeline(etl, solid_selection=["aggregate"])


def run_subset_input_from_config():
    return execute_pipeline(etl, solid_selection=["aggregate"], run_config={
        "solids": {"aggregate": {"inputs": {"rows": {"value": [5, 6]}}}}})


def run_config_for_unselected_ignored():
    return execute_pipeline(etl, solid_selection=["extract"], run_config={
        "solids": {"audit": {"config": {"threshold": 1}}}})
