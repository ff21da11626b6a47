import json
import subprocess
import sys
from pathlib import Path

import pytest

from vocmine.core import privacy
from vocmine.core.privacy import kinds, pseudonym, redact

from conftest import FIXTURES, count

PLANTED = [json.loads(line) for line in (FIXTURES / "planted_pii.jsonl").read_text(encoding="utf-8").splitlines()]


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


# --- every kind, English and Korean ---------------------------------------------------------------

@pytest.mark.parametrize("text, secret, kind", [
    # Korean resident / foreigner registration numbers, with and without the dash
    ("통관용 주민번호 900101-1234567 입력했어요", "900101-1234567", "rrn"),
    ("주민등록번호 9001011234567 를 적으라네요", "9001011234567", "rrn"),
    ("외국인등록번호 850315-5123456 입니다", "850315-5123456", "rrn"),
    ("my Korean RRN 900101-2345678 was on the label", "900101-2345678", "rrn"),
    # US SSN
    ("they asked for my SSN 123-45-6789 on chat", "123-45-6789", "ssn"),
    ("social security number 123 45 6789 printed on the box", "123 45 6789", "ssn"),
    ("사회보장번호 123-45-6789 를 물어봐요", "123-45-6789", "ssn"),
    # IBAN (mod-97 check digits), compact or grouped
    ("refund to DE89370400440532013000 please", "DE89370400440532013000", "iban"),
    ("IBAN GB82 WEST 1234 5698 7654 32 thanks", "GB82 WEST 1234 5698 7654 32", "iban"),
    ("환불은 NL91ABNA0417164300 로 해주세요", "NL91ABNA0417164300", "iban"),
    # bank accounts near account words
    ("환불 계좌 110-123-456789 로 보내주세요", "110-123-456789", "account"),
    ("계좌번호: 1002-123-456789 (우리)", "1002-123-456789", "account"),
    ("send it to my bank account 12345678 instead", "12345678", "account"),
    # cards
    ("card 4111 1111 1111 1111 was charged twice", "4111 1111 1111 1111", "card"),
    ("카드번호 5500-0000-0000-0004 로 두 번 결제됨", "5500-0000-0000-0004", "card"),
    # IPv4 / IPv6
    ("the app blocked my IP 203.0.113.45 again", "203.0.113.45", "ip"),
    ("제 아이피는 198.51.100.7 이에요", "198.51.100.7", "ip"),
    ("router shows 2001:db8:85a3::8a2e:370:7334 now", "2001:db8:85a3::8a2e:370:7334", "ip"),
    ("로그에 fe80::1ff:fe23:4567:890a 가 찍혀요", "fe80::1ff:fe23:4567:890a", "ip"),
    # passports near passport words
    ("had to give my passport number 123456789 at checkout", "123456789", "passport"),
    ("여권번호 M12345678 을 입력했어요", "M12345678", "passport"),
    ("여권 M123A4567 새 여권이에요", "M123A4567", "passport"),
    # English street addresses
    ("Delivered to 221B Baker Street but nobody rang", "221B Baker Street", "address"),
    ("Ship to 123 Main St, Springfield, IL 62704 please", "123 Main St, Springfield, IL 62704", "address"),
    ("left at 4500 Elm Avenue Apt 3B by mistake", "4500 Elm Avenue Apt 3B", "address"),
    # Korean road, lot and apartment addresses
    ("서울특별시 강남구 테헤란로 123 으로 보내주세요", "서울특별시 강남구 테헤란로 123", "address"),
    ("배송지 세종대로 110 입니다", "세종대로 110", "address"),
    ("역삼동 123-45 로 배송 요청", "역삼동 123-45", "address"),
    ("마포구 합정동 412번지 맞아요", "마포구 합정동 412번지", "address"),
    ("래미안아파트 101동 1202호 문 앞에 두세요", "래미안아파트 101동 1202호", "address"),
    # emails, plain and obfuscated
    ("mail jane.doe@example.com please", "jane.doe@example.com", "email"),
    ("메일 minji@example.org 로 주세요", "minji@example.org", "email"),
    ("write to minsu [at] example dot com for photos", "minsu [at] example dot com", "email"),
    ("john(at)gmail(dot)com 으로 연락주세요", "john(at)gmail(dot)com", "email"),
    ("reach me at jane at example dot org", "jane at example dot org", "email"),
    # phones in every common writing
    ("Text 555 123 4567 when it ships", "555 123 4567", "phone"),
    ("my number is 5551234567 thanks", "5551234567", "phone"),
    ("call (212) 555-0147 today", "(212) 555-0147", "phone"),
    ("UK +44 20 7946 0958 evenings", "+44 20 7946 0958", "phone"),
    ("연락처 010-1234-5678 로 주세요", "010-1234-5678", "phone"),
    ("매장 02-123-4567 로 전화", "02-123-4567", "phone"),
    ("해외에서 +82 10 1234 5678 로 연락", "+82 10 1234 5678", "phone"),
    ("불량이요 (02) 5478-6946 연락주세요", "(02) 5478-6946", "phone"),
    # secrets in URLs, with and without a scheme
    ("reset at https://shop.example.com/reset?pw=hunter2 fails", "hunter2", "url"),
    ("go to example.com/reset?token=abc123XYZ now", "abc123XYZ", "url"),
    ("링크 www.example.org/verify?code=99aa77 가 만료", "99aa77", "url"),
    # names in English sign-offs and introductions
    ("Great shoes, wrong color. Thanks, John Smith!", "John Smith", "name"),
    ("Would not buy again.\n- John Smith", "John Smith", "name"),
    ("The lid leaks. Best, Dr. Jane Doe", "Jane Doe", "name"),
    ("Too small.\nRegards,\nEmily", "Emily", "name"),
    ("Hi, this is Mark Evans, I got the wrong color.", "Mark Evans", "name"),
    ("Hi, I'm Sarah, the zipper broke.", "Sarah", "name"),
    # names in Korean self-introductions, also without 저는
    ("김민수입니다. 배송이 너무 늦어요", "김민수", "name"),
    ("안녕하세요 박지영입니다. 교환 문의요", "박지영", "name"),
    ("김민수라고 합니다. 파손돼서 왔어요", "김민수", "name"),
    ("정하늘이라고 합니다", "정하늘", "name"),
    ("이름: 김철수 / 사이즈 교환", "김철수", "name"),
    ("제 이름은 최유진이고 지난주에 주문했어요", "최유진", "name"),
    ("김민지 고객님 환불 처리됐나요", "김민지", "name"),
    ("상담원 박철수님이 친절했어요", "박철수", "name"),
    ("김민수님께 전달 부탁드려요", "김민수", "name"),
    ("Recommended.\n\nSincerely,\n\nRusk Reeder", "Rusk Reeder", "name"),
    ("İstanbul trip. Hi, this is Mark Evans, I got the wrong one", "Mark Evans", "name"),
])
def test_redact_every_kind(text, secret, kind):
    out = redact(text)
    assert secret not in out, out
    assert f"[{kind.upper()}]" in out, out
    assert kind in kinds(text)


@pytest.mark.parametrize("text", [
    # kinship and honorific words take 님 like a name does
    "굿굿 공구정리에 이거면 최고 부모님께서 좋아하시네여",
    "어머님께 선물했는데 좋아하세요",
    "설치기사님이 친절하셔서 좋았어요",
    "선교사님께 깊은 감사를 드립니다",
    "판매자님 답변 감사합니다",
    "측정결과 정량아님 심하게미달",
    "최악이예요 이걸 호텔베개라고 파시는건지",
    "최고입니다 또 살게요",
    "저는 주부입니다",
    "오늘날씨가 좋아서 산책할 때 입었어요",
    "이승기씨 너무 멋있어요",  # a bare actor's name with 씨 is left alone
    # particles and adverbs that end like road names, numbers that are not addresses
    "택배로 2개 보냈어요",
    "작은 사이즈로 20개정도로 왔다",
    "참고로 163에 47 키로 입니다",
    "원래대로 80부작 했으면 좋겠네요",
    "아폴로13호는 명작",
    "사이즈가 230-240 사이예요",
    "이름은 알아도 그의 행적은 잘 몰라요",
    # English: all-caps and lower-case words are not names; brands thanked without a comma
    "I'm STRANDED!!",
    "I AM MISSING CASH FROM MY BANK ACCOUNT ACCORDING TO MY APP",
    "I'm so THRILLED that Amazon carries them.",
    "I'm Italian and I lived in Italy for years.",
    "My local store closed....Thanks Amazon!",
    "The staff were helpful Thank you Swissotel",
    "we use the industry's best, China Mist!",
    "this is Paris after all",
    "Love it. Best purchase ever",
    # numbers that are not personal data
    "Size 10-12 fits, bought 2024-05-01 for 129,000원",
    "order number 1234567890123 arrived",
    "재구매 1234567890",
    "see http://www.amazon.com/gp/product/1845979125 for the bigger bag",
    "Open 7AM - 5PM, 2014.08.15 23:54",
    "version 2.0 is out, 3:30 pm pickup",
    "Room 12 on floor 3, 5 minutes from Oxford Street",
    "IBANs are long, GB82 is a prefix",
])
def test_redact_does_not_over_redact(text):
    assert redact(text) == text
    assert kinds(text) == []


def test_planted_fixture_is_large_and_varied():
    assert len(PLANTED) >= 200
    assert len({item["kind"] for item in PLANTED}) >= 20
    assert {item["lang"] for item in PLANTED} == {"en", "ko"}
    for item in PLANTED:
        assert item["secret"] and item["secret"] in item["text"], item


@pytest.mark.parametrize("item", PLANTED, ids=lambda item: f"{item['kind']}-{item['lang']}")
def test_planted_item_is_redacted(item):
    out = redact(item["text"])
    assert item["secret"] not in out, out
    assert kinds(item["text"]), item
    assert kinds(out) == [], out


def test_planted_fixture_matches_its_generator():
    script = Path(__file__).resolve().parents[2] / "bench" / "make_planted_pii.py"
    proc = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("text", [item["text"] for item in PLANTED] + [
    "Call 010-1234-5678 or 555 123 4567, mail minsu [at] example dot com. Thanks, John Smith!",
    "서울특별시 강남구 테헤란로 123 래미안 101동 1202호 김민수입니다 010-9876-5432",
    "[NAME] [PHONE] [EMAIL] [RRN] [ADDRESS] [URL]",
    "Name: [NAME]. Thanks, [NAME]!",
])
def test_redact_is_idempotent(text):
    once = redact(text)
    assert redact(once) == once
    assert kinds(once) == []


def test_placeholders_are_distinct_per_kind():
    assert len(set(privacy.PLACEHOLDERS)) == len(privacy.PLACEHOLDERS) == 12
    text = ("rrn 900101-1234567, ssn 123-45-6789, iban DE89370400440532013000, 계좌 110-123-456789, "
            "card 4111 1111 1111 1111, ip 203.0.113.9, passport M12345678, 221B Baker Street, "
            "a@example.com, 010-1234-5678, https://x.example.com/?token=abc. My name is Jane Doe.")
    out = redact(text)
    for placeholder in privacy.PLACEHOLDERS:
        assert placeholder in out, (placeholder, out)
    assert kinds(text) == sorted(p.strip("[]").lower() for p in privacy.PLACEHOLDERS)


def test_kinds_of_clean_and_empty_text():
    assert kinds("") == []
    assert kinds("Battery lasts 8 hours, 생각보다 무거워요") == []
    assert kinds("reach me at jane.doe@example.com or 010-1234-5678") == ["email", "phone"]


def test_kinds_counts_known_names():
    assert kinds("Jenny K. here: too small", names=("Jenny K.",)) == ["name"]


def test_personal_data_planted_in_the_demo_is_redacted():
    from vocmine.jobs.demo_data import generate

    data = generate(seed=7)
    items = data.reviews + data.survey
    planted = [(item, value) for item in items for value in item.get("_pii_values", ())]
    assert len(planted) > 50
    leaked = []
    for item, value in planted:
        fields = [v for k, v in item.items() if isinstance(v, str) and not k.startswith("_")]
        if any(value in redact(v) for v in fields):
            leaked.append(value)
    assert not leaked, leaked


def test_phone_after_a_long_run_of_numbers_is_still_redacted():
    # phonenumbers gives up after a bounded number of candidates; the common writings are patterns too.
    text = "12 34 56 78 90 " * 3000 + "call 555 123 4567 or 5551234567"
    out = redact(text)
    assert "555 123 4567" not in out and "5551234567" not in out
    assert out.endswith("call [PHONE] or [PHONE]")


@pytest.mark.parametrize("text, secret", [
    ("SSN 078-05-1120 was asked at signup, why?", "078-05-1120"),  # never issued, still said to be an SSN
    ("배송이 너무 늦었어요. 감사합니다. 박지성 드림", "박지성"),
    ("잘 받았습니다!\n이영희 배상", "이영희"),
])
def test_forms_written_after_the_planted_corpus(text, secret):
    assert secret not in redact(text)


@pytest.mark.parametrize("text", ["선물로 드림", "부모님께 선물로 드림", "사장님 드림", "엄마한테 드림"])
def test_giving_is_no_korean_sign_off(text):
    assert redact(text) == text
