"""Topic families span languages: one cause (a bilingual taxonomy category) is one family of English
and Korean topics, shown once in the weekly report with both languages' counts and quotes."""
import re

import numpy as np
import pytest

from vocmine import load_taxonomy
from vocmine.decide.families import refresh

DIM = 16
WEEK, PREVIOUS = "2026-W38", "2026-W37"
DAYS = {WEEK: ("2026-09-14", "2026-09-20"), PREVIOUS: ("2026-09-07", "2026-09-13")}

# (topic id, language, label, category of its segments, basis vector, texts this week, texts the week before)
TOPICS = [
    (1, "en", "late delivery", "delivery", 0, ["The delivery was two weeks late", "Shipping took forever here"],
     ["Parcel arrived a week late"]),
    (2, "en", "runs small", "size_fit", 1, ["These shoes run a size small", "Runs small, order one size up"], []),
    (3, "en", "too tight", "size_fit", 2, ["Way too tight in the shoulders"], ["Too tight around the waist"]),
    (4, "ko", "배송이 늦다", "delivery", 0, ["배송이 너무 늦어요", "택배가 일주일 넘게 걸렸어요", "배송 지연이 심해요"],
     ["배송이 늦게 왔어요"]),
    (5, "ko", "사이즈가 작다", "size_fit", 1, ["사이즈가 생각보다 작아요"], ["한 치수 크게 주문하세요"]),
    # Complaints no category takes: families by centroid, per language (6 and 7 alike; 9 and 10 alike).
    (6, "en", "app crashes", None, 5, ["The app crashes when I open the cart"], []),
    (7, "en", "app freezes", None, 5, ["The app freezes on the cart page"], []),
    (8, "en", "colour faded", None, 7, ["The colour faded after one wash"], []),
    (9, "ko", "앱이 멈춘다", None, 5, ["앱이 장바구니에서 멈춰요"], []),
    (10, "ko", "앱이 꺼진다", None, 5, ["장바구니 열면 앱이 꺼져요"], []),
    (11, "ko", "색이 바랜다", None, 7, ["한 번 빨았더니 색이 바랬어요"], []),
]


def _vector(axis: int, tid: int) -> bytes:
    v = np.zeros(DIM, np.float32)
    v[axis] = 1.0
    v[(axis + 1 + tid) % DIM] += 0.01 * tid  # alike, never equal
    return v.tobytes()


def _add_feedback(conn, fid: int, lang: str, text: str, created: str, category: str | None, tid: int) -> None:
    conn.execute("insert into feedback (id, source, external_id, text, language, created_at, ingested_at) "
                 "values (?, 'shop', ?, ?, ?, ?, '2026-09-21T00:00:00Z')", (fid, f"r{fid}", text, lang, created))
    conn.execute("insert into segments (id, feedback_id, idx, text, language, complaint) values (?, ?, 0, ?, ?, 1)",
                 (fid, fid, text, lang))
    conn.execute("insert into segment_categories (segment_id, category, score, method, taxonomy) "
                 "values (?, ?, 1.0, 'keyword', 'consumer-products@1')", (fid, category))
    conn.execute("insert into segment_topics (segment_id, topic_id, score, method) values (?, ?, 0.9, 'fit')",
                 (fid, tid))


def _add_topic(conn, tid: int, lang: str, label: str, axis: int) -> None:
    # The team's label (custom_label): the stage's own labels come from phrases, which this workspace lacks.
    conn.execute("insert into topics (id, language, label, custom_label, size, centroid, embedder, status, "
                 "created_at, updated_at) values (?, ?, ?, ?, 0, ?, ?, 'active', '2026-09-21T00:00:00Z', "
                 "'2026-09-21T00:00:00Z')", (tid, lang, label, label, _vector(axis, tid), f"fake:{lang}"))


@pytest.fixture
def families(ws):
    """English and Korean complaints about delivery and size & fit (and some no category takes),
    over two whole weeks, in topics as the topic stage leaves them; families built by ``refresh``."""
    conn = ws.db.conn
    fid = 0
    with conn:
        for tid, lang, label, cat, axis, now, before in TOPICS:
            _add_topic(conn, tid, lang, label, axis)
            for week, texts in ((WEEK, now), (PREVIOUS, before)):
                for i, text in enumerate(texts):
                    fid += 1
                    day = DAYS[week][i % 2]
                    _add_feedback(conn, fid, lang, text, f"{day}T{10 + i:02d}:00:00Z", cat, tid)
        refresh(ws, load_taxonomy())
    return ws


def _family(conn, tid: int):
    return conn.execute("select p.id, p.language, p.label, p.category from topics t join topics p on p.id = t.parent_id "
                        "where t.id = ?", (tid,)).fetchone()


def test_one_family_per_cause_across_languages(families):
    conn = families.db.conn
    delivery, size = _family(conn, 1), _family(conn, 2)
    assert delivery is not None and _family(conn, 4) == delivery
    assert _family(conn, 3) == size and _family(conn, 5) == size and size != delivery
    assert delivery[1:] == ("mixed", "Delivery / 배송", "delivery")
    assert size[1:] == ("mixed", "Size & fit / 사이즈·핏", "size_fit")
    # Topics stay per language underneath.
    kids = dict(conn.execute("select id, language from topics where parent_id = ? order by id", (size[0],)))
    assert kids == {2: "en", 3: "en", 5: "ko"}


def test_families_stay_per_language_where_no_category_is_shared(families):
    conn = families.db.conn
    en, ko = _family(conn, 6), _family(conn, 9)
    assert en is not None and ko is not None and en[0] != ko[0]
    assert _family(conn, 7) == en and _family(conn, 10) == ko
    assert en[1] == "en" and ko[1] == "ko" and en[3] is None and ko[3] is None
    assert _family(conn, 8) is None and _family(conn, 11) is None  # unlike the others: on their own


def test_no_family_is_named_by_a_category_id(families):
    conn = families.db.conn
    ids = {c["id"] for c in load_taxonomy()["categories"]}
    # A taxonomy without labels: the family falls back to its biggest children's labels, per language.
    bare = {"name": "bare", "version": 1, "languages": ["en", "ko"],
            "categories": [{"id": "delivery"}, {"id": "size_fit", "label": {}}]}
    with conn:
        refresh(families, bare)
    labels = [r[0] for r in conn.execute("select label from topics where status = 'parent'")]
    assert labels and not any(lb in ids or re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", lb) for lb in labels), labels
    assert _family(conn, 1)[2] == "late delivery / 배송이 늦다"
    for lang in ("en", "ko"):
        for tp in families.weekly_data(WEEK, lang=lang)["topics"]:
            assert tp["label"] not in ids and tp["label"] not in {"delivery", "size_fit"}, tp
            assert tp["category_label"] != tp["category"] or tp["category"] is None, tp


def test_family_ids_stay_across_refreshes_and_a_new_topic(families):
    conn = families.db.conn
    before = {t: _family(conn, t)[0] for t in (1, 2, 6, 9)}
    with conn:
        refresh(families, load_taxonomy())
    assert {t: _family(conn, t)[0] for t in (1, 2, 6, 9)} == before
    # A new English delivery topic joins the family, which keeps its id.
    with conn:
        _add_topic(conn, 100, "en", "damaged box", 3)
        _add_feedback(conn, 900, "en", "The box arrived crushed and torn", "2026-09-15T09:00:00Z", "delivery", 100)
        refresh(families, load_taxonomy())
    assert _family(conn, 100)[0] == _family(conn, 4)[0] == before[1]
    assert conn.execute("select count(*) from topics where status = 'parent' and category = 'delivery'").fetchone()[0] == 1


def test_a_per_language_family_of_an_older_workspace_becomes_the_cross_language_one(ws):
    """A workspace whose delivery family was English only (as before) keeps that family's id."""
    conn = ws.db.conn
    with conn:
        for tid, lang, label, axis in ((1, "en", "late delivery", 0), (2, "en", "slow shipping", 0),
                                       (3, "ko", "배송이 늦다", 0)):
            _add_topic(conn, tid, lang, label, axis)
            _add_feedback(conn, tid, lang, f"{label} again and again", "2026-09-15T10:00:00Z", "delivery", tid)
        old = conn.execute("insert into topics (language, label, status, category) values "
                           "('en', 'Delivery', 'parent', 'delivery')").lastrowid
        conn.execute("update topics set parent_id = ? where id in (1, 2)", (old,))
        refresh(ws, load_taxonomy())
    assert _family(conn, 1)[0] == _family(conn, 3)[0] == old
    assert _family(conn, 3)[1:3] == ("mixed", "Delivery / 배송")


def test_weekly_report_lists_each_cause_once_with_both_languages(families, tmp_path):
    ctx = families.weekly_data(WEEK)
    by_label = {}
    for tp in ctx["topics"]:
        assert tp["label"] not in by_label, [t["label"] for t in ctx["topics"]]
        by_label[tp["label"]] = tp
    delivery, size = by_label["Delivery / 배송"], by_label["Size & fit / 사이즈·핏"]
    assert delivery["languages"] == {"en": 2, "ko": 3} and delivery["volume"] == 5 and delivery["previous"] == 2
    assert size["languages"] == {"en": 3, "ko": 1} and size["volume"] == 4
    assert delivery["labels"] == {"en": "Delivery", "ko": "배송"} and delivery["category_label"] == "Delivery"
    for tp in (delivery, size):
        assert {q["lang"] for q in tp["quotes"]} == {"en", "ko"}, tp["quotes"]
        assert tp["quotes"][0]["lang"] == "en"  # the report's language first
    # The families no category takes stay apart, one per language.
    assert by_label["app crashes"]["languages"] == {"en": 2} and by_label["앱이 멈춘다"]["languages"] == {"ko": 2}

    # The Korean report names the causes in Korean (with the English beside them) and quotes Korean first.
    ko = {tp["label"]: tp for tp in families.weekly_data(WEEK, lang="ko")["topics"]}
    assert "배송 / Delivery" in ko and "사이즈·핏 / Size & fit" in ko and "Delivery / 배송" not in ko
    assert ko["배송 / Delivery"]["quotes"][0]["lang"] == "ko" and ko["배송 / Delivery"]["category_label"] == "배송"

    paths = families.report(tmp_path / "reports", WEEK)
    md = paths["md"].read_text(encoding="utf-8")
    rows = [line for line in md.splitlines() if line.startswith("| ") and "Delivery" in line]
    assert len(rows) == 1 and "English 2 · Korean 3" in rows[0] and "| Delivery |" in rows[0], rows
    assert not re.search(r"\| (delivery|size\\?_fit) \|", md)
    html = paths["html"].read_text(encoding="utf-8")
    assert html.count("<h3>Delivery / 배송</h3>") == 1 and "English 2 · Korean 3" in html
    assert all(q["text"] in html for q in delivery["quotes"] + size["quotes"])
    paths = families.report(tmp_path / "ko", WEEK, lang="ko")
    md = paths["md"].read_text(encoding="utf-8")
    assert "| 배송 / Delivery | 배송 | 5 | 영어 2 · 한국어 3 |" in md, md


def test_changelog_names_a_mixed_family_per_language_with_the_teams_labels(families):
    """The "you said" pages name what customers said by its family: per language, the team's
    rename of a family that spans languages wins over the taxonomy's name."""
    from vocmine.act.entries import _topic_names
    from vocmine.decide.topic_edits import apply_rename

    conn = families.db.conn
    delivery = _family(conn, 1)
    assert delivery[1] == "mixed"
    segs = {lang: [s for (s,) in conn.execute(
        "select s.id from segments s join segment_categories c on c.segment_id = s.id "
        "where c.category = 'delivery' and s.language = ?", (lang,))] for lang in ("en", "ko")}
    fids = {1: {"language": "en", "segments": segs["en"]}, 2: {"language": "ko", "segments": segs["ko"]}}
    names = _topic_names(conn, fids)
    assert names["en"] == {"en": "Delivery", "ko": "배송"}  # the taxonomy's, never "Delivery / 배송"
    with conn:
        apply_rename(conn, delivery[0], "택배 지연", lang="ko")
    assert _topic_names(conn, fids)["ko"] == {"en": "Delivery", "ko": "택배 지연"}
    with conn:
        apply_rename(conn, delivery[0], "Shipping delays")  # the family's own label: every language
    assert _topic_names(conn, fids)["en"] == {"en": "Shipping delays", "ko": "택배 지연"}
