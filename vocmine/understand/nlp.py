"""Shared, lazily loaded NLP pipelines: spaCy for English, Kiwi for Korean.

Both load from installed packages only (no downloads). They are cached per process because
loading Kiwi takes about two seconds.
"""
from __future__ import annotations

import functools
import logging

from ..errors import ModelError

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=None)
def get_english(model: str | None = None):
    """Return a spaCy pipeline with sentence boundaries and lemmas.

    With ``model`` (an installed package name or a local directory) that pipeline is loaded;
    otherwise ``spacy.blank("en")`` with the sentencizer and the lookup lemmatizer from
    ``spacy-lookups-data``.
    """
    try:
        import spacy
    except ImportError as exc:  # pragma: no cover - spacy is a core dependency
        raise ModelError("spaCy is not installed; pip install spacy spacy-lookups-data") from exc
    if model:
        try:
            nlp = spacy.load(model)
        except OSError as exc:
            raise ModelError(f"cannot load spaCy model {model!r}: {exc}") from exc
        if not nlp.has_pipe("parser") and not nlp.has_pipe("senter") and not nlp.has_pipe("sentencizer"):
            nlp.add_pipe("sentencizer")
        return nlp
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    try:
        nlp.initialize()
    except (ValueError, OSError) as exc:
        raise ModelError(
            "spaCy's lookup lemmatizer needs the lookup tables; pip install spacy-lookups-data"
        ) from exc
    return nlp


@functools.lru_cache(maxsize=None)
def get_kiwi():
    """Return a shared ``kiwipiepy.Kiwi`` instance (model from the kiwipiepy-model package)."""
    try:
        from kiwipiepy import Kiwi
    except ImportError as exc:  # pragma: no cover - kiwipiepy is a core dependency
        raise ModelError("kiwipiepy is not installed; pip install kiwipiepy kiwipiepy-model") from exc
    log.debug("loading Kiwi")
    return Kiwi()
