"""Sales reporting: CSV in, clean, aggregate per region, write a report.

Written in the legacy Dagster solid style; under Dagster it runs with the import line changed
to ``from dagster import ...``.
"""

import csv
import json
import os
from pathlib import Path

from orch import (
    AssetMaterialization,
    DynamicOutput,
    DynamicOutputDefinition,
    EventMetadataEntry,
    ExpectationResult,
    Field,
    ModeDefinition,
    Output,
    OutputDefinition,
    PresetDefinition,
    RetryPolicy,
    composite_solid,
    fs_io_manager,
    pipeline,
    repository,
    solid,
)

HERE = Path(__file__).parent
DEFAULT_CSV = str(HERE / "data" / "orders.csv")


@solid(config_schema={"path": Field(str, default_value=DEFAULT_CSV)})
def load_orders(context) -> list:
    """Read the raw orders CSV."""
    with open(context.solid_config["path"], newline="") as f:
        rows = list(csv.DictReader(f))
    context.log.info(f"read {len(rows)} rows from {context.solid_config['path']}")
    return rows


@solid(
    output_defs=[
        OutputDefinition(list, "clean"),
        OutputDefinition(list, "rejected", is_required=False),
    ]
)
def clean_orders(context, rows: list):
    """Keep shipped orders with a positive amount; reject the rest."""
    clean, rejected = [], []
    for row in rows:
        amount = row["amount"]
        if row["status"] == "shipped" and amount and float(amount) > 0:
            clean.append({**row, "amount": float(amount)})
        else:
            rejected.append(row)
    yield ExpectationResult(
        success=len(clean) > 0,
        label="has_clean_rows",
        metadata_entries=[EventMetadataEntry.int(len(clean), "clean_rows")],
    )
    yield Output(clean, "clean")
    if rejected:
        yield Output(rejected, "rejected")


@solid
def report_rejected(context, rejected: list) -> int:
    """Runs only when some rows were rejected."""
    for row in rejected:
        context.log.warning(f"rejected order {row['order_id']} ({row['status']})")
    return len(rejected)


@solid
def totals_by_region(context, clean: list) -> dict:
    totals: dict = {}
    for row in clean:
        totals[row["region"]] = round(totals.get(row["region"], 0.0) + row["amount"], 2)
    return totals


@solid
def top_customer(context, clean: list) -> str:
    spend: dict = {}
    for row in clean:
        spend[row["customer"]] = spend.get(row["customer"], 0.0) + row["amount"]
    return max(spend, key=spend.get)


@composite_solid
def summarize(clean):
    """Totals per region and the best customer."""
    return {"totals": totals_by_region(clean), "top": top_customer(clean)}


@solid(config_schema={"out_dir": Field(str, default_value="reports")})
def write_report(context, totals: dict, top: str) -> str:
    out_dir = Path(context.solid_config["out_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"sales_{context.run_id[:8]}.json"
    path.write_text(json.dumps({"totals": totals, "top_customer": top}, indent=2))
    print(f"report written to {path}")
    yield AssetMaterialization(
        asset_key=["reports", "sales"],
        description="Sales totals per region",
        metadata_entries=[EventMetadataEntry.path(str(path), "path")],
    )
    yield Output(str(path))


# Outputs are pickled under the instance's storage directory, so a re-execution (or a save
# in `orch dev`) can reuse them instead of recomputing upstream solids.
local_mode = ModeDefinition(resource_defs={"io_manager": fs_io_manager})


@pipeline(
    mode_defs=[local_mode],
    preset_defs=[
        PresetDefinition(
            "sample_data",
            run_config={"solids": {"load_orders": {"config": {"path": DEFAULT_CSV}}}},
        ),
    ],
)
def sales_report():
    """Orders CSV → clean → per-region totals and top customer → JSON report."""
    clean, rejected = clean_orders(load_orders())
    report_rejected(rejected)
    summary = summarize(clean)
    write_report(summary.totals, summary.top)


# -- a dynamic fan-out: one mapped step per region -------------------------------------------


@solid(output_defs=[DynamicOutputDefinition(list)])
def split_by_region(context, rows: list):
    regions = sorted({r["region"] for r in rows})
    for region in regions:
        yield DynamicOutput([r for r in rows if r["region"] == region], mapping_key=region)


@solid(retry_policy=RetryPolicy(max_retries=2))
def region_revenue(context, rows: list) -> float:
    """Revenue of one region (retried on transient errors)."""
    if os.environ.get("ORCH_SAMPLE_FLAKY") and context.retry_number == 0:
        raise ConnectionError("simulated transient failure")
    total = sum(float(r["amount"]) for r in rows if r["amount"] and r["status"] == "shipped")
    context.log.info(f"{context.get_mapping_key()}: {total:.2f}")
    return round(total, 2)


@solid
def revenue_summary(context, revenues: list) -> float:
    total = round(sum(revenues), 2)
    context.log.info(f"total revenue {total} across {len(revenues)} regions")
    return total


@pipeline(mode_defs=[local_mode])
def regional_revenue():
    """Orders CSV → one mapped step per region → collected total."""
    revenues = split_by_region(load_orders()).map(region_revenue)
    revenue_summary(revenues.collect())


@solid
def say_hello(context) -> str:
    context.log.info("hello from orch")
    return "hello"


@pipeline
def hello():
    """The smallest pipeline: one solid."""
    say_hello()


@repository
def sample_repo():
    return [sales_report, regional_revenue, hello]
