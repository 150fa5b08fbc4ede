"""Markers compared by identity (``value is NO_DEFAULT``) that stay themselves when a
definition is pickled into another process (a spawned step process, a Dask worker)."""

from __future__ import annotations


class Sentinel:
    """A named module-level marker; pickles as a reference to ``module.name``."""

    def __init__(self, name: str, module: str):
        self.name = name
        self.__module__ = module

    def __repr__(self) -> str:
        return self.name

    def __reduce__(self) -> str:
        return self.name
