"""vocmine: mine customer feedback, find what customers complain about in their own words,
link it to the fixes you ship, and tell them.

    >>> import vocmine
    >>> ws = vocmine.open("voc.db")
    >>> ws.ingest("reviews.csv", text="review", rating="stars")
"""
from __future__ import annotations

from vocmine.core.version import __version__
from vocmine.core.errors import ConfigError, ModelError, SourceError, TrackerError, VocmineError, WorkspaceError  # noqa: E402
from vocmine.core.feedback import Feedback, Reject  # noqa: E402
from vocmine.core.resources import data_path, load_taxonomy  # noqa: E402
from vocmine.workspace import Workspace, open  # noqa: E402,A004
from vocmine import _moved  # noqa: E402

_moved.install()  # old module paths (vocmine.topics, vocmine.trackers.github, ...) for one release

__all__ = [
    "open", "Workspace", "data_path", "load_taxonomy", "Feedback", "Reject", "VocmineError", "ConfigError", "SourceError",
    "TrackerError", "ModelError", "WorkspaceError", "__version__",
]
