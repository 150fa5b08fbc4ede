"""A legacy-tutorial-style pipeline, written as a Dagster 0.12 user would write it.

Only the import line differs from the Dagster original (``from dagster import ...``): the
suite runs it under orch, and the same file ran under Dagster 0.15.10 (the last release with
the legacy solid API) to settle what the result object reports.
"""

from orch import (
    DynamicOutput,
    DynamicOutputDefinition,
    Failure,
    InputDefinition,
    Int,
    List,
    Output,
    OutputDefinition,
    RetryPolicy,
    composite_solid,
    pipeline,
    solid,
)

ORDERS = [
    {"id": 1, "region": "north", "amount": 10, "country": "US"},
    {"id": 2, "region": "south", "amount": 25, "country": "US"},
    {"id": 3, "region": "north", "amount": 5, "country": "FR"},
    {"id": 4, "region": "west", "amount": 40, "country": "US"},
]

ATTEMPTS = []


@solid
def load_orders(context):
    """Loads the raw orders."""
    context.log.info(f"Loaded {len(ORDERS)} orders")
    return list(ORDERS)


@solid(
    output_defs=[
        OutputDefinition(name="domestic"),
        OutputDefinition(name="international"),
        OutputDefinition(name="refunds", is_required=False),
    ]
)
def split_orders(context, orders):
    domestic = [o for o in orders if o["country"] == "US"]
    international = [o for o in orders if o["country"] != "US"]
    context.log.info(f"{len(domestic)} domestic, {len(international)} international")
    yield Output(domestic, "domestic")
    yield Output(international, "international")
    refunds = [o for o in orders if o["amount"] < 0]
    if refunds:
        yield Output(refunds, "refunds")


@solid
def count_orders(_, orders) -> int:
    return len(orders)


@solid
def total_amount(_, orders) -> int:
    return sum(o["amount"] for o in orders)


@composite_solid(
    output_defs=[OutputDefinition(Int, "count"), OutputDefinition(Int, "total")]
)
def summarize(orders):
    return {"count": count_orders(orders), "total": total_amount(orders)}


@solid(output_defs=[DynamicOutputDefinition()])
def by_region(context, orders):
    for region in sorted({o["region"] for o in orders}):
        yield DynamicOutput(
            [o for o in orders if o["region"] == region], mapping_key=region
        )


@solid
def region_total(context, orders) -> int:
    context.log.info(f"Region {context.get_mapping_key()}: {len(orders)} orders")
    return sum(o["amount"] for o in orders)


@solid(input_defs=[InputDefinition("totals", List[Int])])
def combine_regions(context, totals):
    return sum(totals)


@solid(retry_policy=RetryPolicy(max_retries=2))
def fetch_exchange_rate(context):
    ATTEMPTS.append(context.retry_number)
    if context.retry_number == 0:
        context.log.warning("Rate service unavailable, retrying")
        raise ConnectionError("rate service unavailable")
    return 1.1


@solid
def process_refunds(context, refunds):
    return len(refunds)


@solid
def audit_refunds(context, processed):
    return processed


@solid
def validate_international(context, orders):
    raise Failure(
        description=f"{len(orders)} international orders lack customs data",
    )


@solid
def ship_international(context, orders):
    return len(orders)


@solid
def notify_customs(context, shipped):
    return shipped


@solid
def report(context, count: int, total: int, regional: int, rate: float):
    context.log.info(f"{count} domestic orders, total {total}, all regions {regional}")
    return {"count": count, "total": total, "regional": regional, "converted": total * rate}


@pipeline
def orders_pipeline():
    orders = load_orders()
    domestic, international, refunds = split_orders(orders)
    count, total = summarize(domestic)
    regional = combine_regions(by_region(orders).map(region_total).collect())
    report(count, total, regional, fetch_exchange_rate())
    audit_refunds(process_refunds(refunds))
    notify_customs(ship_international(validate_international(international)))
