"""Seeded generator of realistic demo feedback for "Nimbus Gear", a fictional consumer-products company.

``generate()`` returns reviews, NPS survey answers, improvement tickets and the product catalogue for
12 weeks, in English and Korean. Texts are built compositionally from a small phrase grammar so that
the same complaint ("heavier than expected", "생각보다 무거워요") surfaces in many wordings, the way
real customers write. The story the later analysis should find is planted on purpose: the backpack
weight complaint rises from week 3, spikes in weeks 5-7 and falls away after the aluminium-frame
ticket ships in week 8, when "much lighter" praise appears.

Every item keeps its ground truth in keys starting with ``_`` (``_themes``, ``_week``, ``_pii``,
``_duplicate_of``); ingestion ignores such keys. The output depends only on the arguments.
"""
from __future__ import annotations

import logging
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

log = logging.getLogger(__name__)

__all__ = ["DemoData", "generate", "weight_complaints_by_week", "COMPLAINT_THEMES", "PRAISE_THEMES"]


@dataclass
class DemoData:
    """The generated demo: reviews, survey answers, tickets and the product catalogue."""

    reviews: list[dict]
    survey: list[dict]
    tickets: list[dict]
    products: list[dict]
    start: str = "2026-08-03"
    weeks: int = 12


PRODUCTS = [
    {"id": "NG-BP28", "name_en": "Trailhead 28L Backpack", "name_ko": "트레일헤드 28L 백팩", "category": "bags"},
    {"id": "NG-BP18", "name_en": "Metro Slim Backpack", "name_ko": "메트로 슬림 백팩", "category": "bags"},
    {"id": "NG-SP01", "name_en": "Pulse Mini Speaker", "name_ko": "펄스 미니 스피커", "category": "audio"},
    {"id": "NG-PB20", "name_en": "Volt 20K Power Bank", "name_ko": "볼트 20K 보조배터리", "category": "power"},
    {"id": "NG-JK01", "name_en": "Stormshell Rain Jacket", "name_ko": "스톰쉘 방수 재킷", "category": "apparel"},
    {"id": "NG-JK02", "name_en": "Featherlite Down Jacket", "name_ko": "페더라이트 경량 패딩", "category": "apparel"},
    {"id": "NG-SH01", "name_en": "Ridge Trail Shoes", "name_ko": "릿지 트레일 러닝화", "category": "footwear"},
]
_PRODUCT_SHARE = [0.22, 0.12, 0.14, 0.14, 0.14, 0.10, 0.14]

COMPLAINT_THEMES = ["weight", "delivery", "battery", "sizing", "zipper", "support", "price"]
PRAISE_THEMES = ["praise_comfort", "praise_sound", "praise_looks", "praise_quality", "praise_delivery",
                 "praise_battery", "praise_fit", "praise_waterproof", "praise_lighter"]

# Per-product chance that a review raises each complaint (before the weekly weight curve), and
# which praise it can give. Weight belongs to the backpacks: their steel frame is what the
# NIM-101 ticket replaces.
_COMPLAINT_P = {
    "NG-BP28": {"weight": 0.24, "delivery": 0.08, "zipper": 0.06, "support": 0.03, "price": 0.04},
    "NG-BP18": {"weight": 0.12, "delivery": 0.08, "zipper": 0.07, "support": 0.03, "price": 0.04},
    "NG-SP01": {"battery": 0.14, "delivery": 0.08, "support": 0.04, "price": 0.05},
    "NG-PB20": {"battery": 0.26, "delivery": 0.08, "support": 0.04, "price": 0.03},
    "NG-JK01": {"sizing": 0.20, "delivery": 0.08, "zipper": 0.05, "support": 0.03, "price": 0.06},
    "NG-JK02": {"sizing": 0.18, "delivery": 0.08, "zipper": 0.04, "support": 0.03, "price": 0.05},
    "NG-SH01": {"sizing": 0.24, "delivery": 0.08, "support": 0.03, "price": 0.05},
}
_PRAISE = {
    "NG-BP28": ["praise_comfort", "praise_looks", "praise_quality", "praise_delivery"],
    "NG-BP18": ["praise_comfort", "praise_looks", "praise_quality", "praise_delivery"],
    "NG-SP01": ["praise_sound", "praise_sound", "praise_looks", "praise_battery", "praise_delivery"],
    "NG-PB20": ["praise_battery", "praise_quality", "praise_delivery", "praise_looks"],
    "NG-JK01": ["praise_waterproof", "praise_fit", "praise_looks", "praise_delivery"],
    "NG-JK02": ["praise_comfort", "praise_fit", "praise_looks", "praise_quality"],
    "NG-SH01": ["praise_comfort", "praise_fit", "praise_looks", "praise_delivery"],
}
# Survey answers are about the company, not one product: smaller chances, any product mentioned.
_SURVEY_COMPLAINT_P = {"weight": 0.07, "delivery": 0.10, "battery": 0.06, "sizing": 0.06,
                       "zipper": 0.02, "support": 0.05, "price": 0.05}

# Weight complaint multiplier for weeks 1..12; other lengths are stretched onto this curve.
# Week 8 is the shipping week (averaged: high before the new frame ships, low after).
_WEIGHT_CURVE = [1.0, 1.0, 1.45, 1.9, 3.0, 3.2, 2.9, 1.4, 0.3, 0.22, 0.18, 0.15]
_SHIP_WEEK = 7       # 0-based: week 8 of 12
_SIZING_WEEK = 10    # 0-based: week 11 of 12

from vocmine.jobs.demo_text import (  # noqa: F401 - the grammar, used here and by tests
    _EN, _KO, _CTX_EN, _CTX_KO, _TITLES_EN, _TITLES_KO, _FIRST_EN, _LAST_EN, _SURNAMES_KO,
    _GIVEN_KO, _NICK_KO, _TYPOS_EN, _EMOJI_NEG, _EMOJI_POS, _KO_TAIL_NEG, _KO_TAIL_POS,
)

from vocmine.jobs.demo_people import _People, _plant_pii

_SLOT_RE = re.compile(r"\{(\w+)\}")


class _Writer:
    """Expands the phrase grammar into review texts for one language, drawing from ``rng``."""

    def __init__(self, rng: random.Random, lang: str) -> None:
        self.rng = rng
        self.lang = lang
        self.g = _EN if lang == "en" else _KO

    def expand(self, slot: str, ctx: dict[str, list[str]]) -> str:
        options = ctx.get(slot) or self.g[slot]
        text = self.rng.choice(options)
        # A few slots need agreement with the product noun ("it's" / "they're").
        return _SLOT_RE.sub(lambda m: self._fill(m.group(1), ctx), text)

    def _fill(self, name: str, ctx: dict[str, list[str]]) -> str:
        if name in ("be_it", "it_s"):
            it = self.expand("it", ctx)
            plural = it in ("they", "the shoes", "these")
            if name == "it_s":
                return "they're" if plural else "it's"
            if it == "it":
                return self.rng.choice(["it's", "it is", "it's"])
            return f"{it} {'are' if plural else 'is'}"
        if name.startswith("it_") and name not in self.g:
            # "{it_runs}" -> "it runs" / "they run"
            it, verb = self.expand("it", ctx), name[3:]
            plural = it in ("they", "the shoes", "these")
            return f"{it} {verb[:-1] if plural else verb}"
        return self.expand(name, ctx)

    # -- sentences --------------------------------------------------------------------------
    def clause(self, theme: str, ctx: dict[str, list[str]]) -> str:
        return self.expand(theme, ctx)

    def review(self, complaints: list[str], praises: list[str], ctx: dict[str, list[str]]) -> str:
        """Return one review text for the given complaint and praise themes."""
        rng = self.rng
        parts: list[str] = []
        if complaints and praises:
            kind = "mixed"
        elif complaints:
            kind = "neg"
        elif praises:
            kind = "pos"
        else:
            kind = "generic"
        if kind != "generic" and rng.random() < 0.28:
            parts.append(self.expand("opener", ctx))
        if kind == "generic":
            parts.append(self.expand("generic", ctx))
        elif kind == "mixed":
            parts.append(self._mixed(complaints[0], praises[0], ctx))
            for theme in complaints[1:]:
                parts.append(self._sentence(self.clause(theme, ctx)))
        else:
            themes = complaints or praises
            for i, theme in enumerate(themes):
                c = self.clause(theme, ctx)
                if i == 0 and rng.random() < 0.15:
                    c = f"{self.expand('hedge', ctx)} {c}"
                parts.append(self._sentence(c))
            if kind == "pos" and len(praises) == 1 and rng.random() < 0.35:
                # A second praise point makes the five-star reviews less uniform.
                other = [p for p in _PRAISE_EXTRA if p != praises[0]]
                parts.append(self._sentence(self.clause(rng.choice(other), ctx)))
        if kind != "generic" and rng.random() < 0.45:
            parts.append(self.expand({"neg": "closer_neg", "mixed": "closer_mixed", "pos": "closer_pos"}[kind], ctx))
        text = self._join(parts)
        return self._noise(text, kind)

    def _mixed(self, complaint: str, praise: str, ctx: dict[str, list[str]]) -> str:
        rng = self.rng
        if self.lang == "ko":
            if rng.random() < 0.65:
                # Mostly the praise itself ("디자인은 예쁜데"), sometimes a blanket "다 좋은데".
                conn = "conn_" + praise if rng.random() < 0.8 else "conn_praise"
                return self._sentence(f"{self.expand(conn, ctx)} {self.clause(complaint, ctx)}")
            return self._sentence(f"{self.expand('conn_' + complaint, ctx)} {self.clause(praise, ctx)}")
        p, c = self.clause(praise, ctx), self.clause(complaint, ctx)
        form = rng.randrange(6)
        if form == 0:
            return self._sentence(f"{p} but {c}")
        if form == 1:
            return self._sentence(f"{p}, but {c}")
        if form == 2:
            return self._sentence(f"{c}, though {p}")
        if form == 3:
            return f"{self._sentence(p)} But {c}."
        if form == 4:
            return f"{self._sentence(p)} Only problem: {c}."
        return self._sentence(f"{c} but {p}")

    def _sentence(self, clause: str) -> str:
        clause = clause.strip()
        if self.lang == "en" and clause[:1].islower():
            clause = clause[0].upper() + clause[1:]
        if clause and clause[-1] not in ".!?~ㅠㅜㅋㅎ":
            clause += self.rng.choice([".", ".", ".", "!", ""] if self.lang == "en" else [".", "", "", "!", ".."])
        return clause

    def _join(self, parts: list[str]) -> str:
        out = ""
        for p in parts:
            if not out:
                out = p
            elif out[-1] == ",":
                # "Honestly, the battery ..." continues the sentence the opener started.
                out += " " + p[0].lower() + p[1:]
            elif out[-1] in ".!?:~ㅠㅜㅋㅎ" or self.lang == "ko":
                out += " " + p
            else:
                out += ". " + p
        return out

    def _noise(self, text: str, kind: str) -> str:
        """Return ``text`` with the sloppiness of real reviews: case, punctuation, typos, emoji."""
        rng = self.rng
        pos = kind in ("pos", "generic")
        if self.lang == "en":
            if rng.random() < 0.06:
                for right, wrong in _TYPOS_EN.items():
                    if right in text:
                        text = text.replace(right, wrong, 1)
                        break
            if rng.random() < 0.16:
                text = text.lower()
            if rng.random() < 0.18:
                text = text.rstrip(".")
            if rng.random() < 0.03:
                text = text.replace(". ", "  ", 1)
            if rng.random() < 0.09:
                text += " " + rng.choice(_EMOJI_POS if pos else _EMOJI_NEG)
            elif rng.random() < 0.04:
                text = text.rstrip(".!") + "!!!"
        else:
            if rng.random() < 0.05:
                # Korean reviewers often drop word spacing in short phrases.
                text = text.replace(" ", "", 1 + rng.randrange(2))
            if rng.random() < 0.22:
                text = text.rstrip(".!") + " " + rng.choice(_KO_TAIL_POS if pos else _KO_TAIL_NEG)
            elif rng.random() < 0.08:
                text = text.rstrip(".") + rng.choice(["~~", "!!", ".."])
        return text


_PRAISE_EXTRA = ["praise_looks", "praise_quality", "praise_delivery"]


def _week_multiplier(week: int, weeks: int) -> float:
    """Return the weight-complaint rate multiplier for a 0-based week, stretched onto the 12-week curve."""
    pos = min(len(_WEIGHT_CURVE) - 1, int(week * len(_WEIGHT_CURVE) / weeks))
    return _WEIGHT_CURVE[pos]


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _rating(rng: random.Random, complaints: list[str], praises: list[str]) -> int:
    if complaints and praises:
        return rng.choices([2, 3, 4], [0.15, 0.5, 0.35])[0]
    if complaints:
        return rng.choices([1, 2, 3, 4], [0.38, 0.34, 0.24, 0.04])[0]
    if praises:
        return rng.choices([4, 5], [0.35, 0.65])[0]
    return rng.choices([3, 4, 5], [0.45, 0.4, 0.15])[0]


def _nps(rng: random.Random, complaints: list[str], praises: list[str]) -> int:
    if complaints and praises:
        return rng.choices([5, 6, 7, 8], [0.15, 0.3, 0.35, 0.2])[0]
    if complaints:
        return rng.choices(range(0, 7), [0.06, 0.06, 0.1, 0.14, 0.18, 0.22, 0.24])[0]
    if praises:
        return rng.choices([8, 9, 10], [0.15, 0.4, 0.45])[0]
    return rng.choices([6, 7, 8, 9], [0.15, 0.35, 0.35, 0.15])[0]


def _draw_complaints(rng: random.Random, probs: dict[str, float], weight_mult: float,
                     sizing_fixed: bool) -> list[str]:
    """Return the complaint themes of one item (at most two), each drawn independently."""
    complaints = []
    for theme, p in probs.items():
        if theme == "weight":
            p = min(0.9, p * weight_mult)
        elif theme == "sizing" and sizing_fixed:
            p *= 0.75
        if rng.random() < p:
            complaints.append(theme)
    rng.shuffle(complaints)
    return complaints[:2]


# Praise that would contradict a complaint in the same review ("fast shipping but delivery was late").
_CONFLICTS = {"delivery": "praise_delivery", "battery": "praise_battery", "sizing": "praise_fit",
              "weight": "praise_lighter"}


def _draw_praise(rng: random.Random, pool: list[str], complaints: list[str], lighter_ok: bool) -> list[str]:
    """Return the praise themes of one item: most items without complaints praise, some with them do."""
    pool = pool + ["praise_lighter"] * 3 if lighter_ok else pool
    pool = [p for p in pool if p not in {_CONFLICTS.get(c) for c in complaints}]
    if pool and rng.random() < (0.38 if complaints else 0.9):
        return [rng.choice(pool)]
    return []


def _title(rng: random.Random, lang: str, complaints: list[str], praises: list[str]) -> str:
    titles = _TITLES_EN if lang == "en" else _TITLES_KO
    if rng.random() < 0.4:
        return ""
    if complaints and praises:
        key = "mixed" if rng.random() < 0.6 else complaints[0]
    elif complaints:
        key = complaints[0]
    elif praises:
        key = "praise_lighter" if praises[0] == "praise_lighter" and rng.random() < 0.6 else "praise"
    else:
        key = "generic"
    return rng.choice(titles[key])


def _repost(rng: random.Random, text: str) -> str:
    """Return a near-duplicate of ``text``: same words, different case, spacing or punctuation."""
    form = rng.randrange(5)
    if form == 0:
        return text
    if form == 1:
        return text.lower() if text != text.lower() else text.upper()
    if form == 2:
        return "  ".join(text.split(" ")) + " "
    if form == 3:
        return text.rstrip(".!~ ") + "!!"
    # Sentence punctuation only: an email or phone number inside stays intact.
    return re.sub(r"[.,!]+(?=\s|$)", "", text)


def _tickets(start: datetime, weeks: int) -> list[dict]:
    """Return the improvement tickets, with shipping dates placed on the demo's timeline."""
    ship = start + timedelta(weeks=round(_SHIP_WEEK * weeks / 12), days=2, hours=1)
    sizing = start + timedelta(weeks=round(_SIZING_WEEK * weeks / 12), days=1, hours=6, minutes=30)

    def at(week: int, day: int, hour: int) -> str:
        return _iso(start + timedelta(weeks=round(week * weeks / 12), days=day, hours=hour))

    return [
        {"key": "NIM-101", "title": "Switch Trailhead backpack frame from steel to aluminium (28% lighter)",
         "body": "Reviews and NPS comments keep saying the Trailhead 28L is heavier than expected "
                 "(\"too heavy to carry all day\", \"생각보다 무거워요\"). Replace the steel frame with a 7075 "
                 "aluminium frame: the prototype is 28% lighter at the same load rating. Applies to the Metro "
                 "Slim as well.",
         "status": "done", "labels": ["weight", "backpack", "hardware"], "release": "2.4.0",
         "done_at": _iso(ship), "created_at": at(3, 1, 2),
         "public_note_en": "You told us the Trailhead backpack was heavier than expected. Its new aluminium "
                           "frame makes it 28% lighter, and every backpack we ship now has it.",
         "public_note_ko": "트레일헤드 백팩이 생각보다 무겁다는 의견을 많이 주셨습니다. 알루미늄 프레임으로 바꿔 "
                           "28% 가벼워졌고, 이제 모든 백팩이 새 프레임으로 배송됩니다.",
         "_themes": ["weight"]},
        {"key": "NIM-102", "title": "Move to a faster delivery partner",
         "body": "Delivery complaints are steady at roughly one in twelve reviews (\"took two weeks to arrive\", "
                 "\"배송이 너무 느려요\"). Trial the new courier in Seoul and on the US west coast first.",
         "status": "in_progress", "labels": ["delivery", "logistics"], "release": None, "done_at": None,
         "created_at": at(1, 3, 5),
         "public_note_en": "Many of you said delivery was too slow. We are moving to a faster delivery partner, "
                           "starting with Seoul and the US west coast.",
         "public_note_ko": "배송이 너무 느리다는 의견이 많았습니다. 더 빠른 배송사로 옮기는 중이며, 서울과 미국 "
                           "서부부터 시작합니다.",
         "_themes": ["delivery"]},
        {"key": "NIM-103", "title": "Volt 20K: firmware fix for standby battery drain",
         "body": "Power bank loses charge overnight in standby (\"battery drains overnight\", \"배터리가 빨리 "
                 "닳아요\"). Suspect the USB-C controller never enters deep sleep. Needs a firmware update.",
         "status": "open", "labels": ["battery", "firmware", "power-bank"], "release": None, "done_at": None,
         "created_at": at(2, 0, 8),
         "public_note_en": "We hear you: the Volt 20K loses charge while it sits unused. A firmware fix is planned.",
         "public_note_ko": "볼트 20K 배터리가 사용하지 않아도 빨리 닳는다는 의견을 확인했습니다. 펌웨어 개선을 준비하고 있습니다.",
         "_themes": ["battery"]},
        {"key": "NIM-104", "title": "Measured sizing chart for jackets and shoes",
         "body": "Jackets and Ridge shoes run small (\"order a size up\", \"한 치수 크게 주문하세요\"). Publish a "
                 "chart from measured garments and add a fit note on each product page.",
         "status": "done", "labels": ["sizing", "apparel", "footwear", "web"], "release": "2.5.0",
         "done_at": _iso(sizing), "created_at": at(4, 2, 3),
         "public_note_en": "You said our jackets and shoes run small. Product pages now have a sizing chart "
                           "measured from real garments, with a fit note for each model.",
         "public_note_ko": "재킷과 신발 사이즈가 작게 나온다는 의견을 반영해, 실측 사이즈표와 모델별 핏 안내를 "
                           "상품 페이지에 추가했습니다.",
         "_themes": ["sizing"]},
        {"key": "NIM-105", "title": "Stronger zipper pulls on backpacks and jackets",
         "body": "A few reports of zippers breaking or snagging within weeks (\"zipper broke\", \"지퍼가 "
                 "고장났어요\"). Evaluate YKK #8 pulls.",
         "status": "open", "labels": ["zipper", "backpack", "apparel"], "release": None, "done_at": None,
         "created_at": at(5, 4, 7),
         "public_note_en": "Some of you had zippers break or snag. We are testing stronger zipper pulls.",
         "public_note_ko": "지퍼가 고장 나거나 걸린다는 의견이 있었습니다. 더 튼튼한 지퍼를 테스트하고 있습니다.",
         "_themes": ["zipper"]},
        {"key": "NIM-106", "title": "Customer support: callback option in chat",
         "body": "Customers cannot get through to support (\"고객센터 연결이 안 돼요\", \"support took days to "
                 "reply\"). Add a callback request to the chat widget and staff the evening shift.",
         "status": "in_progress", "labels": ["support"], "release": None, "done_at": None,
         "created_at": at(6, 1, 4),
         "public_note_en": "You told us support was hard to reach. We are adding a callback option and longer hours.",
         "public_note_ko": "고객센터 연결이 어렵다는 의견을 반영해 콜백 요청 기능과 상담 시간 연장을 준비하고 있습니다.",
         "_themes": ["support"]},
    ]


def _timestamp(rng: random.Random, start: datetime, week: int, lang: str) -> datetime:
    """Return a time inside ``week``; local posting hours lean to evenings in the writer's time zone."""
    day = rng.randrange(7)
    local_hour = rng.choices(range(24), [1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 1.5, 2, 2.5, 2.5, 2.8,
                                         3.2, 3, 2.8, 2.8, 3, 3.2, 3.6, 4, 4.4, 4.4, 3.6, 2])[0]
    offset = 9 if lang == "ko" else -7  # KST, US Pacific (daylight time)
    utc_hour = (local_hour - offset) % 24
    return start + timedelta(weeks=week, days=day, hours=utc_hour, minutes=rng.randrange(60),
                             seconds=rng.randrange(60))


def generate(seed: int = 7, n_reviews: int = 2400, n_survey: int = 600, start: str = "2026-08-03",
             weeks: int = 12) -> DemoData:
    """Return a deterministic demo data set: ``n_reviews`` reviews and ``n_survey`` NPS answers over ``weeks``.

    ``start`` is the first day (ideally a Monday) as ``YYYY-MM-DD``; all times are UTC.
    """
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, got {weeks}")
    rng = random.Random(seed)
    t0 = datetime.strptime(start, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    tickets = _tickets(t0, weeks)
    weight_ship = datetime.strptime(tickets[0]["done_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    sizing_ship = datetime.strptime(tickets[3]["done_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    # New-frame backpacks reach customers a couple of days after the change ships.
    lighter_from = weight_ship + timedelta(days=2)
    people = _People(rng)
    writers = {"en": _Writer(rng, "en"), "ko": _Writer(rng, "ko")}
    by_id = {p["id"]: p for p in PRODUCTS}

    def spread(n: int) -> list[int]:
        # Equal volume per week (shuffled), so the weekly theme counts show the planted rates, not volume noise.
        ws = [i % weeks for i in range(n)]
        rng.shuffle(ws)
        return ws

    def one(kind: str, week: int) -> dict:
        lang = "en" if rng.random() < 0.6 else "ko"
        t = _timestamp(rng, t0, week, lang)
        mult = _week_multiplier(week, weeks)
        if week == round(_SHIP_WEEK * weeks / 12) and weeks >= 4:
            # The shipping week: spike level before the new frame, low after.
            mult = 2.4 if t < weight_ship else 0.5
        if kind == "review":
            pid = rng.choices([p["id"] for p in PRODUCTS], _PRODUCT_SHARE)[0]
            complaints = _draw_complaints(rng, _COMPLAINT_P[pid], mult, t >= sizing_ship)
            pid_ctx = pid
        else:
            # Survey answers are about the company; the text still names the product a complaint is about.
            pid = ""
            complaints = _draw_complaints(rng, _SURVEY_COMPLAINT_P, mult, t >= sizing_ship)
            fits = [p for p, pr in _COMPLAINT_P.items() if complaints and complaints[0] in pr]
            pid_ctx = rng.choice(fits) if fits else rng.choices([p["id"] for p in PRODUCTS], _PRODUCT_SHARE)[0]
            complaints = [c for c in complaints if c in _COMPLAINT_P[pid_ctx]]
        praises = _draw_praise(rng, _PRAISE[pid_ctx], complaints,
                               lighter_ok=t >= lighter_from and pid_ctx.startswith("NG-BP"))
        category = by_id[pid_ctx]["category"]
        ctx = (_CTX_EN if lang == "en" else _CTX_KO)[category]
        text = writers[lang].review(complaints, praises, ctx)
        return {"lang": lang, "t": t, "week": week, "pid": pid, "complaints": complaints, "praises": praises,
                "text": text}

    n_dups = n_reviews // 100 if n_reviews >= 200 else 0
    raw_reviews = [one("review", w) for w in spread(n_reviews - n_dups)]
    raw_survey = [one("survey", w) for w in spread(n_survey)]

    reviews = []
    for r in raw_reviews:
        display, _full, email = people.en() if r["lang"] == "en" else people.ko()
        has_email = rng.random() < 0.15
        reviews.append({
            "review_id": "", "product_id": r["pid"], "rating": _rating(rng, r["complaints"], r["praises"]),
            "title": _title(rng, r["lang"], r["complaints"], r["praises"]), "text": r["text"], "author": display,
            "email": email if has_email else "", "created": _iso(r["t"]), "lang": r["lang"],
            "marketing_ok": "yes" if has_email and rng.random() < 0.45 else "no",
            "_themes": r["complaints"] + r["praises"], "_week": r["week"], "_pii": [],
        })
    survey = []
    for s in raw_survey:
        _display, _full, email = people.en() if s["lang"] == "en" else people.ko()
        has_email = rng.random() < 0.3
        blank = rng.random() < 0.1
        complaints, praises = ([], []) if blank else (s["complaints"], s["praises"])
        survey.append({
            "response_id": "", "submitted_at": _iso(s["t"]),
            "nps": _nps(rng, s["complaints"], s["praises"]) if not blank else rng.randrange(11),
            "comment": "" if blank else s["text"], "email": email if has_email else "",
            "contact_consent": has_email and rng.random() < 0.6, "lang": s["lang"],
            "_themes": complaints + praises, "_week": s["week"], "_pii": [],
        })

    _plant_pii(rng, reviews, survey, people)

    # Re-posts: the same review submitted again a little later, with cosmetic differences.
    for orig in rng.sample(reviews, n_dups) if n_dups else []:
        t = datetime.strptime(orig["created"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        later = t + timedelta(minutes=rng.randrange(3, 600))
        if int((later - t0).days // 7) != orig["_week"]:
            later = t + timedelta(minutes=rng.randrange(1, 5))
        dup = dict(orig, text=_repost(rng, orig["text"]), created=_iso(later), _themes=list(orig["_themes"]),
                   _pii=list(orig["_pii"]), _duplicate_of=orig)
        reviews.append(dup)

    reviews.sort(key=lambda r: r["created"])
    for i, r in enumerate(reviews, 1):
        r["review_id"] = f"R{i:05d}"
    for r in reviews:
        if "_duplicate_of" in r:
            r["_duplicate_of"] = r["_duplicate_of"]["review_id"]
    survey.sort(key=lambda s: s["submitted_at"])
    for i, s in enumerate(survey, 1):
        s["response_id"] = f"S{i:05d}"
    log.debug("generated %d reviews, %d survey answers, %d tickets", len(reviews), len(survey), len(tickets))
    return DemoData(reviews=reviews, survey=survey, tickets=tickets, products=[dict(p) for p in PRODUCTS],
                    start=start, weeks=weeks)


def weight_complaints_by_week(data: DemoData) -> list[int]:
    """Return the planted number of weight complaints per week, over reviews and survey answers.

    Re-posts (items with ``_duplicate_of``) are not counted: they repeat a complaint already counted.
    """
    counts = [0] * data.weeks
    for item in [*data.reviews, *data.survey]:
        if "weight" in item.get("_themes", ()) and "_duplicate_of" not in item:
            counts[item["_week"]] += 1
    return counts
