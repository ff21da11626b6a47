"""Analysing in worker processes gives exactly what analysing in this process gives."""
from __future__ import annotations

from conftest import FIXTURES

import vocmine
from vocmine.understand import analyze as analyze_mod


def _build(path, monkeypatch, workers: str):
    monkeypatch.setenv("VOCMINE_WORKERS", workers)
    monkeypatch.setattr(analyze_mod, "POOL_MIN_ROWS", 10)
    ws = vocmine.open(path)
    ws.ingest(FIXTURES / "restaurant_reviews.csv", text="text", id="id", rating="rating", created_at="created_at",
              lang="en", source="en")
    ws.ingest(FIXTURES / "delivery_app_ko.csv", text="text", id="id", rating="rating", created_at="created_at",
              lang="ko", source="ko")
    res = analyze_mod.analyze(ws, batch_size=8)  # several batches: the workers take turns
    rows = ws.db.conn.execute(
        "select m.feedback_id, m.start, m.end, m.variant, p.phrase, p.aspect, p.opinion, p.group_id "
        "from phrase_mentions m join phrases p on p.id = m.phrase_id order by m.feedback_id, m.start").fetchall()
    segs = ws.db.conn.execute("select feedback_id, idx, text, sentiment, complaint from segments order by 1, 2"
                              ).fetchall()
    ws.close()
    return res.as_dict(), rows, segs


def test_workers_match_in_process(tmp_path, monkeypatch):
    started = []
    real = analyze_mod._row_pool
    monkeypatch.setattr(analyze_mod, "_row_pool", lambda *a: started.append(real(*a)) or started[-1])
    inline = _build(tmp_path / "a.db", monkeypatch, "1")
    assert started == [None]
    pooled = _build(tmp_path / "b.db", monkeypatch, "2")
    assert started[-1] is not None  # the second run did use workers
    assert inline[1] and any(r[5] for r in inline[1]), "the fixtures have phrases with aspects"
    assert {r[4] for r in inline[1]} & {"배달이 늦다", "앱이 꺼지다"} or any("앱" in r[4] for r in inline[1])
    assert pooled == inline


def test_pool_is_only_used_for_large_backlogs(monkeypatch):
    from vocmine.understand.sentiment import get_sentiment

    model = get_sentiment(None)
    monkeypatch.setenv("VOCMINE_WORKERS", "2")
    rows = [(i, "text", "en", None, None, "h") for i in range(50)]
    assert analyze_mod._row_pool(rows, model, None, None) is None  # below POOL_MIN_ROWS
    assert analyze_mod._row_pool(rows * 100, model, "/some/transformers/dir", None) is None  # torch stays here
    monkeypatch.setenv("VOCMINE_WORKERS", "0")
    assert analyze_mod._row_pool(rows * 100, model, None, None) is None
    monkeypatch.setenv("VOCMINE_WORKERS", "many")
    assert analyze_mod._row_pool(rows, model, None, None) is None
