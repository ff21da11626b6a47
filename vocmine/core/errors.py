"""vocmine's exceptions: one root, a few families.

Messages say what went wrong, where (file, row, field, URL) and what to do.
"""
from __future__ import annotations


class VocmineError(Exception):
    """Root of every error vocmine raises on purpose."""


class ConfigError(VocmineError):
    """A bad option, config file, column name or unknown plugin name."""


class SourceError(VocmineError):
    """A source (file, site, API) could not be read."""


class TrackerError(VocmineError):
    """A ticket tracker could not be reached or answered badly."""


class ModelError(VocmineError):
    """A model or NLP resource could not be loaded."""


class WorkspaceError(VocmineError):
    """The workspace file is missing, locked, corrupt or from a newer vocmine."""


def unknown_name(kind: str, name: str, available) -> ConfigError:
    """Return a ConfigError for an unknown plugin name that lists the valid ones."""
    names = ", ".join(sorted(available)) or "(none installed)"
    return ConfigError(f"unknown {kind} {name!r}; available: {names}")


def is_disk_full(exc: BaseException) -> bool:
    """Return whether ``exc`` says the disk, a quota or the database's size limit is full."""
    import errno
    import sqlite3

    if isinstance(exc, sqlite3.OperationalError):
        return "disk is full" in str(exc).lower()
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
