"""dagster-aws' Redshift resource as a legacy file uses it: the config (host required, port
5439, sslmode require by default), the fake resource's answers, and the ``schema`` key, which
dagster-aws hands to libpq (refused before any connection) and orch turns into the session's
search_path (so the connection is attempted: to a closed port here). The queries themselves
run against PostgreSQL with TLS in tests/integrations/test_redshift.py."""

import socket

from orch.integrations.aws.redshift import fake_redshift_resource, redshift_resource

from orch import ModeDefinition, execute_pipeline, pipeline, solid


@solid(required_resource_keys={"redshift"})
def query(context) -> list:
    rs = context.resources.redshift
    return [rs.execute_query("SELECT 1", fetch_results=True), rs.execute_query("SELECT 1"),
            rs.execute_queries(["SELECT 1", "SELECT 2"], fetch_results=True),
            rs.execute_queries(["SELECT 1"])]


@pipeline(mode_defs=[ModeDefinition("real", resource_defs={"redshift": redshift_resource}),
                     ModeDefinition("fake", resource_defs={"redshift": fake_redshift_resource})])
def warehouse():
    query()


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_fake_resource_answers():
    return execute_pipeline(warehouse, mode="fake", run_config={"resources": {"redshift": {
        "config": {"host": "example.invalid"}}}}).result_for_solid("query").output_value()


def run_host_is_required():
    return execute_pipeline(warehouse, mode="real", run_config={"resources": {"redshift": {
        "config": {"port": 5439}}}})


def run_wrong_config_types():
    return execute_pipeline(warehouse, mode="real", run_config={"resources": {"redshift": {
        "config": {"host": "h", "port": "five", "autocommit": "yes"}}}})


def run_schema_key():
    return execute_pipeline(warehouse, mode="real", raise_on_error=False, run_config={
        "resources": {"redshift": {"config": {
            "host": "127.0.0.1", "port": _closed_port(), "user": "u", "password": "p",
            "database": "d", "schema": "analytics", "connect_timeout": 2}}}})
