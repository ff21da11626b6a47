"""A feedback file with every kind of trouble the ingest handles, and a snapshot of what an ingest
stored, for the tests that check that where the ingest's redaction runs changes nothing
(tests/collect/test_ingest_finisher.py, tests/jobs/test_ingest_map.py)."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

TABLES = {
    "feedback": "source, external_id, kind, author, title, text, rating, rating_scale, nps, csat, language, "
                "created_at, product, url, raw, content_hash, norm_hash, duplicate_of",
    "rejects": "id, source, file, row, field, action, reason, raw",
    "contacts": "author, source, contact, consent, feedback_id",
}


def write_messy_jsonl(path: Path, n: int = 400) -> Path:
    """``n`` JSONL records (English and Korean) with personal data in text, title, URL and author;
    repeated ids, rows without ids (some identical), empty and non-text texts, Excel errors, bad
    ratings and dates, lists where one value belongs, contacts good and bad; and a broken line."""
    texts = ["Great fit but heavier than expected, call me at 010-1234-{i:04d}",
             "배송이 생각보다 늦어요. 연락처 010-9876-{i:04d} 김민수",
             "Mail jane.doe{i}@example.com, the zipper broke after a week",
             "좋아요 좋아요 정말 좋아요",
             "The same short review"]
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            r: dict = {"id": f"m{i % (n - 20)}", "text": texts[i % len(texts)].format(i=i),
                       "rating": [5, "4", "bad", None, 11, "3/5"][i % 6],
                       "author": ["Kim Minsu", "#N/A", ["a", "b"], "", "Jane Doe", "김민수"][i % 6],
                       "email": ["kim@example.com", "not a contact", "", "010-2222-3333"][i % 4],
                       "created": ["2026-01-0{}".format(1 + i % 9), "garbage", ""][i % 3],
                       "url": f"https://shop.example/p/{i}?email=kim{i}@example.com",
                       "title": ["Title by Jane Doe", "#REF!", None, {"x": 1}][i % 4]}
            if i % 37 == 0:
                r["text"] = ""
            if i % 41 == 0:
                r["text"] = ["a", "list"]
            if i % 43 == 0:
                r["text"] = "#VALUE!"
            if i % 47 == 0:
                r["text"] = 12.5
            if i % 7 == 0:
                r.pop("id")
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
            if i == n // 2:
                f.write("{a broken line\n")
    return path


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """What an ingest stored, without the ids, times and run numbers that differ between runs."""
    conn = sqlite3.connect(db)
    try:
        return {t: conn.execute(f"select {cols} from {t} order by {cols}").fetchall() for t, cols in TABLES.items()}
    finally:
        conn.close()
