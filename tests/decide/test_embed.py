"""Embedders: the packaged MiniLM, a local model folder, kiwi-lsa, the cache, and fast failures."""
import shutil

import numpy as np
import pytest

import vocmine
from vocmine.core import plugins
from vocmine.decide.embed import (
    KiwiLsaEmbedder, MiniLMEmbedder, SentenceTransformerEmbedder, cached_vectors, get_embedder, minilm_path,
)

KO = ["생각보다 무거워요", "가방이 너무 무겁네요", "배송이 너무 늦어요", "택배가 일주일 넘게 안 와요",
      "배터리가 빨리 닳아요", "충전이 잘 안 돼요", "무게가 생각보다 많이 나가요", "배송이 느려요"]


def test_builtins_are_registered_as_plugins():
    assert {"minilm", "minilm-torch", "minilm-fp32", "kiwi-lsa"} <= set(plugins.names("vocmine.embedders"))
    assert get_embedder(None, "ko").name == "kiwi-lsa"
    assert get_embedder(None, "en").name == "minilm"


def test_hub_name_fails_at_once_with_a_clear_message(tmp_path):
    with pytest.raises(vocmine.ModelError, match=r"unknown embedder 'intfloat/multilingual-e5-small'.*never "
                                                 r"downloads.*available: kiwi-lsa, minilm, minilm-fp32, minilm-torch"):
        get_embedder("intfloat/multilingual-e5-small")
    with pytest.raises(vocmine.ModelError, match="no such local model directory"):
        SentenceTransformerEmbedder(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(vocmine.ModelError, match="not a sentence-transformers model folder"):
        get_embedder(str(tmp_path / "empty")).embed(["x"])


def test_kiwi_lsa_groups_korean_by_cause_and_round_trips_its_fit():
    emb = KiwiLsaEmbedder(dim=8, min_df=1).fit(KO * 3)
    v = emb.embed(KO)
    assert v.dtype == np.float32 and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    sim = v @ v.T
    # 무거워요 / 무겁네요 (one lemma 무겁다) are closer to each other than to delivery or battery.
    assert sim[0, 1] > sim[0, 2] and sim[0, 1] > sim[0, 4]
    assert sim[2, 7] > sim[2, 4]
    again = KiwiLsaEmbedder.from_state(emb.state())
    assert np.allclose(again.embed(KO), v, atol=1e-6)


def test_cache_embeds_each_segment_once(ws, tmp_path):
    (tmp_path / "ko.txt").write_text("\n".join(KO), encoding="utf-8")
    ws.ingest(tmp_path / "ko.txt")
    ws.analyze()
    rows = ws.db.conn.execute("select id, text from segments order by id").fetchall()
    emb = KiwiLsaEmbedder(dim=4, min_df=1).fit([t for _, t in rows])
    x1, n1 = cached_vectors(ws, emb, [r[0] for r in rows], [r[1] for r in rows])
    x2, n2 = cached_vectors(ws, emb, [r[0] for r in rows], [r[1] for r in rows])
    assert n1 == len(rows) and n2 == 0
    assert np.array_equal(x1, x2) and x1.dtype == np.float32
    stored = ws.db.conn.execute("select dim, length(vector) from embeddings where embedder = 'kiwi-lsa'").fetchall()
    assert len(stored) == len(rows) and all(n == d * 4 for d, n in stored)


def test_packaged_minilm_and_a_local_model_folder_agree(tmp_path):
    folder = tmp_path / "my-model"
    shutil.copytree(minilm_path(), folder)
    texts = ["the bag is heavier than expected", "delivery took two weeks"]
    local = get_embedder(str(folder))
    assert isinstance(local, SentenceTransformerEmbedder) and local.name.startswith("st:")
    a = local.embed(texts)
    b = MiniLMEmbedder().embed(texts)  # int8-quantized: close to, not equal to, float32
    assert a.shape == (2, 384) and b.shape == (2, 384)
    assert np.all(np.sum(a * b, axis=1) > 0.9)
    assert float(a[0] @ a[1]) < 0.6


def test_default_minilm_runs_int8_on_onnxruntime_close_to_float32_and_exports_once(tmp_path, monkeypatch):
    monkeypatch.setenv("VOCMINE_CACHE", str(tmp_path / "cache"))
    texts = ["the bag is heavier than expected", "delivery took two weeks", "", "배송이 너무 늦어요",
             "the zipper broke after a week of light use " * 30]  # longer than 256 tokens: truncated
    emb = MiniLMEmbedder().load()
    assert emb._session is not None and emb._fallback is None
    files = list((tmp_path / "cache" / "onnx").glob("minilm-int8-*.onnx"))
    assert len(files) == 1 and not list((tmp_path / "cache" / "onnx").glob("tmp*"))
    stamp = files[0].stat().st_mtime_ns
    v = emb.embed(texts)
    ref = get_embedder("minilm-fp32").embed(texts)
    assert v.shape == ref.shape == (5, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    close = np.sum(v * ref, axis=1)
    # Real text stays within 0.97 of float32 (measured 0.980-0.993); the empty text, only [CLS]
    # and [SEP], has no signal for int8 to keep and lands at 0.9699 with onnxruntime 1.32 and onnx 1.23.
    assert np.all(close[[0, 1, 3, 4]] > 0.97) and close[2] > 0.95, close
    # Batches sort by length and the vectors come back in input order; int8 activations are scaled
    # per batch, so a text's vector moves a little with its neighbours (as with torch's int8).
    again = MiniLMEmbedder(batch_size=2).embed(texts[::-1])[::-1]
    assert np.all(np.sum(again * v, axis=1) > 0.95)
    MiniLMEmbedder().load()  # a second instance reuses the exported file
    assert files[0].stat().st_mtime_ns == stamp


def test_default_minilm_without_onnxruntime_is_torch_int8_under_the_same_name(tmp_path, monkeypatch, caplog):
    import sys

    monkeypatch.setenv("VOCMINE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails as if not installed
    emb = MiniLMEmbedder()
    with caplog.at_level("WARNING", logger="vocmine.decide.embed"):
        v = emb.embed(["the bag is heavier than expected"])
    assert emb.name == "minilm" and emb._fallback is not None and emb._session is None
    assert "onnxruntime unavailable" in caplog.text
    assert v.shape == (1, 384)
