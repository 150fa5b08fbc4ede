"""orch's error hierarchy (legacy Dagster names kept)."""


class DagsterError(Exception):
    """Base class for every error orch raises on purpose."""
