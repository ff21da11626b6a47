"""Shared, lazily loaded NLP pipelines: spaCy for English, Kiwi for Korean.

Both load from installed packages only (no downloads). They are cached per process because
loading Kiwi takes about two seconds.
"""
from __future__ import annotations

import functools
import logging
import os
import sys

from vocmine.core.errors import ModelError
from vocmine.core.threads import thread_limit

log = logging.getLogger(__name__)


def import_spacy(allow_torch: bool = False):
    """Import and return spaCy, without letting thinc import torch on the way where it can.

    thinc imports torch at start when it is installed (about 2.5 s, most of a ``vocmine analyze``
    start) only to offer PyTorch-backed layers, which the packaged pipelines vocmine uses
    (``spacy.blank`` and ``en_core_web_sm``) never need. So the first import hides torch from
    thinc, unless torch is loaded already, ``allow_torch`` is set (a pipeline the user named,
    which may be a transformer one) or ``VOCMINE_SPACY_TORCH=1``. torch itself stays importable:
    the sentence embedders import it as usual. A transformer pipeline named after spaCy was
    imported this way gets a clear error from :func:`get_english`.
    """
    if "spacy" in sys.modules or "torch" in sys.modules or allow_torch or os.environ.get("VOCMINE_SPACY_TORCH"):
        import spacy

        return spacy
    sys.modules["torch"] = None  # type: ignore[assignment]  # "import torch" raises ImportError
    try:
        import spacy
    finally:
        if sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]
    return spacy


def spacy_without_torch() -> bool:
    """Whether thinc was imported without torch (see :func:`import_spacy`)."""
    compat = sys.modules.get("thinc.compat")
    return bool(compat is not None and not getattr(compat, "has_torch", True)) and _torch_installed()


@functools.lru_cache(maxsize=None)
def _torch_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is not None


@functools.lru_cache(maxsize=None)
def get_english(model: str | None = None):
    """Return a spaCy pipeline with sentence boundaries and lemmas.

    With ``model`` (an installed package name or a local directory) that pipeline is loaded;
    otherwise ``spacy.blank("en")`` with the sentencizer and the lookup lemmatizer from
    ``spacy-lookups-data``.
    """
    try:
        spacy = import_spacy(allow_torch=bool(model))
    except ImportError as exc:  # pragma: no cover - spacy is a core dependency
        raise ModelError("spaCy is not installed; pip install spacy spacy-lookups-data") from exc
    if model:
        try:
            nlp = spacy.load(model)
        except OSError as exc:
            raise ModelError(f"cannot load spaCy model {model!r}: {exc}") from exc
        except (ImportError, ValueError) as exc:
            if spacy_without_torch():
                raise ModelError(
                    f"cannot load spaCy model {model!r}: spaCy was imported without torch in this process "
                    f"({exc}); set VOCMINE_SPACY_TORCH=1 before the first analysis to use a transformer "
                    "pipeline") from exc
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
    threads = thread_limit()  # Kiwi analyses a list of texts on every core by default
    return Kiwi(num_workers=threads) if threads else Kiwi()
