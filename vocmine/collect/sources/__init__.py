"""Sources: where feedback comes from. Built-ins register through entry points like any plugin."""
from __future__ import annotations

from vocmine.collect.sources.base import Source, FileSource, file_source_for, ColumnMap

__all__ = ["Source", "FileSource", "file_source_for", "ColumnMap"]
