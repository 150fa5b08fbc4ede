"""The deliberate differences from Dagster 0.15.10, each with its reason. This is the only
place they are listed: a conformance case must match its golden except where an entry here
explains the difference, and every entry must still explain at least one case."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MISSING = "<missing>"  # how a comparison shows a value one side does not have

# Event types that are not part of the compared contract (both sides drop them).
IGNORED_EVENT_TYPES: dict[str, str] = {
    "ENGINE_EVENT": "executor bookkeeping; its messages and count are implementation detail",
    "LOGS_CAPTURED": "orch captures compute logs per step without an event",
    "RESOURCE_INIT_STARTED": "run-level resource bookkeeping (Dagster also builds resources "
                             "twice in process; orch once)",
    "RESOURCE_INIT_SUCCESS": "as RESOURCE_INIT_STARTED",
    "STEP_WORKER_STARTING": "multiprocess bookkeeping",
    "STEP_WORKER_STARTED": "multiprocess bookkeeping",
}


@dataclass(frozen=True)
class Difference:
    """Orch may differ from the oracle at flattened ``path`` (fnmatch; or any of several) of
    cases matching
    ``case``: with ``expect``, only by giving ``expect(oracle_value)``; without, in any way."""

    name: str
    reason: str
    path: str | tuple[str, ...]
    case: str = "*"
    expect: Callable[[Any], Any] | None = None


def _without_step_wrapper(chain: Any) -> Any:
    if isinstance(chain, list) and chain[:1] == ["DagsterExecutionStepExecutionError"]:
        return chain[1:] or MISSING
    return chain


class _HookEventsInAnyOrder:
    """Equal to a step's event list that differs from the oracle's only in the order of its
    trailing HOOK_* events."""

    def __init__(self, oracle: Any):
        self.oracle = oracle

    @staticmethod
    def _split(events: Any) -> tuple[list[str], list[str]]:
        body = [e for e in events if not str(e).startswith("HOOK_")]
        return body, sorted(e for e in events if str(e).startswith("HOOK_"))

    def __eq__(self, actual: object) -> bool:
        return isinstance(actual, list) and isinstance(self.oracle, list) and \
            self._split(actual) == self._split(self.oracle)

    __hash__ = None  # type: ignore[assignment]


DIFFERENCES: list[Difference] = [
    Difference(
        name="user-error-class",
        reason="A step's failure_data.error carries the user's exception class (the cause "
               "chain below it); Dagster wraps it in DagsterExecutionStepExecutionError, whose "
               "message adds nothing the user's traceback does not say.",
        path="*/failure/error",
        expect=_without_step_wrapper,
    ),
    Difference(
        name="user-error-raised-unwrapped",
        reason="execute_pipeline(raise_on_error=True) re-raises the user's exception in both; "
               "Dagster's carries its DagsterExecutionStepExecutionError wrapper as __cause__, "
               "orch's carries only the user's own cause (same reason as user-error-class).",
        path="*/cause",
        expect=_without_step_wrapper,
    ),
    Difference(
        name="collect-after-empty-dynamic-skips",
        reason="A skipped dynamic producer, or an optional dynamic output that yields nothing, "
               "skips the collect step (and what follows it); Dagster runs it with []. A skip "
               "says what happened; an empty list pretends there was work to gather.",
        case="dynamic_skip_collect",
        path="run_skip_collect/*",
    ),
    Difference(
        name="system-tags-prefix",
        reason="orch records re-execution lineage as system tags with the orch/ prefix "
               "(orch/parent_run_id, orch/root_run_id, orch/step_selection) so the CLI and the "
               "app can show it; Dagster 0.15's reexecute_pipeline sets no tags. dagster/priority "
               "is still honoured.",
        case="reexecution_basic",
        path="run_parent_tags/value/2",
        expect=lambda oracle: ["orch/parent_run_id", "orch/root_run_id", "orch/step_selection"],
    ),
    Difference(
        name="multiprocess-needs-no-reconstructable",
        reason="orch's multiprocess executor forks step processes from the run worker, which "
               "already holds the definitions, so an in-memory (not reconstructable) pipeline "
               "runs; Dagster spawns fresh interpreters that must re-import it.",
        case="multiprocess_executor",
        path="run_not_reconstructable/*",
    ),
    Difference(
        name="resources-built-once-per-run",
        reason="orch builds a run's resources once, before its first step, so a resource that "
               "fails to initialise fails the run with a run-level RESOURCE_INIT_FAILURE; "
               "Dagster (re)builds them around each step in process and reports the failure on "
               "the first step that needs them.",
        case="resources_failure",
        path="run_not_raising/*",
    ),
    Difference(
        name="free-form-config-is-plain-data",
        reason="orch stores a run's config with the run, as JSON, so a value under Any or a "
               "Permissive's extra keys that contains itself, or is nested more than 500 "
               "levels, is a config error naming its path; Dagster never walks such values and "
               "runs (issue 11 #10: previously orch crashed with RecursionError while storing).",
        case="config_deep_values",
        path=("run_cyclic_any/*", "run_very_deep_any/*"),
    ),
    Difference(
        name="invariant-errors-are-dagster-errors",
        reason="Where Dagster's internal argument checks raise its check-library CheckError / "
               "ParameterCheckError (a preset combined with a conflicting mode; a Field with a "
               "default and is_required=True; an unknown mode, solid definition or handle; no "
               "mode named for a multi-mode pipeline; the success event of a failed step; a Map key "
               "type that is not a scalar), "
               "orch raises a DagsterError subclass "
               "(DagsterInvariantViolationError / DagsterInvalidConfigDefinitionError) whose "
               "message names the conflict: one family of errors for users to catch.",
        path=("run_preset_and_mode_conflict/raised", "run_required_with_default/raised",
              "run_unknown_mode/raised", "run_default_mode_is_first/raised",
              "run_unknown_handle/raised", "run_success_event_of_failed_step/raised",
              "run_solid_def_named_unknown/raised", "run_map_key_must_be_scalar/raised"),
        expect=lambda oracle: {"CheckError": "DagsterInvariantViolationError",
                               "ParameterCheckError": "DagsterInvalidConfigDefinitionError",
                               }.get(oracle),
    ),
    Difference(
        name="direct-invocation-unknown-output",
        reason="A solid called directly that yields an output it does not declare raises "
               "DagsterInvariantViolationError naming its outputs (as a pipeline run fails the "
               "step); Dagster's direct invocation leaks a bare KeyError.",
        case="direct_invocation_generators",
        path="run_unknown/raised",
        expect=lambda oracle: "DagsterInvariantViolationError",
    ),
    Difference(
        name="legacy-compute-step-keys",
        reason="Issue 12 #4: orch accepts the step keys Dagster wrote before 0.10 "
               "(<solid>.compute, <solid>.compute[<mapping key>]) wherever a step key is given "
               "(re-execution step_selection, step_keys_to_execute, orch runs logs --step) and "
               "reads them as the solid's step, so legacy scripts and notes keep working; "
               "Dagster 0.15.10 rejects them as unknown steps. A real step key wins (an inner "
               "solid named compute), and plain keys behave as in Dagster (run_plain_key; "
               "tests/core/test_selection.py asserts what the legacy form selects).",
        case="reexecution_legacy_step_keys",
        path=("run_compute_suffix/*", "run_compute_suffix_with_downstream/*"),
    ),
    Difference(
        name="logged-events-kept-on-failure",
        reason="A materialization or expectation result a solid records with "
               "context.log_event and then raises is kept in the step's events, as its log "
               "lines are (it happened); Dagster drops the logged events it has not yet "
               "collected when the compute function raises.",
        case="results_more_api",
        path=("run_failure_accessors/value/1", "run_failure_accessors/value/2"),
    ),
    Difference(
        name="helper-argument-errors-are-dagster-errors",
        reason="orch.utils.merge_dicts with fewer than two dicts and ensure_single_item with "
               "other than one item raise DagsterInvariantViolationError naming the problem; "
               "Dagster's argument checks raise its internal CheckError / ParameterCheckError "
               "(as invariant-errors-are-dagster-errors).",
        case="utils_dagster_utils",
        path=("run_merge_dicts_needs_two/raised", "run_single_item_needs_one/raised"),
        expect=lambda oracle: "DagsterInvariantViolationError",
    ),
    Difference(
        name="integration-argument-errors-are-dagster-errors",
        reason="snowflake_solid_for_query given other than a str (or parameters other than a "
               "dict) raises "
               "DagsterInvariantViolationError naming the argument; dagster-snowflake's "
               "argument check raises its internal ParameterCheckError (as "
               "helper-argument-errors-are-dagster-errors).",
        case="integrations_snowflake",
        path=("run_sql_must_be_a_string/raised", "run_parameters_must_be_a_dict/raised"),
        expect=lambda oracle: "DagsterInvariantViolationError",
    ),
    Difference(
        name="dataproc-cluster-error-fails-at-once",
        reason="DataprocResource.create_cluster raises as soon as the cluster is in ERROR "
               "(then reads it once more for the message); dagster-gcp keeps polling a "
               "cluster in ERROR until its 20 minutes are up (240 reads, 5 s apart) before "
               "raising the same DataprocError.",
        case="integrations_dataproc",
        path="run_create_cluster_in_error/value/calls/1/2",
        expect=lambda oracle: 3,  # CREATING, ERROR, the read for the message (oracle: 241)
    ),
    Difference(
        name="dataproc-cluster-error-fails-at-once-in-the-context-manager",
        reason="As dataproc-cluster-error-fails-at-once, through cluster_context_manager.",
        case="integrations_dataproc",
        path="run_cluster_context_manager_after_failed_provisioning/value/calls/1/2",
        expect=lambda oracle: 2,  # ERROR, the read for the message (oracle: 241)
    ),
    Difference(
        name="dataproc-failed-cluster-is-deleted",
        reason="cluster_context_manager deletes a cluster whose create call was accepted even "
               "when its provisioning failed (a cluster in ERROR still exists and is billed); "
               "dagster-gcp deletes only after a successful create_cluster.",
        case="integrations_dataproc",
        path="run_cluster_context_manager_after_failed_provisioning/value/calls/2/*",
    ),
    Difference(
        name="dagstermill-reserved-tags-are-dagster-errors",
        reason="define_dagstermill_solid given a reserved tag (notebook_path, kind) raises "
               "DagsterInvariantViolationError naming it; dagstermill's check.invariant raises "
               "its internal CheckError (as integration-argument-errors-are-dagster-errors).",
        case="integrations_notebook",
        path="run_reserved_tag/raised",
        expect=lambda oracle: "DagsterInvariantViolationError",
    ),
    Difference(
        name="slack-hook-text-names-the-solid-and-pipeline",
        reason="slack_on_success/slack_on_failure's default text keeps dagster-slack 0.12's "
               "'Solid <solid> on pipeline <pipeline> succeeded!' (what a solid/pipeline user's "
               "alerts said, and what dagster-pagerduty 0.15 still says for solids); "
               "dagster-slack 0.15 switched to 'Op <op> on job <job>'.",
        case="integrations_alerts",
        path="run_hook_payloads/value/*/body/text",
        expect=lambda oracle: oracle.replace("Op ", "Solid ", 1).replace(" on job ",
                                                                         " on pipeline ", 1),
    ),
    Difference(
        name="hooks-run-in-name-order",
        reason="orch runs a step's hooks in the order of their names, so a run's events are "
               "reproducible; Dagster iterates the hook set, whose order changes from process "
               "to process with string hash randomisation (recording the oracle twice gave "
               "both orders).",
        path="*/steps/*",
        expect=_HookEventsInAnyOrder,
    ),
    Difference(
        name="schedule-tags-prefix",
        reason="The tags a schedule, partition set or sensor puts on its runs carry orch's "
               "system prefix (orch/schedule_name, orch/partition, orch/partition_set) where "
               "Dagster writes dagster/...; run filters accept the dagster/ spelling. The "
               "values are asserted in tests/scheduling/test_schedule_definitions.py.",
        case="schedules_*",
        path=("*/tags/dagster/*", "*/tags/orch/*"),
    ),
    Difference(
        name="list-type-display-name",
        reason="orch names a list type List[X] (its messages and tests say so); Dagster "
               "0.15.10 displays it as [X].",
        case="integrations_bigquery",
        path=("run_query_solid_definition/value/outputs/0/__tuple__",
              "run_load_and_dataset_solids/value/2/inputs/0/__tuple__"),
        expect=lambda oracle: [oracle[0], "List" + oracle[1]],
    ),
    Difference(
        name="redshift-schema-is-search-path",
        reason="dagster-aws passes the schema key to psycopg2.connect, and libpq refuses it "
               "before connecting (ProgrammingError: invalid dsn: invalid connection option "
               "\"schema\"), so a legacy config with schema never connects; orch sets the "
               "session's search_path from it and connects (here to a closed port: "
               "OperationalError). tests/integrations/test_redshift.py asserts the search_path.",
        case="integrations_redshift",
        path="run_schema_key/solids/query/failure/error",
        expect=lambda oracle: ["OperationalError"],
    ),
    Difference(
        name="pandas-3-string-index",
        reason="The missing-column text shows the DataFrame's columns as pandas prints them: "
               "orch runs pandas 3, whose string labels are dtype 'str'; the oracle's "
               "dagster-pandas 0.15.10 runs pandas 2, which prints dtype='object'.",
        case="integrations_pandas",
        path="run_required_column_missing/value/description",
        expect=lambda oracle: oracle.replace("dtype='object'", "dtype='str'"),
    ),
    Difference(
        name="gcs-file-manager-reads-what-was-written",
        reason="GCSFileManager.read_data gives back the bytes write_data stored; dagster-gcp "
               "0.15.10's gives b'' (it downloads into a temporary file it never flushes "
               "before reading it back).",
        case="integrations_gcs",
        path="run_io_manager_and_file_manager/value/8",
        expect=lambda oracle: "hello",
    ),
    Difference(
        name="cloudwatch-missing-group-is-a-named-error",
        reason="cloudwatch_logger's missing log group or stream raises CloudwatchLoggerError "
               "(a DagsterInvariantViolationError) with dagster-aws' exact message; dagster-aws "
               "raises a bare Exception, which the subclass still satisfies.",
        case="integrations_aws",
        path="run_cloudwatch_missing_group/raised",
        expect=lambda oracle: "CloudwatchLoggerError",
    ),
    Difference(
        name="spark-submit-without-arguments-has-no-none",
        reason="construct_spark_shell_command without application_arguments leaves them out; "
               "dagster-spark 0.15 appends None, so its run_spark_job's ' '.join raises "
               "TypeError for a solid whose config has no application_arguments (orch runs "
               "the job).",
        case="integrations_spark",
        path="run_shell_command_without_arguments/value",
        expect=lambda oracle: [a for a in oracle if a is not None],
    ),
]
