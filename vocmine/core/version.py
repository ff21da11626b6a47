"""vocmine's version, in core so that every module can read it without importing the top package."""

__version__ = "0.1.0"
