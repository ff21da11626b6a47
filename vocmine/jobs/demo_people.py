"""The demo's people: authors' display names and emails, and the personal data planted in a few
texts (emails, phones, names, Luhn-valid test card numbers) that redaction must catch.

Everything planted is recorded in the item's ``_pii`` and ``_pii_values`` keys.
"""
from __future__ import annotations

import random

from vocmine.jobs.demo_text import _FIRST_EN, _LAST_EN, _SURNAMES_KO, _GIVEN_KO, _NICK_KO


class _People:
    """Makes author display names and their email addresses."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def en(self) -> tuple[str, str, str]:
        """Return (display name, full name, email) for an English-speaking customer."""
        rng = self.rng
        first, last = rng.choice(_FIRST_EN), rng.choice(_LAST_EN)
        display = rng.choice([f"{first} {last[0]}.", f"{first} {last[0]}.", first, f"{first.lower()}{rng.randrange(10, 99)}",
                              f"{first} {last}"])
        email = rng.choice([f"{first}.{last}", f"{first[0]}{last}", f"{first}{rng.randrange(1, 99)}",
                            f"{first}_{last[0]}"]).lower() + "@" + rng.choice(["example.com", "example.org"])
        return display, f"{first} {last}", email

    def ko(self) -> tuple[str, str, str]:
        """Return (display name, full name, email) for a Korean-speaking customer."""
        rng = self.rng
        (sur, sur_r), (given, given_r) = rng.choice(_SURNAMES_KO), rng.choice(_GIVEN_KO)
        full = sur + given
        r = rng.random()
        if r < 0.5:
            display = full
        elif r < 0.75:
            display = sur + "*" + given[-1]
        else:
            display = rng.choice(_NICK_KO).replace("{g}", given)
        email = rng.choice([f"{given_r}.{sur_r}", f"{sur_r}{given_r}{rng.randrange(70, 99)}", f"{given_r}{sur_r}"]) \
            + "@" + rng.choice(["example.com", "example.org"])
        return display, full, email


def _phone(rng: random.Random, lang: str) -> str:
    if lang == "ko" or rng.random() < 0.25:
        a, b = rng.randrange(1000, 9999), rng.randrange(1000, 9999)
        return rng.choice([f"010-{a}-{b}", f"010 {a} {b}", f"+82 10-{a}-{b}", f"010{a}{b}", f"010-{a}-{b}"])
    # 555-01xx numbers are reserved for fiction in North America.
    area, line = rng.choice(["415", "212", "646", "312", "206"]), rng.randrange(100, 199)
    return rng.choice([f"({area}) 555-0{line}", f"{area}-555-0{line}", f"+1 {area} 555 0{line}"])


_CARDS = ["4111 1111 1111 1111", "5555-5555-5555-4444"]  # test numbers that pass Luhn


def _pii_sentence(rng: random.Random, lang: str, kind: str, people: _People, card: str = "") -> tuple[str, str]:
    """Return a sentence that plants one kind of personal data ("email", "phone", "name", "card"), and the datum."""
    name_en = people.en()
    name_ko = people.ko()
    phone = _phone(rng, lang)
    value = {"email": name_en[2] if lang == "en" else name_ko[2], "phone": phone,
             "name": name_en[1] if lang == "en" else name_ko[1]}.get(kind, card)
    return _pii_template(rng, lang, kind, name_en, name_ko, phone, card), value


def _pii_template(rng: random.Random, lang: str, kind: str, name_en, name_ko, phone: str, card: str) -> str:
    if lang == "en":
        if kind == "email":
            return rng.choice(["Contact me at {x} if you want details.", "contact me at {x}",
                               "Please email me at {x} about a replacement.", "my email is {x}, happy to help"]
                              ).format(x=name_en[2])
        if kind == "phone":
            return rng.choice(["You can reach me at {x}.", "call me on {x} if you need the order number",
                               "Please call {x}, nobody answered my emails."]).format(x=phone)
        if kind == "name":
            return rng.choice(["My name is {x}, order #NG-{n}.", "This is {x} btw, order NG-{n}.",
                               "Thanks, {x}"]).format(x=name_en[1], n=rng.randrange(10000, 99999))
        return rng.choice(["I paid with my card {x} and got charged twice.",
                           "Charged twice on card {x}, please refund!"]).format(x=card)
    if kind == "email":
        return rng.choice(["답변은 {x} 로 부탁드려요.", "이메일 {x} 로 연락 주세요", "{x} 여기로 연락주세요"]).format(x=name_ko[2])
    if kind == "phone":
        return rng.choice(["연락 주세요 {x}", "제 번호는 {x}입니다.", "{x} 로 전화 부탁드립니다"]).format(x=phone)
    if kind == "name":
        return rng.choice(["저는 {x}입니다.", "제 이름은 {x}이고 주문번호는 NG-{n}이에요.", "저는 {x}입니다 교환 부탁드려요"]
                          ).format(x=name_ko[1], n=rng.randrange(10000, 99999))
    return rng.choice(["카드번호 {x} 로 결제했는데 두 번 빠졌어요.", "{x} 카드로 이중 결제됐어요"]).format(x=card)


def _plant_pii(rng: random.Random, reviews: list[dict], survey: list[dict], people: _People) -> None:
    """Append personal data to a few percent of texts (and a Luhn-valid card number to two), recording it in ``_pii``."""
    items = [(r, "text") for r in reviews] + [(s, "comment") for s in survey if s["comment"]]
    if not items:
        return
    n = len(items)
    picks = rng.sample(range(n), min(n, max(2, round(n * 0.04))))
    kinds = ["email", "phone", "phone", "name", "email", "name"]
    for j, idx in enumerate(picks):
        item, key = items[idx]
        kind = "card" if j < min(2, len(picks)) else kinds[j % len(kinds)]
        sentence, value = _pii_sentence(rng, item["lang"], kind, people, card=_CARDS[j % 2])
        text = item[key].rstrip()
        sep = ". " if item["lang"] == "en" and text[-1:].isalnum() else " "
        item[key] = text + sep + sentence
        item["_pii"].append(kind)
        item.setdefault("_pii_values", []).append(value)
