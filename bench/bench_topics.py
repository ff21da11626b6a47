"""Topic quality and speed: vocmine's topic step vs vanilla BERTopic, and an incremental weekly run.

    python bench/bench_topics.py --data ../shared/data                # both parts
    python bench/bench_topics.py --data ../shared/data --part banking77
    python bench/bench_topics.py --data ../shared/data --part weekly --rows 100000 --new 5000
    python bench/bench_topics.py --data ../shared/data --part sets --json bench/results/topic_sets.json

Part 1 (banking77 test split, 3,080 customer-service queries, 77 intents): in one process, the
same texts go through vocmine's topic step (the packaged MiniLM as vocmine loads it, int8; then
``vocmine.decide.topics.discover``: BERTopic with the spectral reducer, the refined HDBSCAN clusterer and
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

Part 3 (sets): one row per dev set, vocmine vs vanilla BERTopic as in part 1, in one process:
banking77 (part 1's run) and the complaint sentences of the clothing, food and hotel reviews and
the Korean shop reviews. For a complaint set the texts clustered are a seeded pool (``--pool``,
``--seed``) of that domain's complaint sentences (sentences of rating 1-2 reviews; the hotels'
``negative`` half), split by the aspect gold's own regular expression (``bench/gold/sample.py``, so
that the gold sentences are pool sentences verbatim), always including every scored gold
sentence. NMI and ARI are scored only on the gold sentences (``bench/gold/<set>.jsonl``) that are
complaints with an aspect; a sentence's class is its first "neg" aspect, or its first aspect.
Outliers count as one more cluster on both sides. Korean: vocmine's embedder for Korean is
``kiwi-lsa`` (Kiwi lemmas, tf-idf, LSA fitted on the texts); vanilla BERTopic's default for
non-English (a multilingual sentence-transformers model) is not installed offline, so vanilla gets
the same kiwi-lsa vectors (fitted and embedded inside its timed run, ``language="multilingual"``):
the comparison is of the topic method. Texts whose kiwi-lsa vector is empty (no known lemma) are
outliers on both sides, as vocmine's topic stage does.
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


EMBEDDER = "minilm"  # vocmine's side (--embedder)


def banking77(data: Path) -> dict:
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

    from vocmine.decide.embed import get_embedder
    from vocmine.decide.topics import discover, min_topic_size_for
    emb = get_embedder(EMBEDDER).load()
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

    from vocmine.decide.embed import minilm_path
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
    return row("banking77", "en", n, n, len(set(labels)), (*res_v, int(lab_v.max()) + 1, n / el_v,
               float(np.mean(lab_v < 0))), (*res_b, int(lab_b.max()) + 1, n / el_b, float(np.mean(lab_b < 0))),
               min_topic_size=int(min_topic_size_for(n)))


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
    from vocmine.decide.embed import MiniLMEmbedder

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


# -- part 3: one row per dev set -------------------------------------------------------------------

COMPLAINT_SETS = ("clothing", "food", "hotels", "shop_ko")


def row(name: str, lang: str, n: int, scored: int, classes: int, v: tuple, b: tuple, **extra) -> dict:
    """One result row: v and b are (NMI, ARI, topics, texts/s, outlier share) of vocmine and vanilla."""
    out = {"set": name, "lang": lang, "texts": n, "gold_scored": scored, "gold_classes": classes}
    for side, r in (("vocmine", v), ("vanilla", b)):
        out.update({f"{side}_nmi": round(float(r[0]), 4), f"{side}_ari": round(float(r[1]), 4),
                    f"{side}_topics": int(r[2]), f"{side}_texts_per_s": round(float(r[3]), 1),
                    f"{side}_outliers": round(float(r[4]), 4)})
    out["speed_ratio"] = round(out["vocmine_texts_per_s"] / max(out["vanilla_texts_per_s"], 1e-9), 2)
    out.update(extra)
    return out


def gold_class(rec: dict) -> str | None:
    """The class a gold sentence is scored under: its first neg aspect, or its first aspect; None
    when it is not a complaint or names no aspect."""
    if not rec.get("complaint") or not rec.get("aspects"):
        return None
    neg = [a for a in rec["aspects"] if a.get("polarity") == "neg"]
    return (neg or rec["aspects"])[0]["aspect"]


def complaint_pool(data: Path, name: str, pool: int, seed: int) -> tuple[str, list[str], list[int], list[str]]:
    """Return (language, texts to cluster, indices of the scored gold texts, their classes)."""
    import json
    import random

    sys.path.insert(0, str(Path(__file__).parent / "gold"))
    from sample import domain_pools  # the gold's own sentence split and complaint pools

    if "all" not in _POOLS:
        _POOLS["all"] = domain_pools(data)
    lang, neg, _rest = _POOLS["all"][name]
    gold = [json.loads(line) for line in open(Path(__file__).parent / "gold" / f"{name}.jsonl", encoding="utf-8")]
    texts, gold_idx, gold_lab, seen = [], [], [], {}
    for rec in gold:
        c = gold_class(rec)
        if c is None:
            continue
        if rec["text"] not in seen:
            seen[rec["text"]] = len(texts)
            texts.append(rec["text"])
        gold_idx.append(seen[rec["text"]])
        gold_lab.append(c)
    others = sorted({t for _, _, t in neg} - set(seen))
    random.Random(f"{seed}:{name}").shuffle(others)
    texts += others[:max(0, pool - len(texts))]
    order = list(range(len(texts)))  # one seeded order, the gold sentences among the others
    random.Random(f"{seed}:{name}:order").shuffle(order)
    where = {old: new for new, old in enumerate(order)}
    return lang, [texts[i] for i in order], [where[i] for i in gold_idx], gold_lab


_POOLS: dict = {}


class _Models:
    """Everything both sides load once, outside the timed runs."""

    def __init__(self):
        import numpy as np

        t = time.perf_counter()
        import bertopic  # noqa: F401
        import hdbscan  # noqa: F401
        from sentence_transformers import SentenceTransformer
        from umap import UMAP

        from vocmine.decide.embed import minilm_path
        from vocmine.understand.nlp import get_kiwi

        from vocmine.decide.embed import get_embedder

        self.emb = get_embedder(EMBEDDER).load()
        self.emb.embed(["warm-up: the first batch of a model is slow on both sides"])
        self.st = SentenceTransformer(str(minilm_path()), device="cpu")
        self.st.encode(["warm-up: the first batch of a model is slow on both sides"])
        UMAP(n_components=5).fit_transform(np.random.default_rng(0).normal(size=(300, 16)))  # numba warm-up
        get_kiwi().tokenize("워밍업 문장입니다")
        self.load_s = time.perf_counter() - t


def _cold() -> None:
    """Empty vocmine's in-process Korean lemma cache, so that neither side reuses the other's
    tokenization (both embed Korean with kiwi-lsa)."""
    from vocmine.decide import embed

    embed._LEMMA_CACHE.clear()


def run_vocmine(texts: list[str], lang: str, models: _Models, **discover_kw):
    """vocmine's topic step, end to end; returns (labels, seconds, min_topic_size, discovery)."""
    import numpy as np

    from vocmine.decide.embed import KiwiLsaEmbedder
    from vocmine.decide.topics import discover, min_topic_size_for

    _cold()
    t = time.perf_counter()
    if lang == "ko":
        x = KiwiLsaEmbedder().fit(texts).embed(texts)
    else:
        x = models.emb.embed(texts)
    run_vocmine.embed_s = time.perf_counter() - t
    ok = np.flatnonzero(np.linalg.norm(x, axis=1) >= 0.5)  # as the topic stage: empty vectors are outliers
    mts = discover_kw.pop("min_topic_size", None) or min_topic_size_for(len(ok))
    d = discover([texts[i] for i in ok], x[ok], lang, min_topic_size=mts, **discover_kw)
    labels = np.full(len(texts), -1)
    labels[ok] = d.labels
    return labels, time.perf_counter() - t, mts, d, x


def run_vanilla(texts: list[str], lang: str, models: _Models):
    """Vanilla BERTopic, end to end (embedding included); returns (labels, seconds)."""
    import numpy as np
    from bertopic import BERTopic

    from vocmine.decide.embed import KiwiLsaEmbedder

    _cold()
    t = time.perf_counter()
    if lang == "ko":
        x = KiwiLsaEmbedder().fit(texts).embed(texts)
        ok = np.flatnonzero(np.linalg.norm(x, axis=1) >= 0.5)
        topics, _ = BERTopic(language="multilingual").fit_transform([texts[i] for i in ok], embeddings=x[ok])
        labels = np.full(len(texts), -1)
        labels[ok] = topics
    else:
        topics, _ = BERTopic(embedding_model=models.st).fit_transform(texts)
        labels = np.asarray(topics)
    return labels, time.perf_counter() - t


def sizes(labels) -> str:
    """Cluster sizes, largest first, and the outlier share, for the detail line."""
    import numpy as np

    lab = np.asarray(labels)
    c = np.bincount(lab[lab >= 0]) if (lab >= 0).any() else np.zeros(0, int)
    c = np.sort(c)[::-1]
    return (f"{len(c)} topics, outliers {np.mean(lab < 0):.1%}, largest {', '.join(map(str, c[:5]))}"
            f" (top share {c[0] / len(lab) if len(c) else 0:.1%}), median size {int(np.median(c)) if len(c) else 0}")


def complaint_set(data: Path, name: str, pool: int, seed: int, models: _Models) -> dict:
    import numpy as np
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    lang, texts, gidx, glab = complaint_pool(data, name, pool, seed)
    n = len(texts)
    lab_v, el_v, mts, d, _x = run_vocmine(texts, lang, models)
    lab_b, el_b = run_vanilla(texts, lang, models)
    rv = (normalized_mutual_info_score(glab, lab_v[gidx]), adjusted_rand_score(glab, lab_v[gidx]))
    rb = (normalized_mutual_info_score(glab, lab_b[gidx]), adjusted_rand_score(glab, lab_b[gidx]))
    print(f"  {name}: {n} texts, {len(gidx)} gold scored, {len(set(glab))} classes; min_topic_size {mts}")
    print(f"    vocmine: NMI {rv[0]:.3f} ARI {rv[1]:.3f} {n / el_v:6.1f} texts/s ({el_v:.1f} s, embed "
          f"{run_vocmine.embed_s:.1f} s); {sizes(lab_v)}; "
          f"gold outliers {np.mean(lab_v[gidx] < 0):.1%}")
    print(f"    vanilla: NMI {rb[0]:.3f} ARI {rb[1]:.3f} {n / el_b:6.1f} texts/s ({el_b:.1f} s); {sizes(lab_b)}; "
          f"gold outliers {np.mean(lab_b[gidx] < 0):.1%}")
    return row(name, lang, n, len(gidx), len(set(glab)),
               (*rv, int(lab_v.max()) + 1, n / el_v, float(np.mean(lab_v < 0))),
               (*rb, int(lab_b.max()) + 1, n / el_b, float(np.mean(lab_b < 0))),
               min_topic_size=int(mts), seconds_vocmine=round(el_v, 2), seconds_vanilla=round(el_b, 2))


def sets(data: Path, pool: int, seed: int, only: list[str] | None, json_path: Path | None,
         banking_row: dict | None = None) -> list[dict]:
    import json

    names = only or ["banking77", *COMPLAINT_SETS]
    unknown = set(names) - {"banking77", *COMPLAINT_SETS}
    if unknown:
        sys.exit(f"unknown sets {sorted(unknown)}; choose from banking77, {', '.join(COMPLAINT_SETS)}")
    load_before = os.getloadavg()
    print(f"sets: load average before {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rows = []
    if "banking77" in names:
        rows.append(banking_row or banking77(data))
    rest = [s for s in names if s != "banking77"]
    if rest:
        models = _Models()
        print(f"  import + model load + UMAP and Kiwi warm-up {models.load_s:.1f} s apart")
        for name in rest:
            rows.append(complaint_set(data, name, pool, seed, models))
    print_table(rows)
    print(f"sets: load average after {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps({"machine": machine(), "load_before": [round(v, 2) for v in load_before],
                                         "load_after": [round(v, 2) for v in os.getloadavg()], "pool": pool,
                                         "seed": seed, "rows": rows}, indent=1)
                             + "\n", encoding="utf-8")
        print(f"wrote {json_path}")
    return rows


def print_table(rows: list[dict]) -> None:
    """Print the rows of part 3 as one table."""
    head = (f"{'set':<10} {'lang':<4} {'texts':>5} {'gold':>4} {'cls':>3} | {'vocmine NMI':>11} {'ARI':>6} {'#t':>4} "
            f"{'txt/s':>7} | {'vanilla NMI':>11} {'ARI':>6} {'#t':>4} {'txt/s':>7} | {'speed':>6}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['set']:<10} {r['lang']:<4} {r['texts']:>5} {r['gold_scored']:>4} {r['gold_classes']:>3} | "
              f"{r['vocmine_nmi']:>11.3f} {r['vocmine_ari']:>6.3f} {r['vocmine_topics']:>4} "
              f"{r['vocmine_texts_per_s']:>7.1f} | {r['vanilla_nmi']:>11.3f} {r['vanilla_ari']:>6.3f} "
              f"{r['vanilla_topics']:>4} {r['vanilla_texts_per_s']:>7.1f} | {r['speed_ratio']:>5.1f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="the shared data folder (../shared/data)")
    ap.add_argument("--part", choices=["all", "banking77", "weekly", "sets"], default="all", help="which measurement")
    ap.add_argument("--rows", type=int, default=100_000, help="segments already in the workspace (weekly)")
    ap.add_argument("--new", type=int, default=5_000, help="new segments in the weekly run")
    ap.add_argument("--pool", type=int, default=2500, help="complaint sentences clustered per set (sets)")
    ap.add_argument("--seed", type=int, default=15, help="seed of the complaint pools (sets)")
    ap.add_argument("--sets", default=None, help="comma-separated subset of banking77," + ",".join(COMPLAINT_SETS))
    ap.add_argument("--json", type=Path, default=None, help="write the sets rows to this JSON file")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch and numba threads for both sides (default: the libraries' own); 1 gives steadier "
                         "timings on a machine that other jobs share")
    ap.add_argument("--embedder", default="minilm",
                    help="vocmine's embedder (default minilm; minilm-torch is the one before onnxruntime)")
    a = ap.parse_args()
    global EMBEDDER
    EMBEDDER = a.embedder
    print(machine())
    print(f"vocmine's embedder: {EMBEDDER}")
    if a.threads:
        import numba
        import torch
        torch.set_num_threads(a.threads)
        numba.set_num_threads(a.threads)
        print(f"threads: {a.threads} (torch and numba, both sides)")
    b_row = None
    if a.part in ("all", "banking77"):
        b_row = banking77(a.data)
    if a.part in ("all", "weekly"):
        weekly(a.data, a.rows, a.new)
    if a.part in ("all", "sets"):
        sets(a.data, a.pool, a.seed, a.sets.split(",") if a.sets else None, a.json, banking_row=b_row)


if __name__ == "__main__":
    main()
