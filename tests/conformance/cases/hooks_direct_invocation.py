"""Testing hooks the legacy way: calling a hook directly with build_hook_context."""

from orch import (
    ResourceDefinition,
    build_hook_context,
    failure_hook,
    resource,
    solid,
    success_hook,
)

SENT = []


@success_hook(required_resource_keys={"slack"})
def notify_success(context):
    context.resources.slack.append(f"{context.solid.name} succeeded")
    return "notified"


@failure_hook
def record_failure(context):
    SENT.append(str(context.solid_exception))
    return context.solid_exception.__class__.__name__


@solid
def my_solid(context):
    return 1


@resource
def slack_resource(init_context):
    return ["from resource"]


def run_hook_with_resource_value():
    messages = []
    result = notify_success(build_hook_context(resources={"slack": messages}, solid=my_solid))
    return [result, messages]


def run_hook_with_resource_definition():
    context = build_hook_context(resources={"slack": slack_resource}, solid=my_solid)
    notify_success(context)
    return context.resources.slack


def run_hook_with_hardcoded_resource():
    slack = []
    context = build_hook_context(
        resources={"slack": ResourceDefinition.hardcoded_resource(slack)}, solid=my_solid)
    notify_success(context)
    return slack


def run_hook_missing_resource():
    return notify_success(build_hook_context(solid=my_solid))


def run_failure_hook_with_exception():
    SENT.clear()
    result = record_failure(build_hook_context(op_exception=ValueError("boom")))
    return [result, SENT]


def run_hook_context_properties():
    context = build_hook_context(run_id="abc", job_name="my_pipeline", solid=my_solid)
    context.log.info("logging works")
    return [context.run_id, context.solid.name, context.solid_exception]
