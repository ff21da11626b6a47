"""The English embedders side by side: load time, embedding time and cosine to float32.

    python bench/bench_embedders.py --data ../shared/data [--rows 3080]

Embeds banking77's test queries with ``minilm`` (onnxruntime int8), ``minilm-torch`` (torch int8)
and ``minilm-fp32``, in one process, each after a warm-up call; prints seconds and the mean cosine
of each to the float32 vectors. The first ``minilm`` load on a machine includes the ONNX export.
"""
from __future__ import annotations

import argparse
import csv
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True, help="the shared data folder (../shared/data)")
    ap.add_argument("--rows", type=int, default=0, help="at most this many queries (0: all 3,080)")
    a = ap.parse_args()
    import numpy as np

    from vocmine.decide.embed import get_embedder

    with open(a.data / "banking77" / "banking77.csv", encoding="utf-8") as f:
        texts = [r["text"] for r in csv.DictReader(f) if r["split"] == "test"]
    texts = texts[:a.rows] if a.rows else texts
    out = {}
    for name in ("minilm", "minilm-torch", "minilm-fp32"):
        t = time.perf_counter()
        emb = get_embedder(name).load()
        emb.embed(["warm-up: the first batch of a model is slow"])
        load = time.perf_counter() - t
        t = time.perf_counter()
        out[name] = emb.embed(texts)
        took = time.perf_counter() - t
        print(f"{name:13} load {load:5.2f} s   embed {len(texts)} texts {took:6.2f} s ({len(texts) / took:6.0f}/s)")
    ref = out["minilm-fp32"]
    for name in ("minilm", "minilm-torch"):
        print(f"cosine to float32, {name:13} mean {float(np.mean(np.sum(out[name] * ref, axis=1))):.3f}  "
              f"min {float(np.min(np.sum(out[name] * ref, axis=1))):.3f}")


if __name__ == "__main__":
    main()
