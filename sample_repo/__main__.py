"""``python -m sample_repo``: run the sales report pipeline in this process and print the
outcome of each solid."""

from orch import execute_pipeline

from .sales import sales_report

result = execute_pipeline(sales_report, run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}})
for solid in sales_report.solids:
    outcome = result.result_for_solid(solid.name)
    state = "skipped" if outcome.skipped else ("ok" if outcome.success else "FAILED")
    print(f"{solid.name:<18} {state}")
print("report:", result.result_for_solid("write_report").output_value())
raise SystemExit(0 if result.success else 1)
