"""``snowflake_resource``'s config: dagster-snowflake's keys, plus ``host``/``port``/
``protocol`` to reach a Snowflake endpoint other than ``<account>.snowflakecomputing.com``
(a private link, or the fakesnow server the tests use)."""

from __future__ import annotations

from typing import Any

from orch.core.config import Bool, Field, IntSource, StringSource

_STRINGS = {
    "account": "Your Snowflake account name.",
    "database": "Name of the default database to use.",
    "schema": "Name of the default schema to use.",
    "role": "Name of the default role to use.",
    "warehouse": "Name of the default warehouse to use.",
    "ocsp_response_cache_filename": "URI for the OCSP response cache file.",
    "paramstyle": "pyformat by default for client side binding; qmark or numeric for server "
                  "side binding.",
    "timezone": "The session time zone (e.g. America/Los_Angeles).",
    "connector": "Only the Snowflake Connector for Python is supported (the legacy "
                 "'sqlalchemy' value is refused with a message).",
    "cache_column_metadata": "Legacy, sqlalchemy connector only.",
    "numpy": "Legacy, sqlalchemy connector only.",
    "authenticator": "The authentication mechanism to use.",
    "host": "orch: the server's host name, when it is not <account>.snowflakecomputing.com.",
    "protocol": "orch: https (the default) or http.",
}
_BOOLS = {
    "autocommit": "None by default, which honors the Snowflake parameter AUTOCOMMIT.",
    "client_session_keep_alive": "Keep the session active indefinitely.",
    "validate_default_parameters": "Raise if the database, schema or warehouse does not exist.",
}
_INTS = {
    "client_prefetch_threads": "Threads used to download result sets (4 by default).",
    "login_timeout": "Timeout in seconds for login (60 by default).",
    "network_timeout": "Timeout in seconds for all other operations.",
    "port": "orch: the server's port, when it is not 443.",
}


def define_snowflake_config() -> dict[str, Any]:
    """The config schema (every key optional except ``user`` and ``password``)."""
    config: dict[str, Any] = {
        "user": Field(StringSource, description="User login name.", is_required=True),
        "password": Field(StringSource, description="User password.", is_required=True),
    }
    for keys, kind in ((_STRINGS, StringSource), (_BOOLS, Bool), (_INTS, IntSource)):
        for key, description in keys.items():
            config[key] = Field(kind, description=description, is_required=False)
    return config


CONNECT_KEYS = ("account", "user", "password", "database", "schema", "role", "warehouse",
                "autocommit", "client_prefetch_threads", "client_session_keep_alive",
                "login_timeout", "network_timeout", "ocsp_response_cache_filename",
                "validate_default_parameters", "paramstyle", "timezone", "authenticator",
                "host", "port", "protocol")
