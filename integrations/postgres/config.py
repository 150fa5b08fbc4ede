"""The ``storage: {postgres: ...}`` block of orch.yaml: which server and database, and how.

The keys are dagster-postgres's (``postgres_url`` or ``postgres_db``, plus
``should_autocreate_tables``), so a legacy ``dagster.yaml`` block works unchanged; orch adds
``pool_size`` and ``listen``. ``{env: VAR}`` values are resolved by the instance before this
module sees them. No driver import here: this runs before anything connects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus, urlencode, urlsplit, urlunsplit

from orch.core.secrets import mask_url
from orch.core.storage.base import OrchStorageConfigError

_DB_KEYS = {"username", "password", "hostname", "db_name", "port", "params"}
_KEYS = {"postgres_url", "postgres_db", "should_autocreate_tables", "pool_size", "listen"}
_SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True)
class PostgresConfig:
    url: str                              # a libpq connection URL, password included
    should_autocreate_tables: bool = True
    pool_size: int = 4                    # connections per process, besides the listener
    listen: bool = True                   # LISTEN/NOTIFY for change detection (else polling)

    @property
    def display(self) -> str:
        """The URL with its password masked (for ``orch instance info`` and errors)."""
        return mask_url(self.url)


def parse_config(config: dict[str, Any]) -> PostgresConfig:
    """``config`` (the mapping under ``postgres``) as a :class:`PostgresConfig`, or an
    :class:`OrchStorageConfigError` saying what is wrong."""
    if not isinstance(config, dict):
        raise OrchStorageConfigError("`postgres` must be a mapping with `postgres_url` or "
                                     "`postgres_db`")
    unknown = set(config) - _KEYS
    if unknown:
        raise OrchStorageConfigError(
            f"`postgres` has unexpected {sorted(unknown)}; valid keys: {sorted(_KEYS)}")
    has_url, has_db = "postgres_url" in config, "postgres_db" in config
    if has_url == has_db:
        raise OrchStorageConfigError(
            "`postgres` needs exactly one of `postgres_url` (postgresql://user:password@host:"
            "port/db) or `postgres_db` ({username, password, hostname, db_name, port, params})")
    url = check_url(config["postgres_url"]) if has_url else url_from_db(config["postgres_db"])
    autocreate = config.get("should_autocreate_tables", True)
    listen = config.get("listen", True)
    pool_size = config.get("pool_size", 4)
    if not isinstance(autocreate, bool) or not isinstance(listen, bool):
        raise OrchStorageConfigError("`should_autocreate_tables` and `listen` are true or false")
    if not isinstance(pool_size, int) or isinstance(pool_size, bool) or pool_size < 1:
        raise OrchStorageConfigError(f"`pool_size` must be a whole number ≥ 1, got {pool_size!r}")
    return PostgresConfig(url, autocreate, pool_size, listen)


def check_url(url: Any) -> str:
    if not isinstance(url, str) or urlsplit(url).scheme not in _SCHEMES:
        raise OrchStorageConfigError(
            f"`postgres_url` must be a postgresql:// URL, got {mask_url(str(url))!r}")
    return url


def url_from_db(db: Any) -> str:
    """dagster-postgres's ``postgres_db`` block as a URL (the password quoted)."""
    if not isinstance(db, dict):
        raise OrchStorageConfigError("`postgres_db` must be a mapping")
    unknown = set(db) - _DB_KEYS
    missing = {"username", "hostname", "db_name"} - set(db)
    if unknown or missing:
        raise OrchStorageConfigError(
            "`postgres_db`: " + "; ".join(
                ([f"unexpected {sorted(unknown)}"] if unknown else [])
                + ([f"missing {sorted(missing)}"] if missing else []))
            + f" (keys: {sorted(_DB_KEYS)})")
    params = db.get("params") or {}
    if not isinstance(params, dict):
        raise OrchStorageConfigError("`postgres_db.params` must be a mapping")
    port = db.get("port", 5432)
    if not str(port).isdigit():
        raise OrchStorageConfigError(f"`postgres_db.port` must be a number, got {port!r}")
    user = quote(str(db["username"]), safe="")
    password = db.get("password")
    auth = user if password in (None, "") else f"{user}:{quote_plus(str(password))}"
    netloc = f"{auth}@{db['hostname']}:{port}"
    return urlunsplit(("postgresql", netloc, "/" + quote(str(db["db_name"]), safe=""),
                       urlencode(params), ""))
