"""Raising Failure with a description and metadata: structured step failure."""

from orch import EventMetadataEntry, Failure, execute_pipeline, pipeline, solid


@solid
def validate(context):
    raise Failure(description="3 rows failed validation",
                  metadata_entries=[EventMetadataEntry.int(3, "bad_rows"),
                                    EventMetadataEntry.text("id,name", "columns")])


@pipeline
def failure_pipeline():
    validate()


def run_failure():
    return execute_pipeline(failure_pipeline, raise_on_error=False)


def run_failure_description():
    result = execute_pipeline(failure_pipeline, raise_on_error=False)
    failure = result.result_for_solid("validate").failure_data
    return [failure.user_failure_data.description,
            [e.label for e in failure.user_failure_data.metadata_entries]]


def run_failure_raising():
    return execute_pipeline(failure_pipeline)
