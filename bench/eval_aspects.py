"""Aspect recall of the top complaint phrases, per domain, against the gold samples (issue 14).

    python bench/eval_aspects.py [--data ../shared/data] [--gold bench/gold] [--reviews 3000]
                                 [--domains clothing,food,...] [--top 50] [--english-model NAME]
                                 [--json] [--json-out FILE]

For each domain whose gold file ``bench/gold/<domain>.jsonl`` exists (a domain without one is
skipped, and the script says so):

1. Build a fresh workspace in a temporary folder from ``--reviews`` real reviews of the domain's
   public dataset (every review a gold sentence was drawn from, plus a seeded random sample of
   the rest), ingest it (not timed), run ``ws.analyze()`` (timed: reviews/s of the analyze step;
   the spaCy/Kiwi pipelines are loaded before the clock starts).
2. Take the top ``--top`` phrases, ``ws.phrases(limit=top)``, in vocmine's own order (distinct
   customers, then mentions; see ``vocmine.understand.analyze.phrases`` and ``understand.phrases.rank``).
3. Criticised aspects: gold aspects with polarity "neg" in sentences labelled ``complaint``,
   counted once per sentence; those with >= 5 such sentences (the issue's threshold) and, as a
   second, clearly labelled column, >= 3 (200 gold sentences give few aspects with 5).
4. Recall: the share of criticised aspects *named* by the top phrases. A phrase names an aspect
   when the phrase contains the aspect's canonical name, or the nouns of one of its gold
   surfaces (a surface with no noun, such as "runs small" or "very big" for fit, names nothing:
   opinion words are not the aspect's name):
   - English: compared on lower-cased lemmas (``spacy.blank("en")`` with the lookup lemmatizer),
     as a contiguous run of tokens; leading determiners/possessives of a surface are dropped
     ("the zip" -> "zip"); a surface's nouns are the NN* tokens of the English tagger when one is
     installed.
   - Korean: compared on the noun stems (Kiwi's NN*/XR/SL/SH morphemes; a run of them, so
     "고객센터" and "고객 센터" are the same); a term with no noun falls back to its words with a
     trailing particle stripped.
5. Baseline: ``sklearn`` ``CountVectorizer(ngram_range=(1, 3))`` (English stop words removed for
   English) over the complaint texts of the same sampled reviews (ratings 1-2 of 5, 1-4 of 10 for
   NSMC, the "negative" half of a hotel review, every BANKING77 query), top ``--top`` n-grams by
   count. Scored with exactly the same matching rule.
6. A stricter column: the same recall at K >= 5 when only the canonical aspect name counts.
7. A second baseline column: the same CountVectorizer with ``ngram_range=(2, 3)`` (phrases of
   two or three words, no single words).

Prints one row per domain, then per domain the criticised aspects and which phrase or n-gram
named each, so a human can check. ``--json`` prints all of it as JSON instead.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import vocmine  # noqa: E402

HERE = Path(__file__).resolve().parent
DOMAINS = ("clothing", "food", "hotels", "banking", "shop_ko", "movies_ko")
THRESHOLDS = (5, 3)


# -- the domains -----------------------------------------------------------------------------

def _rating(r: dict) -> float | None:
    try:
        return float(r["rating"])
    except (KeyError, TypeError, ValueError):
        return None


def _rated(bad: float) -> Callable[[dict], str]:
    return lambda r: r["text"] if (_rating(r) is not None and _rating(r) <= bad) else ""


SPECS: dict[str, dict] = {
    # file, language, id column (None: row number, as bench/gold/sample.py numbers BANKING77),
    # rating scale (None: no rating), and the complaint text of a review for the n-gram baseline
    "clothing": dict(file="womens_clothing_reviews/reviews.csv", lang="en", id="review_id", scale=5,
                     complaint=_rated(2)),
    "food": dict(file="amazon_fine_food/reviews.csv", lang="en", id="review_id", scale=5, complaint=_rated(2)),
    "hotels": dict(file="hotel_reviews_europe/reviews.csv", lang="en", id="review_id", scale=10,
                   complaint=lambda r: r.get("negative") or ""),
    "banking": dict(file="banking77/banking77.csv", lang="en", id=None, scale=None, complaint=lambda r: r["text"]),
    "shop_ko": dict(file="naver_shopping_3k/reviews.csv", lang="ko", id="review_id", scale=5, complaint=_rated(2)),
    "movies_ko": dict(file="nsmc/nsmc_reviews_50k.csv", lang="ko", id="review_id", scale=10, complaint=_rated(4)),
}


def load_gold(path: Path) -> tuple[list[dict], int]:
    """Return (labelled rows, rows without labels yet)."""
    rows, unlabelled = [], 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            if "complaint" not in r or "aspects" not in r:
                unlabelled += 1
                continue
            rows.append(r)
    return rows, unlabelled


def criticised(gold: list[dict]) -> tuple[Counter, dict[str, set[str]]]:
    """Return (negative complaint-sentence count per aspect, surfaces per aspect)."""
    counts: Counter = Counter()
    surfaces: dict[str, set[str]] = {}
    for r in gold:
        for a in r["aspects"]:
            name = (a.get("aspect") or "").strip().lower()
            if not name:
                continue
            surfaces.setdefault(name, set())
            if a.get("surface"):
                surfaces[name].add(a["surface"].strip())
        if not r["complaint"]:
            continue
        for name in {(a.get("aspect") or "").strip().lower() for a in r["aspects"] if a.get("polarity") == "neg"}:
            if name:
                counts[name] += 1
    return counts, surfaces


def sample_reviews(data: Path, domain: str, gold: list[dict], n: int, seed: int) -> list[dict]:
    spec = SPECS[domain]
    with open(data / spec["file"], encoding="utf-8", newline="") as f:
        rows = []
        for i, r in enumerate(csv.DictReader(f)):
            r["_id"] = str(i) if spec["id"] is None else r[spec["id"]]
            if (r.get("text") or "").strip():
                rows.append(r)
    wanted = {str(g["source_id"]) for g in gold}
    picked = [r for r in rows if r["_id"] in wanted]
    rest = [r for r in rows if r["_id"] not in wanted]
    rng = random.Random(f"{seed}:{domain}")
    picked += rng.sample(rest, max(0, min(len(rest), n - len(picked))))
    rng.shuffle(picked)
    missing = wanted - {r["_id"] for r in picked}
    if missing:
        print(f"  warning: {domain}: {len(missing)} gold source ids not found in {spec['file']}", file=sys.stderr)
    return picked


# -- matching --------------------------------------------------------------------------------

DETERMINERS = {"the", "a", "an", "this", "that", "these", "those", "my", "our", "your", "their", "its", "his",
               "her", "some", "any"}
KO_PARTICLES = sorted(["이", "가", "은", "는", "을", "를", "도", "만", "의", "에", "에서", "로", "으로", "과", "와",
                       "이랑", "랑", "까지", "부터", "보다", "처럼", "에게", "한테", "이나", "나", "이요", "요"],
                      key=len, reverse=True)


class Matcher:
    """One rule for vocmine's phrases and the baseline's n-grams: does a phrase name an aspect?"""

    def __init__(self, lang: str):
        self.lang = lang
        self._cache: dict[tuple[str, bool | str], tuple[tuple[str, ...], ...]] = {}
        if lang == "en":
            import spacy

            self.nlp = spacy.blank("en")
            self.nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
            self.nlp.initialize()
            from vocmine.understand.phrases import english_parser

            self.tagger = english_parser()
        else:
            from vocmine.understand.nlp import get_kiwi

            self.kiwi = get_kiwi()

    def keys(self, text: str, term: bool | str = False) -> tuple[tuple[str, ...], ...]:
        """Token sequences that stand for ``text`` (one, or two for Korean: nouns, stripped words)."""
        k = (text, term)
        if k not in self._cache:
            self._cache[k] = self._keys(text, term)
        return self._cache[k]

    def _keys(self, text: str, term: bool | str) -> tuple[tuple[str, ...], ...]:
        if self.lang == "en":
            if term == "surface":
                if self.tagger is None:
                    return ()
                nouns = " ".join(t.text for t in self.tagger(text) if t.tag_.startswith("NN"))
                if not nouns:
                    return ()
                text = nouns
            toks = [t.lemma_.lower() or t.text for t in self.nlp(text.lower()) if not (t.is_punct or t.is_space)]
            if term:
                while toks and toks[0] in DETERMINERS:
                    toks = toks[1:]
            return (tuple(toks),)
        nouns = tuple(t.form for t in self.kiwi.tokenize(text)
                      if t.tag.startswith("NN") or t.tag in ("XR", "SL", "SH"))
        words = tuple(_strip_particle(w) for w in text.split())
        if term == "surface":
            return (nouns, ()) if nouns else ()
        return (nouns, words) if not term or nouns else ((), words)

    def names(self, phrase: str, terms: list[str]) -> bool:
        """Whether ``phrase`` names ``terms[0]`` (the canonical name) or a noun surface in ``terms[1:]``."""
        p = self.keys(phrase)
        for n, term in enumerate(terms):
            for which, t in enumerate(self.keys(term, term=True if n == 0 else "surface")):
                if t and which < len(p) and _contains(p[which], t, joined=self.lang == "ko"):
                    return True
        return False


def _strip_particle(word: str) -> str:
    word = word.strip(".,!?~…\"'()[]")
    for p in KO_PARTICLES:
        if word.endswith(p) and len(word) > len(p):
            return word[: -len(p)]
    return word


def _contains(seq: tuple[str, ...], sub: tuple[str, ...], joined: bool) -> bool:
    n = len(sub)
    if any(seq[i:i + n] == sub for i in range(len(seq) - n + 1)):
        return True
    if joined:  # Korean compounds: 고객센터 == 고객 센터
        want = "".join(sub)
        return any("".join(seq[i:j]) == want for i in range(len(seq)) for j in range(i + 1, len(seq) + 1))
    return False


def named_by(matcher: Matcher, aspects: list[str], surfaces: dict[str, set[str]],
             phrases: list[str]) -> dict[str, str | None]:
    """Return, per aspect, the first (best-ranked) phrase that names it, or None."""
    out: dict[str, str | None] = {}
    for a in aspects:
        terms = [a, *sorted(surfaces.get(a, ()))]
        out[a] = next((p for p in phrases if matcher.names(p, terms)), None)
    return out


# -- the two systems -------------------------------------------------------------------------

def run_vocmine(domain: str, reviews: list[dict], top: int, english_model: str | None) -> dict:
    spec = SPECS[domain]
    with tempfile.TemporaryDirectory(prefix=f"eval-aspects-{domain}-") as tmp:
        path = Path(tmp) / f"{domain}.csv"
        with open(path, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "text", "rating"] if spec["scale"] else ["id", "text"])
            for r in reviews:
                w.writerow([r["_id"], r["text"], r["rating"]] if spec["scale"] else [r["_id"], r["text"]])
        ws = vocmine.open(Path(tmp) / "w.db")
        try:
            kw = dict(text="text", id="id", source=domain)
            if spec["scale"]:
                kw.update(rating="rating", rating_scale=spec["scale"])
            ing = ws.ingest(path, **kw)
            # load the pipelines before the clock starts (they are cached per process)
            from vocmine.understand.nlp import get_english, get_kiwi

            from vocmine.understand.phrases import english_parser

            if spec["lang"] == "en":
                get_english(english_model)
                english_parser()
            else:
                get_kiwi()
            t0 = time.perf_counter()
            res = ws.analyze(english_model=english_model)
            seconds = time.perf_counter() - t0
            df = ws.phrases(limit=top)
            phrases = [str(p) for p in df["phrase"]]
            customers = [int(c) for c in df["customers"]]
        finally:
            ws.close()
    return {"ingested": ing.inserted, "analyze": res.as_dict(), "seconds": round(seconds, 2),
            "reviews_per_s": round(len(reviews) / seconds, 1) if seconds else None,
            "phrases": phrases, "customers": customers}


def run_ngrams(domain: str, reviews: list[dict], top: int, sizes: tuple[int, int] = (1, 3)) -> tuple[list[str], int]:
    from sklearn.feature_extraction.text import CountVectorizer

    spec = SPECS[domain]
    texts = [t for t in (spec["complaint"](r) for r in reviews) if t.strip()]
    vec = CountVectorizer(ngram_range=sizes, stop_words="english" if spec["lang"] == "en" else None)
    counts = vec.fit_transform(texts).sum(axis=0).A1
    vocab = vec.get_feature_names_out()
    order = sorted(range(len(vocab)), key=lambda i: (-counts[i], vocab[i]))
    return [str(vocab[i]) for i in order[:top]], len(texts)


# -- main ------------------------------------------------------------------------------------

def evaluate(domain: str, args) -> dict | None:
    gold_path = args.gold / f"{domain}.jsonl"
    if not gold_path.exists():
        print(f"skip {domain}: no gold file {gold_path}", file=sys.stderr)
        return None
    if not (args.data / SPECS[domain]["file"]).exists():
        print(f"skip {domain}: no data file {args.data / SPECS[domain]['file']}", file=sys.stderr)
        return None
    gold, unlabelled = load_gold(gold_path)
    if unlabelled:
        print(f"  note: {domain}: {unlabelled} gold lines have no labels yet and are ignored", file=sys.stderr)
    lang = SPECS[domain]["lang"]
    counts, surfaces = criticised(gold)
    reviews = sample_reviews(args.data, domain, gold, args.reviews, args.seed)
    print(f"  {domain}: {len(reviews)} reviews, analysing...", file=sys.stderr)
    voc = run_vocmine(domain, reviews, args.top, args.english_model if lang == "en" else None)
    grams, n_complaint_texts = run_ngrams(domain, reviews, args.top)
    grams23, _ = run_ngrams(domain, reviews, args.top, (2, 3))
    matcher = Matcher(lang)
    out = {"domain": domain, "lang": lang, "reviews": len(reviews), "gold_sentences": len(gold),
           "gold_unlabelled": unlabelled, "gold_complaints": sum(bool(r["complaint"]) for r in gold),
           "baseline_texts": n_complaint_texts, "vocmine": voc, "ngrams": grams, "ngrams23": grams23,
           "thresholds": {}}
    for k in THRESHOLDS:
        aspects = sorted((a for a, n in counts.items() if n >= k), key=lambda a: (-counts[a], a))
        v = named_by(matcher, aspects, surfaces, voc["phrases"])
        b = named_by(matcher, aspects, surfaces, grams)
        # stricter second look: the canonical name only (gold surfaces can hold opinion words, "tight" for fit)
        vc = named_by(matcher, aspects, {}, voc["phrases"])
        bc = named_by(matcher, aspects, {}, grams)
        b23 = named_by(matcher, aspects, surfaces, grams23)
        out["thresholds"][str(k)] = {
            "aspects": [{"aspect": a, "neg_mentions": counts[a], "surfaces": sorted(surfaces.get(a, ())),
                         "vocmine": v[a], "ngram": b[a], "vocmine_canonical": vc[a], "ngram_canonical": bc[a]}
                        for a in aspects],
            "n": len(aspects),
            "vocmine_named": sum(x is not None for x in v.values()),
            "ngram_named": sum(x is not None for x in b.values()),
            "vocmine_named_canonical": sum(x is not None for x in vc.values()),
            "ngram_named_canonical": sum(x is not None for x in bc.values()),
            "ngram23_named": sum(x is not None for x in b23.values()),
        }
    return out


def _pct(named: int, n: int) -> str:
    return f"{named}/{n} {named / n:4.0%}" if n else "  -/0    "


def print_table(results: list[dict], args) -> None:
    print(f"\naspect recall of the top {args.top}: vocmine phrases vs CountVectorizer 1-3-grams "
          f"(gold: bench/gold/<domain>.jsonl; criticised = negative in >= K complaint sentences)")
    head = (f"{'domain':<10}{'lang':<5}{'reviews':>8}{'gold':>6}{'compl':>6}{'phr':>5} | "
            f"{'K>=5: n':>8}{'vocmine':>11}{'n-gram':>11} | {'K>=3: n':>8}{'vocmine':>11}{'n-gram':>11} | "
            f"{'K>=5 name only':>22} | {'2-3-gram':>9} | {'analyze rev/s':>13}")
    print(head)
    print("-" * len(head))
    for r in results:
        t5, t3 = r["thresholds"]["5"], r["thresholds"]["3"]
        print(f"{r['domain']:<10}{r['lang']:<5}{r['reviews']:>8}{r['gold_sentences']:>6}{r['gold_complaints']:>6}"
              f"{len(r['vocmine']['phrases']):>5} | {t5['n']:>8}{_pct(t5['vocmine_named'], t5['n']):>11}"
              f"{_pct(t5['ngram_named'], t5['n']):>11} | {t3['n']:>8}{_pct(t3['vocmine_named'], t3['n']):>11}"
              f"{_pct(t3['ngram_named'], t3['n']):>11} | {_pct(t5['vocmine_named_canonical'], t5['n']):>11}"
              f"{_pct(t5['ngram_named_canonical'], t5['n']):>11} | {_pct(t5['ngram23_named'], t5['n']):>9} | "
              f"{r['vocmine']['reviews_per_s']:>13,.0f}")
    print("columns: gold = labelled gold sentences, compl = those labelled complaint, phr = phrases vocmine "
          f"returned (at most {args.top}); K>=5 is the issue's measure, K>=3 a looser second look; "
          "'name only' = K>=5 matched on the canonical aspect name alone, without the gold surfaces "
          "(vocmine, n-gram); 2-3-gram = K>=5 for CountVectorizer(ngram_range=(2, 3))")
    for r in results:
        print(f"\n== {r['domain']} ({r['lang']}): criticised aspects (K>=3; * = also K>=5), "
              f"named by [vocmine phrase] / [n-gram]")
        for a in r["thresholds"]["3"]["aspects"]:
            star = "*" if a["neg_mentions"] >= 5 else " "
            only = "" if (a["vocmine"] is None or a["vocmine_canonical"]) else "  (vocmine by a surface only)"
            print(f"  {star} {a['aspect']:<26}{a['neg_mentions']:>3}  vocmine: {a['vocmine'] or '-':<24} "
                  f"n-gram: {a['ngram'] or '-':<18}{only}")
        voc = r["vocmine"]
        print(f"  vocmine top phrases ({len(voc['phrases'])}): "
              + ", ".join(f"{p} ({c})" for p, c in zip(voc["phrases"][:25], voc["customers"][:25]))
              + (" ..." if len(voc["phrases"]) > 25 else ""))
        print(f"  n-gram top ({len(r['ngrams'])}, over {r['baseline_texts']} complaint texts): "
              + ", ".join(r["ngrams"][:25]) + (" ..." if len(r["ngrams"]) > 25 else ""))
        print(f"  analyze: {voc['analyze']}, {voc['seconds']} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 epilog="Run from the repository root.")
    ap.add_argument("--data", type=Path, default=Path("../shared/data"), help="the shared data folder")
    ap.add_argument("--gold", type=Path, default=HERE / "gold", help="folder of <domain>.jsonl gold files")
    ap.add_argument("--domains", default=",".join(DOMAINS), help="comma-separated, of: " + ", ".join(DOMAINS))
    ap.add_argument("--reviews", type=int, default=3000, help="reviews per domain workspace (gold reviews included)")
    ap.add_argument("--top", type=int, default=50, help="phrases / n-grams compared")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--english-model", default=None,
                    help="spaCy pipeline for English segmentation (default: vocmine's, spacy.blank; the "
                         "tagger and parser for aspects are chosen by vocmine, VOCMINE_ENGLISH_PARSER)")
    ap.add_argument("--json", action="store_true", help="print JSON instead of the table")
    ap.add_argument("--json-out", type=Path, default=None, help="also write the JSON to this file")
    args = ap.parse_args()
    domains = [d.strip() for d in args.domains.split(",") if d.strip()]
    unknown = [d for d in domains if d not in SPECS]
    if unknown:
        ap.error(f"unknown domain(s): {', '.join(unknown)}")
    if not args.data.exists():
        ap.error(f"no data folder {args.data} (give --data)")
    results = [r for r in (evaluate(d, args) for d in domains) if r]
    meta = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "load_average_1m": round(os.getloadavg()[0], 2), "vocmine": vocmine.__version__,
            "english_model": args.english_model, "reviews": args.reviews, "top": args.top, "seed": args.seed,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    doc = json.dumps({"meta": meta, "domains": results}, ensure_ascii=False, indent=1)
    if args.json_out:
        args.json_out.write_text(doc + "\n", encoding="utf-8")
    if args.json:
        print(doc)
        return
    if not results:
        print("no domain evaluated (no gold files?)")
        return
    print_table(results, args)
    print(f"\n{meta['machine']}; load average {meta['load_average_1m']}; peak RSS of this process "
          f"{meta['peak_rss_mb']} MB; english segmentation: {args.english_model or 'default (spacy.blank + lookups)'}; "
          f"english parser: {os.environ.get('VOCMINE_ENGLISH_PARSER') or 'default (en_core_web_sm)'}")


if __name__ == "__main__":
    main()
