"""Grow the taxonomy from the topics: propose categories for topics that fall in none, and write
the accepted ones into the workspace's own taxonomy file (checked before it replaces the old one).
"""
from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Any

from vocmine.core.resources import workspace_taxonomy

if TYPE_CHECKING:
    from vocmine.core.store import Store


def suggest_taxonomy(ws: "Store", taxonomy: Any = None, min_size: int = 5) -> list[dict[str, Any]]:
    """Return proposals for topics the taxonomy misses (most of their segments in no category):
    new keywords for an existing category when a minority of the topic already falls there,
    else a new category with the topic's keywords and example quotes. ``id`` is the topic id."""
    from vocmine.decide.categorize import label as cat_label

    conn = ws.db.conn
    tax = workspace_taxonomy(ws, taxonomy)
    known = {str(c["id"]) for c in tax["categories"]}
    existing_kw = {(str(c["id"]), lang): {str(w).lower() for w in ws_}
                   for c in tax["categories"] for lang, ws_ in (c.get("keywords") or {}).items()}
    out = []
    rows = conn.execute(
        "select id, coalesce(custom_label, label), language, keywords, size from topics "
        "where status = 'active' and size >= ? order by size desc, id", (min_size,)).fetchall()
    for tid, label, lang, kw, size in rows:
        cats = Counter(dict(conn.execute(
            "select sc.category, count(*) from segment_topics st join topics t on t.id = st.topic_id "
            "left join segment_categories sc on sc.segment_id = st.segment_id "
            "where coalesce(t.merged_into, st.topic_id) = ? group by 1", (tid,)).fetchall()))
        total = sum(cats.values())
        if not total or cats.get(None, 0) / total <= 0.5:
            continue
        keywords = [w for w in json.loads(kw or "[]") if w][:6]
        examples = [t for (t,) in conn.execute(
            "select s.text from segment_topics st join topics t on t.id = st.topic_id "
            "join segments s on s.id = st.segment_id where coalesce(t.merged_into, st.topic_id) = ? "
            "order by st.score desc limit 3", (tid,))]
        placed = [(c, n) for c, n in cats.most_common() if c is not None and c in known]
        base = {"id": tid, "topic_id": tid, "topic": label, "language": lang, "size": size,
                "uncategorized_share": round(cats.get(None, 0) / total, 3), "examples": examples}
        if placed and placed[0][1] / total >= 0.15:
            cat = placed[0][0]
            new_kw = [w for w in keywords if w.lower() not in existing_kw.get((cat, lang), set())]
            if not new_kw:
                continue
            out.append({**base, "action": "add_keywords", "category": cat,
                        "category_label": cat_label(tax, cat, lang), "keywords": new_kw})
        else:
            cid = _category_id(label, keywords, tid, known)
            out.append({**base, "action": "new_category", "category": cid,
                        "category_label": label or cid, "keywords": keywords})
    return out


def _category_id(label: str | None, keywords: list[str], tid: int, known: set[str]) -> str:
    import re

    words = re.findall(r"[a-z0-9]+", (label or "").lower())
    base = "_".join(words[:4]) or f"topic_{tid}"
    cid, n = base, 2
    while cid in known:
        cid, n = f"{base}_{n}", n + 1
    return cid


def accept_taxonomy(ws: "Store", ids: list[int], file: Any = None, taxonomy: Any = None) -> dict[str, Any]:
    """Write the proposals for topic ``ids`` into a taxonomy YAML (``file``, else the workspace's
    accepted copy, else a copy of the default beside the workspace); returns {file, accepted}.

    The file is checked with ``load_taxonomy`` before it replaces the old one, its version goes
    up by one (so segments are categorised again) and the workspace remembers it.
    """
    import os
    from pathlib import Path

    import yaml

    from vocmine.core.errors import ConfigError
    from vocmine.core.resources import data_path, load_taxonomy

    proposals = {p["id"]: p for p in suggest_taxonomy(ws, taxonomy)}
    missing = [i for i in ids if int(i) not in proposals]
    if missing:
        raise ConfigError(f"no taxonomy suggestion for topic(s) {', '.join(map(str, missing))}; "
                          f"see 'vocmine taxonomy suggest' (suggested: {', '.join(map(str, proposals)) or 'none'})")
    path = Path(file or ws.setting("taxonomy_path") or Path(ws.path).resolve().parent / "taxonomy.yaml")
    src = path if path.exists() else data_path("taxonomy") / "default.yaml"
    load_taxonomy(src)  # a broken file is refused before anything is written
    doc = yaml.safe_load(src.read_text(encoding="utf-8"))
    cats = {str(c["id"]): c for c in doc["categories"]}
    done = []
    for i in ids:
        p = proposals[int(i)]
        lang = p["language"]
        if p["action"] == "add_keywords":
            cat = cats[p["category"]]
            kws = cat.setdefault("keywords", {}).setdefault(lang, [])
            kws.extend(w for w in p["keywords"] if w not in kws)
        else:
            cat = cats.get(p["category"])
            if cat is None:
                cat = {"id": p["category"], "label": {lang: p["category_label"]}, "keywords": {lang: []},
                       "examples": {lang: []}}
                doc["categories"].append(cat)
                cats[p["category"]] = cat
            kws = cat.setdefault("keywords", {}).setdefault(lang, [])
            kws.extend(w for w in p["keywords"] if w not in kws)
            exs = cat.setdefault("examples", {}).setdefault(lang, [])
            exs.extend(e for e in p["examples"] if e not in exs)
        done.append({"id": p["id"], "action": p["action"], "category": p["category"]})
    try:
        doc["version"] = int(doc.get("version", 1)) + 1
    except (TypeError, ValueError):
        doc["version"] = f"{doc.get('version')}.1"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("# vocmine taxonomy (schema: taxonomy/README.md); edited by 'vocmine taxonomy accept'\n"
                   + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100), encoding="utf-8")
    try:
        load_taxonomy(tmp)
    except ConfigError:
        tmp.unlink()
        raise
    os.replace(tmp, path)
    ws.set_setting("taxonomy_path", str(path.resolve()))
    return {"file": str(path), "accepted": done, "version": doc["version"]}
