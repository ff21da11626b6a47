"""schema.org reviews out of a web page: JSON-LD (with ``@graph`` and nested products), microdata, RDFa.

Pure functions over an lxml tree, so they are tested without a crawl. Every syntax is turned into
the same shape (dicts with ``@type``, ``@id`` and properties, as JSON-LD has them); one walker then
finds ``Review`` nodes and the product they are about.
"""
from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable
from urllib.parse import urldefrag, urljoin

REVIEW_TYPES = {"Review", "UserReview", "CriticReview", "EmployerReview"}
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_HTML_COMMENT = re.compile(r"^\s*(?:<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)|(?:-->|//\s*\]\]>|\]\]>)\s*$")
_TAG = re.compile(r"<[^>]+>")
_WS = re.compile(r"\s+")


@dataclass
class PageReviews:
    """What one page holds: reviews (dicts, see ``review_dict``), the syntax they came from, problems."""

    reviews: list[dict[str, Any]] = field(default_factory=list)
    syntax: str = ""  # "json-ld", "microdata", "rdfa" or "" when none
    errors: list[str] = field(default_factory=list)  # markup that could not be read at all
    warnings: list[str] = field(default_factory=list)  # markup read after repairs, or a fallback syntax
    aggregate: dict[str, Any] | None = None


def clean_text(value: Any) -> str:
    """Return ``value`` as one line of text: tags dropped, entities decoded, spaces collapsed."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = " ".join(clean_text(v) for v in value)
    elif isinstance(value, dict):
        value = value.get("name") or value.get("@value") or ""
    s = str(value)
    if "<" in s:
        s = _TAG.sub(" ", s.replace("<br>", "\n").replace("<br/>", "\n").replace("<br />", "\n"))
    s = html.unescape(s)
    return _WS.sub(" ", s).strip()


def _short(t: Any) -> str:
    return str(t).rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].rsplit("#", 1)[-1]


def types_of(node: dict[str, Any]) -> set[str]:
    """Return the short schema.org type names of a node ("http://schema.org/Review" -> "Review")."""
    t = node.get("@type", ())
    if isinstance(t, str):
        t = t.split()
    return {_short(x) for x in t if x}


def _first(value: Any) -> Any:
    while isinstance(value, list):
        if not value:
            return None
        value = value[0]
    return value


# -- JSON-LD ------------------------------------------------------------------------------------

def parse_json_ld(text: str) -> tuple[Any, str | None]:
    """Return (data, repair note) for one JSON-LD script; raises ValueError naming line and column.

    Real pages wrap scripts in HTML comments or CDATA, leave trailing commas and raw newlines in
    strings; those are repaired (and noted) rather than losing the page.
    """
    s = _HTML_COMMENT.sub("", text.strip()).strip()
    try:
        return json.loads(s), None
    except json.JSONDecodeError:
        pass
    try:
        return json.loads(s, strict=False), "control characters inside strings"
    except json.JSONDecodeError:
        pass
    fixed = _TRAILING_COMMA.sub(r"\1", s)
    try:
        return json.loads(fixed, strict=False), "trailing commas"
    except json.JSONDecodeError as exc:
        raise ValueError(f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None


# -- microdata and RDFa: one tree walk, two attribute sets ----------------------------------------

_MICRODATA = {"scope": "itemscope", "type": "itemtype", "id": "itemid", "prop": "itemprop"}
_RDFA = {"scope": "typeof", "type": "typeof", "id": "resource", "prop": "property"}
_URL_ATTR = {"a": "href", "link": "href", "area": "href", "img": "src", "audio": "src", "video": "src",
             "source": "src", "iframe": "src", "embed": "src", "object": "data"}


def _has(el: Any, attr: str) -> bool:
    return el.get(attr) is not None


def _prop_value(el: Any, syntax: dict[str, str]) -> Any:
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    if el.get("content") is not None:
        return el.get("content")
    if tag in _URL_ATTR and el.get(_URL_ATTR[tag]) is not None:
        return el.get(_URL_ATTR[tag])
    if syntax is _RDFA and el.get("resource") is not None:
        return el.get("resource")
    if tag == "time" and el.get("datetime"):
        return el.get("datetime")
    if tag in ("data", "meter") and el.get("value") is not None:
        return el.get("value")
    return _WS.sub(" ", " ".join(el.itertext())).strip()


def _item(el: Any, syntax: dict[str, str]) -> dict[str, Any]:
    node: dict[str, Any] = {"@type": (el.get(syntax["type"]) or "").split()}
    if el.get(syntax["id"]):
        node["@id"] = el.get(syntax["id"])

    def walk(parent: Any) -> None:
        for child in parent:
            if not isinstance(child.tag, str):
                continue  # comments, processing instructions
            names = (child.get(syntax["prop"]) or "").split()
            nested = _has(child, syntax["scope"])
            if names:
                value = _item(child, syntax) if nested else _prop_value(child, syntax)
                for n in names:
                    node.setdefault(_short(n), []).append(value)
            if not nested:
                walk(child)

    walk(el)
    return node


def items_from_tree(root: Any, syntax: str) -> list[dict[str, Any]]:
    """Return the top-level items of an lxml tree in ``syntax`` ("microdata" or "rdfa")."""
    attrs = _MICRODATA if syntax == "microdata" else _RDFA
    out = []
    for el in root.iter():
        if not isinstance(el.tag, str) or not _has(el, attrs["scope"]):
            continue
        if _has(el, attrs["prop"]):
            continue  # a property of an enclosing item; reached through it
        # An item inside another item's subtree but not a property of it is still top-level.
        out.append(_item(el, attrs))
    return out


# -- walking the nodes --------------------------------------------------------------------------

def _nodes(data: Any) -> Iterable[dict[str, Any]]:
    if isinstance(data, list):
        for x in data:
            yield from _nodes(x)
    elif isinstance(data, dict):
        yield data
        for k, v in data.items():
            if k != "@context":
                yield from _nodes(v)


def _rating_parts(rating: Any) -> tuple[Any, Any, Any]:
    rating = _first(rating)
    if isinstance(rating, dict):
        return (_first(rating.get("ratingValue")), _first(rating.get("bestRating")),
                _first(rating.get("worstRating")))
    return rating, None, None


def find_reviews(top: list[Any]) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Return (reviews, aggregate rating) found in JSON-LD-shaped nodes.

    Reviews nested under a product (``review``/``reviews``), listed in an ``@graph`` and linked by
    ``@id``, or standing alone with ``itemReviewed`` are all found, each once, with the product.
    """
    by_id: dict[str, dict[str, Any]] = {}
    for n in _nodes(top):
        nid = n.get("@id")
        if isinstance(nid, str) and len(n) > 1:
            by_id.setdefault(nid, n)

    def resolve(x: Any) -> Any:
        x = _first(x)
        if isinstance(x, dict) and set(x) <= {"@id"} and x.get("@id") in by_id:
            return by_id[x["@id"]]
        if isinstance(x, str) and x in by_id:
            return by_id[x]
        return x

    seen: set[int] = set()
    found: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    aggregate: dict[str, Any] | None = None

    def visit(node: Any, product: dict[str, Any] | None, depth: int = 0) -> None:
        nonlocal aggregate
        if depth > 30:
            return
        if isinstance(node, list):
            for x in node:
                visit(x, product, depth + 1)
            return
        node = resolve(node)
        if not isinstance(node, dict):
            return
        if types_of(node) & REVIEW_TYPES and not types_of(node) & {"Product"}:
            if id(node) not in seen:
                seen.add(id(node))
                found.append((node, product))
            return
        ctx = product
        if any(k in node for k in ("review", "reviews", "aggregateRating")):
            ctx = node
            agg = resolve(node.get("aggregateRating"))
            if isinstance(agg, dict) and aggregate is None:
                value, best, worst = _rating_parts(agg)
                aggregate = {"product": clean_text(_first(node.get("name"))) or None, "rating": value,
                             "best": best, "worst": worst,
                             "count": _first(agg.get("reviewCount") or agg.get("ratingCount"))}
        for k, v in node.items():
            if k in ("@context", "@id", "@type", "itemReviewed"):
                continue
            visit(v, ctx, depth + 1)

    # Products first, so a review listed on its own in an @graph is found with its product.
    roots = []
    for n in top if isinstance(top, list) else [top]:
        roots.extend(n.get("@graph", [n]) if isinstance(n, dict) and "@graph" in n else [n])
    roots.sort(key=lambda n: 0 if isinstance(n, dict) and not (types_of(n) & REVIEW_TYPES) else 1)
    for n in roots:
        visit(n, None)

    reviews = []
    for node, product in found:
        about = resolve(node.get("itemReviewed"))
        if isinstance(about, dict):
            product = about
        reviews.append(review_dict(node, product, aggregate))
    return reviews, aggregate


def review_dict(node: dict[str, Any], product: dict[str, Any] | None,
                aggregate: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the fields vocmine stores from one schema.org Review node (values still raw text)."""
    value, best, worst = _rating_parts(node.get("reviewRating"))
    if best is None and aggregate:
        best = aggregate.get("best")
    text = clean_text(_first(node.get("reviewBody")) or _first(node.get("text")) or _first(node.get("description")))
    title = clean_text(_first(node.get("name")) or _first(node.get("headline")))
    if not text and title:
        text, title = title, ""
    author = _first(node.get("author"))
    if isinstance(author, dict):
        author = _first(author.get("name")) or _first(author.get("alternateName"))
    product_name = None
    if isinstance(product, dict):
        product_name = clean_text(_first(product.get("name"))) or None
    elif isinstance(product, str):
        product_name = clean_text(product) or None
    ident = _first(node.get("@id")) or _first(node.get("url"))
    return {
        "text": text,
        "title": title or None,
        "rating": None if value is None else str(value).strip(),
        "best_rating": None if best is None else str(best).strip(),
        "worst_rating": None if worst is None else str(worst).strip(),
        "created_at": clean_text(_first(node.get("datePublished")) or _first(node.get("dateCreated"))
                                 or _first(node.get("dateModified"))) or None,
        "author": clean_text(author) or None,
        "product": product_name,
        "language": clean_text(_first(node.get("inLanguage"))) or None,
        "id": ident if isinstance(ident, str) and ident.strip() else None,
    }


def extract(root: Any, page_url: str) -> PageReviews:
    """Return the reviews of one page (an lxml tree), trying JSON-LD, then microdata, then RDFa.

    The first syntax that yields reviews wins, so a page that marks the same reviews up twice
    gives them once. Broken JSON-LD is reported in ``errors`` (with line and column).
    """
    page = PageReviews()
    docs: list[Any] = []
    scripts = root.xpath('//script[translate(@type, "LDJSONAPPLICATI", "ldjsonapplicati")="application/ld+json"]')
    for i, script in enumerate(scripts, start=1):
        text = script.text or ""
        if not text.strip():
            continue
        try:
            data, repaired = parse_json_ld(text)
        except ValueError as exc:
            page.errors.append(f"broken JSON-LD in script {i} of {len(scripts)}: {exc}")
            continue
        if repaired:
            page.warnings.append(f"JSON-LD script {i} read after repairing {repaired}")
        docs.append(data)
    for syntax, top in (("json-ld", docs), ("microdata", None), ("rdfa", None)):
        if top is None:
            top = items_from_tree(root, syntax)
        if not top:
            continue
        reviews, aggregate = find_reviews(top)
        page.aggregate = page.aggregate or aggregate
        if reviews:
            page.reviews, page.syntax = reviews, syntax
            break
    if page.errors and page.reviews:
        page.warnings.append(f"reviews read from {page.syntax} instead")
    return page


def _norm(s: Any) -> str:
    return _WS.sub(" ", str(s or "")).strip().casefold()


def stable_ids(reviews: list[dict[str, Any]], page_url: str, chain_url: str,
               parse_date: Any = None) -> list[str]:
    """Return a stable external id per review: its URL, ``@id`` or own id when that names it alone, else a hash.

    A fragment id ("#review-17") is taken relative to the first page of the listing, so the review
    keeps its id when newer reviews push it onto page 2. The hash covers product, author, date (only
    an absolute one: "3 days ago" changes daily) and text.
    """
    candidates = []
    for r in reviews:
        rid = (r.get("id") or "").strip()
        if rid and not re.search(r"[/#:.?]", rid):
            candidates.append(f"id:{rid}")  # a site's own review number ("hp-412"), not a URL
            continue
        if rid:
            base = chain_url if rid.startswith("#") else page_url
            rid = urljoin(base, rid)
            if rid in (page_url, chain_url, urldefrag(page_url)[0], urldefrag(chain_url)[0]):
                rid = ""
        candidates.append(rid)
    counts: dict[str, int] = {}
    for c in candidates:
        counts[c] = counts.get(c, 0) + 1
    out: list[str] = []
    seen: dict[str, int] = {}
    for r, c in zip(reviews, candidates):
        if c and counts[c] == 1:
            out.append(c if c.startswith("id:") else f"u:{c}")
            continue
        date = ""
        if r.get("created_at") and parse_date is not None:
            try:
                date = parse_date(r["created_at"]) or ""
            except (ValueError, OverflowError):
                date = ""
        key = "\x1f".join([_norm(r.get("product")), _norm(r.get("author")), date, _norm(r.get("text"))])
        rid = "r:" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:24]
        # Two identical reviews on one page (same author, day and words) stay two rows.
        seen[rid] = seen.get(rid, 0) + 1
        out.append(rid if seen[rid] == 1 else f"{rid}:{seen[rid]}")
    return out


_NEXT_WORDS = re.compile(
    r"^(?:next|next page|next reviews|more reviews|older|older reviews|show more|다음|다음 페이지|다음페이지|次へ)"
    r"\s*[>›»→]*$|^[>›»→]$", re.IGNORECASE)


def next_page_url(root: Any, page_url: str) -> str | None:
    """Return the page's "next page" link: ``rel=next`` first, then common pager markup and words."""
    def ok(href: str | None) -> str | None:
        if not href:
            return None
        href = href.strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            return None
        url = urljoin(page_url, href)
        return None if urldefrag(url)[0] == urldefrag(page_url)[0] else url

    for xp in ('//link[contains(concat(" ", normalize-space(@rel), " "), " next ")]/@href',
               '//a[contains(concat(" ", normalize-space(@rel), " "), " next ")]/@href'):
        for href in root.xpath(xp):
            if ok(href):
                return ok(href)
    for a in root.xpath("//a[@href]"):
        label = " ".join(filter(None, [a.get("aria-label"), a.get("title")]))
        text = _WS.sub(" ", " ".join(a.itertext())).strip()
        if (label and _NEXT_WORDS.match(label.strip())) or (text and _NEXT_WORDS.match(text)):
            if ok(a.get("href")):
                return ok(a.get("href"))
    for xp in ('//*[contains(concat(" ", normalize-space(@class), " "), " next ")]/descendant-or-self::a/@href',
               '//a[contains(concat(" ", normalize-space(@class), " "), " next ")]/@href'):
        for href in root.xpath(xp):
            if ok(href):
                return ok(href)
    return None
