"""Privacy benchmark: recall of vocmine.core.privacy.redact on planted personal data, and how much real text it alters.

Reads the planted corpus (tests/fixtures/planted_pii.jsonl, written by bench/make_planted_pii.py) and
real review text from --data (the public datasets described in ../shared/data/README.md).

    .venv/bin/python bench/eval_privacy.py                       # recall, false positives, examples
    .venv/bin/python bench/eval_privacy.py --per-set 3500 --throughput

An item counts as redacted when its ``secret`` no longer occurs in ``redact(text)``. A real sentence
counts as altered when ``redact(sentence) != sentence``. Targets: >= 98% of planted items redacted,
< 0.5% of real sentences altered on every set.
"""
from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import random
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vocmine.core import privacy  # noqa: E402

PLANTED = ROOT / "tests" / "fixtures" / "planted_pii.jsonl"
# (folder, file, text column)
DATASETS = [
    ("womens_clothing_reviews", "reviews.csv", "text"),
    ("amazon_fine_food", "reviews.csv", "text"),
    ("hotel_reviews_europe", "reviews.csv", "text"),
    ("nsmc", "nsmc_reviews_50k.csv", "text"),
    ("naver_shopping_3k", "reviews.csv", "text"),
    ("banking77", "banking77.csv", "text"),
]
_SENT_RE = re.compile(r"(?<=[.!?])\s+|\n+")


def sentences(path: Path, column: str) -> list[str]:
    """Return the non-empty sentences of every row's ``column`` in a CSV file, in file order."""
    out: list[str] = []
    csv.field_size_limit(1 << 24)
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            for s in _SENT_RE.split(row.get(column) or ""):
                s = s.strip()
                if len(s) >= 3:
                    out.append(s)
    return out


def planted_recall(path: Path) -> tuple[dict[str, list[int]], list[dict]]:
    """Return {kind: [redacted, total]} over the planted corpus and the items that leaked."""
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    missed = []
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        out = privacy.redact(item["text"])
        ok = item["secret"] not in out
        per_kind[item["kind"]][0] += ok
        per_kind[item["kind"]][1] += 1
        if not ok:
            missed.append({**item, "redacted": out})
    return per_kind, missed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"), help="folder with the public datasets")
    ap.add_argument("--planted", default=str(PLANTED), help="planted corpus (JSON lines)")
    ap.add_argument("--per-set", type=int, default=3000, help="sentences sampled per dataset (default 3000)")
    ap.add_argument("--examples", type=int, default=5, help="altered real sentences shown per dataset")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--throughput", action="store_true", help="also time redact() over all sampled sentences")
    ap.add_argument("--baseline", metavar="FILE", help="with --throughput: also time the redact() of another "
                    "single-file privacy.py from before the package, e.g. `git show 54d2213:vocmine/core/privacy.py > /tmp/old_privacy.py`")
    args = ap.parse_args()

    per_kind, missed = planted_recall(Path(args.planted))
    done = sum(v[0] for v in per_kind.values())
    total = sum(v[1] for v in per_kind.values())
    print(f"Planted personal data ({args.planted})")
    for kind in sorted(per_kind):
        ok, n = per_kind[kind]
        print(f"  {kind:22s} {ok:4d}/{n:<4d} {100 * ok / n:6.1f}%")
    print(f"  {'overall':22s} {done:4d}/{total:<4d} {100 * done / total:6.1f}%  (target >= 98%)")
    unstable = [item for item in map(json.loads, Path(args.planted).read_text(encoding="utf-8").splitlines())
                if privacy.redact(privacy.redact(item["text"])) != privacy.redact(item["text"])]
    print(f"  redact(redact(x)) != redact(x) on {len(unstable)} planted items")
    for item in missed[:20]:
        print(f"  LEAK {item['kind']}: {item['redacted']!r} still has {item['secret']!r}")

    data = Path(args.data)
    rng = random.Random(args.seed)
    sample_all: list[str] = []
    print(f"\nReal sentences altered (sample of {args.per_set} per set from {data})")
    worst = 0.0
    for folder, name, column in DATASETS:
        path = data / folder / name
        if not path.exists():
            print(f"  {folder:24s} missing: {path} (download it as ../shared/data/README.md says, or pass --data)")
            continue
        sents = sentences(path, column)
        sample = rng.sample(sents, min(args.per_set, len(sents)))
        sample_all.extend(sample)
        altered = [(s, privacy.redact(s)) for s in sample]
        altered = [(s, r) for s, r in altered if s != r]
        unstable = sum(privacy.redact(r) != r for _, r in altered)
        share = 100 * len(altered) / len(sample)
        worst = max(worst, share)
        print(f"  {folder:24s} {len(altered):4d}/{len(sample):<5d} {share:5.2f}%  (target < 0.5%)"
              + (f"  NOT IDEMPOTENT: {unstable}" if unstable else ""))
        for s, r in altered[: args.examples]:
            print(f"      - {s[:160]!r}\n        > {r[:160]!r}")
    print(f"  worst set: {worst:.2f}%")

    if args.throughput and sample_all:
        chars = sum(map(len, sample_all))
        contenders = [("vocmine.core.privacy", privacy.redact)]
        if args.baseline:
            spec = importlib.util.spec_from_file_location("baseline_privacy", args.baseline)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            contenders.append((args.baseline, module.redact))
        best = {name: float("inf") for name, _ in contenders}
        for _ in range(3):  # interleaved, best of three: the machine may be busy
            for name, fn in contenders:
                fn("warm up 010-1234-5678")
                t0 = time.perf_counter()
                for s in sample_all:
                    fn(s)
                best[name] = min(best[name], time.perf_counter() - t0)
        print(f"\nThroughput over {len(sample_all)} sentences ({chars} chars), best of 3:")
        for name, dt in best.items():
            print(f"  {name:30s} {dt:.2f}s = {len(sample_all) / dt:,.0f} sentences/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
