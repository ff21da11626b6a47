import json

import pytest

from vocmine.privacy import pseudonym, redact

from conftest import count


@pytest.mark.parametrize("text, leaked", [
    ("reach me at jane.doe@example.com please", "jane.doe@example.com"),
    ("연락처 010-1234-5678 로 주세요", "010-1234-5678"),
    ("call 010 1234 5678", "010 1234 5678"),
    ("call 01012345678", "01012345678"),
    ("+82 10-1234-5678 is my number", "+82 10-1234-5678"),
    ("서울 02-123-4567 매장", "02-123-4567"),
    ("US line (415) 555-0134", "(415) 555-0134"),
    ("or 415-555-0134", "415-555-0134"),
    ("UK +44 20 7946 0958", "+44 20 7946 0958"),
    ("card 4111 1111 1111 1111 was charged twice", "4111 1111 1111 1111"),
    ("card 5500-0000-0000-0004", "5500-0000-0000-0004"),
    ("see https://shop.example.com/order?id=9&token=s3cr3t", "s3cr3t"),
    ("https://bob:hunter2@files.example.com/x", "hunter2"),
    ("My name is Sarah Connor and the bag is heavy", "Sarah Connor"),
    ("저는 김민지입니다. 생각보다 무거워요", "김민지"),
    ("Thanks, Marcus", "Marcus"),
])
def test_redact_removes_personal_data(text, leaked):
    out = redact(text)
    assert leaked not in out
    assert "[" in out


@pytest.mark.parametrize("text", [
    "Size 10-12 fits, bought 2024-05-01 for 129,000원",
    "order number 1234567890123 arrived",  # not a valid card number
    "I am disappointed with the zipper",
    "https://example.com/product/42 is the page",
    "Battery lasts 8 hours",
])
def test_redact_leaves_ordinary_text_alone(text):
    assert redact(text) == text


def test_redact_removes_known_author_name():
    assert redact("Jenny K. here: too small", names=("Jenny K.",)) == "[NAME] here: too small"


def test_pseudonym_is_keyed_and_stable():
    a = pseudonym("Jenny K.", b"k1")
    assert a == pseudonym(" jenny  k. ", b"k1")
    assert a != pseudonym("Jenny K.", b"k2")
    assert a.startswith("c_") and len(a) == 18


def test_personal_data_never_reaches_analysed_text_fts_or_raw(ws, write_csv):
    path = write_csv("pii.csv", [
        ["id", "text", "author", "email", "consent"],
        ["1", "Broke in a week. Call me 010-1234-5678 or mail jane.doe@example.com", "Jane Doe", "jane.doe@example.com", "yes"],
        ["2", "My name is Sarah Connor, card 4111 1111 1111 1111 was double charged", "Sarah", "", ""],
        ["3", "배송이 늦어요 010 9876 5432 로 연락 주세요", "김민지", "minji@example.org", "아니오"],
    ])
    ws.ingest(path, contact="email", consent="consent")
    public = json.dumps(ws.db.execute("select text, title, raw, author, url from feedback").fetchall(),
                        ensure_ascii=False)
    fts = json.dumps(ws.db.execute("select * from feedback_fts").fetchall(), ensure_ascii=False)
    for secret in ["010-1234-5678", "jane.doe@example.com", "Jane Doe", "Sarah Connor", "4111 1111 1111 1111",
                   "010 9876 5432", "김민지", "minji@example.org"]:
        assert secret not in public, secret
        assert secret not in fts, secret
    # Contacts are kept apart, with consent, for notifying later.
    contacts = {r[0]: r[1] for r in ws.db.execute("select contact, consent from contacts")}
    assert contacts == {"jane.doe@example.com": 1, "minji@example.org": 0}
    assert count(ws, "contacts") == 2
    # The same author gets the same pseudonym in every row and run.
    a1 = ws.feedback().set_index("external_id").loc["1", "author"]
    ws.ingest(path, contact="email", consent="consent")
    assert ws.feedback().set_index("external_id").loc["1", "author"] == a1
