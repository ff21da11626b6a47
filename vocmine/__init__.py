"""vocmine: mine customer feedback, find what customers complain about in their own words,
link it to the fixes you ship, and tell them.

    >>> import vocmine
    >>> ws = vocmine.open("voc.db")
    >>> ws.ingest("reviews.csv", text="review", rating="stars")
"""
from __future__ import annotations

__version__ = "0.1.0"

from .errors import ConfigError, ModelError, SourceError, TrackerError, VocmineError, WorkspaceError  # noqa: E402
from .feedback import Feedback, Reject  # noqa: E402
from .resources import data_path, load_taxonomy  # noqa: E402
from .workspace import Workspace, open  # noqa: E402,A004

__all__ = [
    "open", "Workspace", "data_path", "load_taxonomy", "Feedback", "Reject", "VocmineError", "ConfigError", "SourceError",
    "TrackerError", "ModelError", "WorkspaceError", "__version__",
]
