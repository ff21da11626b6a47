"""Topic quality and speed: vocmine's topic step vs vanilla BERTopic, and an incremental weekly run.

    python bench/bench_topics.py --data ../shared/data                # both parts
    python bench/bench_topics.py --data ../shared/data --part banking77
    python bench/bench_topics.py --data ../shared/data --part weekly --rows 100000 --new 5000

Part 1 (banking77 test split, 3,080 customer-service queries, 77 intents): in one process, the
same texts go through vocmine's topic step (the packaged MiniLM as vocmine loads it, int8; then
``vocmine.topics.discover``: BERTopic with the spectral reducer, the refined HDBSCAN clusterer and
c-TF-IDF keywords, exactly what ``update_topics`` runs) and through vanilla BERTopic (the same
packaged MiniLM in float32 as its embedding model, default UMAP + HDBSCAN). Prints NMI and ARI
against the intent labels (outliers count as one more cluster) and texts/s end to end: from raw
texts to a topic per text, embedding included. Library import and model load are timed apart.
Vanilla's UMAP is compiled (numba) on a small warm-up before it is timed, which favours vanilla.
Neither side is told the number of intents.

Part 2 (weekly): a workspace of ``--rows`` English segments (real sentences from the women's
clothing reviews, stored as complaint segments of one feedback row each) gets its first topics
(not timed against the target), then ``--new`` new segments arrive and ``update_topics`` runs:
that run is timed, with the model already loaded (its load time is printed apart).
"""
from __future__ import annotations

import argparse
import csv
import os
import platform
import re
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def machine() -> str:
    return (f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"load average {os.getloadavg()[0]:.2f}")


def banking77(data: Path) -> None:
    import numpy as np
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    texts, labels = [], []
    with open(data / "banking77" / "banking77.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["split"] == "test":
                texts.append(r["text"])
                labels.append(r["label"])
    n = len(texts)
    print(f"banking77 test split: {n} texts, {len(set(labels))} intents (not given to either side)")

    # vocmine
    t = time.perf_counter()
    import bertopic  # noqa: F401 - imported apart on both sides: the timed part is the work
    import hdbscan  # noqa: F401

    from vocmine.embed import MiniLMEmbedder
    from vocmine.topics import discover
    emb = MiniLMEmbedder().load()
    emb.embed(["warm-up: the first batch of a model is slow on both sides"])
    load_v = time.perf_counter() - t
    t = time.perf_counter()
    x = emb.embed(texts)
    t_embed = time.perf_counter() - t
    d = discover(texts, x, "en")
    el_v = time.perf_counter() - t
    lab_v = d.labels
    res_v = (normalized_mutual_info_score(labels, lab_v), adjusted_rand_score(labels, lab_v))
    print(f"vocmine : NMI {res_v[0]:.3f}  ARI {res_v[1]:.3f}  {n / el_v:6.1f} texts/s  ({el_v:.1f} s: embed "
          f"{t_embed:.1f} s, cluster + keywords {el_v - t_embed:.1f} s; {lab_v.max() + 1} topics, outliers "
          f"{np.mean(lab_v < 0):.1%}; import + model load {load_v:.1f} s apart)")
    print("          e.g. " + "; ".join(", ".join(d.keywords[k][:3]) for k in sorted(d.keywords)[:3]))

    # vanilla BERTopic
    t = time.perf_counter()
    from bertopic import BERTopic
    from sentence_transformers import SentenceTransformer
    from umap import UMAP

    from vocmine.embed import minilm_path
    st = SentenceTransformer(str(minilm_path()), device="cpu")
    UMAP(n_components=5).fit_transform(np.random.default_rng(0).normal(size=(300, 16)))  # numba warm-up
    st.encode(["warm-up: the first batch of a model is slow on both sides"])
    load_b = time.perf_counter() - t
    t = time.perf_counter()
    topics, _ = BERTopic(embedding_model=st).fit_transform(texts)
    el_b = time.perf_counter() - t
    lab_b = np.asarray(topics)
    res_b = (normalized_mutual_info_score(labels, lab_b), adjusted_rand_score(labels, lab_b))
    print(f"vanilla : NMI {res_b[0]:.3f}  ARI {res_b[1]:.3f}  {n / el_b:6.1f} texts/s  ({el_b:.1f} s; "
          f"{lab_b.max() + 1} topics, outliers {np.mean(lab_b < 0):.1%}; import + model load + UMAP warm-up "
          f"{load_b:.1f} s apart)")
    print(f"speed-up: {el_b / el_v:.1f}x")


_SENT = re.compile(r"(?<=[.!?])\s+")


def sentences(data: Path):
    with open(data / "womens_clothing_reviews" / "reviews.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            for s in _SENT.split((r["text"] or "").strip()):
                s = s.strip()
                if len(s.split()) >= 3:
                    yield s


def fill(ws, texts: list[str], start: int, week: str) -> None:
    """Store each text as one feedback row with one complaint segment (what analyze would write)."""
    conn = ws.db.conn
    with conn:
        for i, text in enumerate(texts, start=start):
            fid = conn.execute(
                "insert into feedback (source, external_id, kind, text, language, created_at, ingested_at) "
                "values ('bench', ?, 'review', ?, 'en', ?, ?)", (f"s{i}", text, week, week)).lastrowid
            conn.execute("insert into segments (feedback_id, idx, text, start, end, language, sentiment, label, "
                         "complaint) values (?, 0, ?, 0, ?, 'en', -0.5, 'negative', 1)", (fid, text, len(text)))


def weekly(data: Path, rows: int, new: int) -> None:
    import vocmine
    from vocmine.embed import MiniLMEmbedder

    texts = []
    for s in sentences(data):
        texts.append(s)
        if len(texts) >= rows + new:
            break
    if len(texts) < rows + new:
        sys.exit(f"only {len(texts)} sentences available; lower --rows/--new")
    tmp = Path(tempfile.mkdtemp(prefix="bench-topics-"))
    ws = vocmine.open(tmp / "w.db")
    fill(ws, texts[:rows], 0, "2026-09-01T00:00:00Z")
    t = time.perf_counter()
    emb = MiniLMEmbedder().load()
    load = time.perf_counter() - t
    t = time.perf_counter()
    r0 = ws.update_topics(embedder=emb)
    first = time.perf_counter() - t
    print(f"workspace: {rows:,} segments; first run {first:.1f} s ({rows / first:.0f} segments/s: embed all, "
          f"discover on a 20,000 sample, assign the rest): {r0['topics']} topics, outliers {r0['outlier_share']:.1%}")
    t = time.perf_counter()
    r1 = ws.update_topics(embedder=emb)
    rerun = time.perf_counter() - t
    print(f"re-run, nothing new: {rerun:.1f} s, {r1['new_topics']} new topics, {r1['embedded']} embedded")
    fill(ws, texts[rows:rows + new], rows, "2026-09-08T00:00:00Z")
    t = time.perf_counter()
    r2 = ws.update_topics(embedder=emb)
    took = time.perf_counter() - t
    print(f"weekly run: {new:,} new segments in {took:.1f} s ({new / took:.0f} segments/s; model load "
          f"{load:.1f} s apart): {r2['embedded']} embedded, {r2['assigned']} placed, {r2['new_topics']} new topics, "
          f"outliers {r2['outlier_share']:.1%}")
    ws.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="the shared data folder (../shared/data)")
    ap.add_argument("--part", choices=["all", "banking77", "weekly"], default="all", help="which measurement")
    ap.add_argument("--rows", type=int, default=100_000, help="segments already in the workspace (weekly)")
    ap.add_argument("--new", type=int, default=5_000, help="new segments in the weekly run")
    a = ap.parse_args()
    print(machine())
    if a.part in ("all", "banking77"):
        banking77(a.data)
    if a.part in ("all", "weekly"):
        weekly(a.data, a.rows, a.new)


if __name__ == "__main__":
    main()
