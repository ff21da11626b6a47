"""Write tests/fixtures/planted_pii.jsonl: invented personal data planted in realistic review text.

Deterministic (fixed seed). Every value is invented: fictional names, 555 and documentation-range
numbers, example.com domains, ids with valid check digits generated here. Each line is
{"kind", "lang", "text", "secret"} where ``secret`` is the exact substring that must not survive
redaction.

    python bench/make_planted_pii.py            # rewrites the fixture
    python bench/make_planted_pii.py --check    # exits 1 if the fixture is out of date
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from stdnum import iban as std_iban
from stdnum.kr import rrn as std_rrn
from stdnum.us import ssn as std_ssn

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "planted_pii.jsonl"

EN_FIRST = ["John", "Emily", "Marcus", "Olivia", "Daniel", "Sophie", "Ethan", "Grace", "Liam", "Hannah",
            "Noah", "Chloe", "Owen", "Ava", "Caleb", "Nora"]
EN_LAST = ["Smith", "Carter", "Bennett", "Hughes", "Foster", "Reyes", "Whitaker", "Lindqvist", "Okafor",
           "Delgado", "Prescott", "Marlowe", "Hartley", "Quinn"]
KO_SUR = ["김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "서", "신", "권", "황", "송"]
KO_GIVEN = ["민수", "지영", "서연", "하늘", "유진", "철수", "영희", "도윤", "예은", "준호", "수빈", "현우",
            "지민", "다은", "태양", "은비"]
STREETS = ["Baker", "Maple", "Elm", "Oak", "Cedar", "Willow", "Birch", "Sunset", "Lakeview", "Highland",
           "Chestnut", "Main"]
SUFFIXES = ["Street", "St", "Avenue", "Ave", "Road", "Rd", "Lane", "Drive", "Blvd", "Court", "Way"]
CITIES = [("Springfield", "IL", "62704"), ("Riverton", "WY", "82501"), ("Fairview", "OR", "97024"),
          ("Greenville", "SC", "29601"), ("Madison", "WI", "53703")]
KO_PROV = [("서울특별시", ["강남구", "마포구", "송파구", "종로구"]), ("부산광역시", ["해운대구", "수영구"]),
           ("경기도", ["성남시 분당구", "수원시 영통구", "고양시 일산동구"]), ("대구광역시", ["수성구"])]
KO_ROADS = ["테헤란로", "월드컵북로", "올림픽로", "해운대로", "판교역로", "광교중앙로", "중앙대로", "달구벌대로",
            "새말길", "은행나무길"]
KO_DONG = ["역삼동", "합정동", "잠실동", "우동", "정자동", "망원동", "청담동", "삼성동"]
KO_APTS = ["래미안", "푸르지오", "자이", "힐스테이트", "e편한세상"]


def en_name(r: random.Random) -> str:
    return f"{r.choice(EN_FIRST)} {r.choice(EN_LAST)}"


def ko_name(r: random.Random) -> str:
    return r.choice(KO_SUR) + r.choice(KO_GIVEN)


def luhn_complete(prefix: str, length: int, r: random.Random) -> str:
    body = prefix + "".join(str(r.randrange(10)) for _ in range(length - len(prefix) - 1))
    for check in "0123456789":
        digits = body + check
        total = 0
        for i, ch in enumerate(reversed(digits)):
            d = int(ch) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


def make_rrn(r: random.Random, foreigner: bool = False) -> str:
    while True:
        year = r.randrange(1950, 2008)
        month, day = r.randrange(1, 13), r.randrange(1, 29)
        if year < 2000:
            g = r.choice("56" if foreigner else "12")
        else:
            g = r.choice("78" if foreigner else "34")
        body = f"{year % 100:02d}{month:02d}{day:02d}{g}{r.randrange(0, 97):02d}{r.randrange(0, 1000):03d}"
        number = body + std_rrn.calc_check_digit(body)
        if std_rrn.is_valid(number):
            return number


def make_ssn(r: random.Random) -> str:
    while True:
        number = f"{r.randrange(100, 666):03d}{r.randrange(1, 100):02d}{r.randrange(1, 10000):04d}"
        if std_ssn.is_valid(number):
            return number


def make_iban(r: random.Random) -> str:
    while True:
        country, bban = r.choice([
            ("DE", lambda: "".join(str(r.randrange(10)) for _ in range(18))),
            ("GB", lambda: "NWBK" + "".join(str(r.randrange(10)) for _ in range(14))),
            ("NL", lambda: "ABNA" + "".join(str(r.randrange(10)) for _ in range(10))),
            ("FR", lambda: "".join(str(r.randrange(10)) for _ in range(10)) + "0000000000"
             + "".join(str(r.randrange(10)) for _ in range(3))),
        ])
        b = bban()
        number = country + std_iban.calc_check_digits(country + "00" + b) + b
        if std_iban.is_valid(number):
            return number


def digits(r: random.Random, n: int) -> str:
    return "".join(str(r.randrange(10)) for _ in range(n))


def items(r: random.Random) -> list[dict]:
    out: list[dict] = []

    def add(kind: str, lang: str, text: str, secret: str) -> None:
        assert secret in text, (kind, text, secret)
        out.append({"kind": kind, "lang": lang, "text": text, "secret": secret})

    # --- email
    for _ in range(6):
        n = en_name(r).lower().replace(" ", ".")
        e = f"{n}@example.com"
        add("email", "en", r.choice([
            f"The zipper broke after two weeks, please email me at {e} about a replacement.",
            f"Seller never answered. Contact: {e}",
            f"Great jacket but runs small. Reach me at <{e}> if you want photos.",
        ]), e)
    for _ in range(5):
        e = f"{r.choice(['minsu', 'jiyoung', 'hana', 'seoyeon', 'dowoon'])}{r.randrange(10, 99)}@example.co.kr"
        add("email", "ko", r.choice([
            f"배송이 너무 늦어요. 답변은 {e} 로 부탁드립니다.",
            f"교환 문의 드려요 {e} 메일로 연락 주세요",
            f"사이즈가 작아요ㅠㅠ 이메일 {e}",
        ]), e)
    # --- obfuscated email
    for i in range(10):
        user = r.choice(["minsu", "john", "jane.doe", "hana_k", "marcus77", "olivia.b"])
        dom = r.choice(["example", "mail.example", "example-shop"])
        tld = r.choice(["com", "net", "org"])
        form = i % 5
        if form == 0:
            e = f"{user} [at] {dom} dot {tld}"
        elif form == 1:
            e = f"{user}(at){dom}(dot){tld}"
        elif form == 2:
            e = f"{user} at {dom} dot {tld}"
        elif form == 3:
            e = f"{user} [at] {dom}.{tld}"
        else:
            e = f"{user}{{at}}{dom}{{dot}}{tld}"
        if i % 2:
            add("email_obfuscated", "ko", f"환불 관련해서 {e} 으로 메일 주세요. 포장 상태가 엉망이었어요.", e)
        else:
            add("email_obfuscated", "en", f"Lid cracked on arrival. Write to {e} and I'll send pictures.", e)
    # --- US phones, many writings
    us_forms = [
        lambda a, x, y: f"({a}) {x}-{y}", lambda a, x, y: f"{a}-{x}-{y}", lambda a, x, y: f"{a} {x} {y}",
        lambda a, x, y: f"{a}{x}{y}", lambda a, x, y: f"{a}.{x}.{y}", lambda a, x, y: f"+1 {a} {x} {y}",
        lambda a, x, y: f"1-{a}-{x}-{y}", lambda a, x, y: f"+1 ({a}) {x}-{y}",
    ]
    for i in range(12):
        if i < 4:
            a, x, y = "555", f"{r.randrange(100, 999)}", digits(r, 4)
        else:
            a, x, y = r.choice(["212", "415", "312", "617", "206"]), "555", f"01{r.randrange(0, 100):02d}"
        p = us_forms[i % len(us_forms)](a, x, y)
        add("phone_us", "en", r.choice([
            f"Customer service hung up on me twice. Call me back at {p} please.",
            f"Battery died in a day, my number is {p} if the rep wants to talk.",
            f"Text {p} when the replacement ships.",
        ]), p)
    # --- Korean phones
    ko_forms = [
        lambda: f"010-{digits(r, 4)}-{digits(r, 4)}", lambda: f"010 {digits(r, 4)} {digits(r, 4)}",
        lambda: f"010{digits(r, 8)}", lambda: f"02-{digits(r, 3)}-{digits(r, 4)}",
        lambda: f"031-{digits(r, 3)}-{digits(r, 4)}", lambda: f"+82 10 {digits(r, 4)} {digits(r, 4)}",
        lambda: f"+82-10-{digits(r, 4)}-{digits(r, 4)}", lambda: f"010.{digits(r, 4)}.{digits(r, 4)}",
        lambda: f"(02) {digits(r, 4)}-{digits(r, 4)}", lambda: f"+82 2 {digits(r, 3)} {digits(r, 4)}",
        lambda: f"051-{digits(r, 3)}-{digits(r, 4)}",
    ]
    for i, f in enumerate(ko_forms):
        p = f()
        add("phone_kr", "ko", r.choice([
            f"기사님이 연락이 안 돼요. {p} 로 전화 주세요.",
            f"불량품이 왔어요 연락처 {p}",
            f"교환 원합니다. 제 번호는 {p}입니다",
        ]), p)
    # --- international phones
    intl = ["+44 20 7946 0958", f"+44 7700 900{r.randrange(100, 999)}", f"+49 30 {digits(r, 8)}",
            f"+33 1 {digits(r, 2)} {digits(r, 2)} {digits(r, 2)} {digits(r, 2)}", f"+81 3-{digits(r, 4)}-{digits(r, 4)}",
            f"+61 2 {digits(r, 4)} {digits(r, 4)}", f"+34 912 {digits(r, 3)} {digits(r, 3)}",
            f"+65 {digits(r, 4)} {digits(r, 4)}", f"+86 10 {digits(r, 4)} {digits(r, 4)}"]
    for i, p in enumerate(intl):
        if i % 3 == 2:
            add("phone_intl", "ko", f"해외 배송인데 파손됐어요. 현지 번호 {p} 로 연락 바랍니다.", p)
        else:
            add("phone_intl", "en", f"Shipped abroad and it arrived dented. I'm on {p} most evenings.", p)
    # --- cards
    for i in range(10):
        if i % 3 == 2:
            n = luhn_complete("37", 15, r)
            c = f"{n[:4]} {n[4:10]} {n[10:]}"
        else:
            n = luhn_complete(r.choice(["4", "51", "55"]), 16, r)
            sep = r.choice([" ", "-", ""])
            c = sep.join(n[j:j + 4] for j in range(0, 16, 4))
        if i % 2:
            add("card", "ko", f"결제가 두 번 됐어요. 카드번호 {c} 확인해 주세요.", c)
        else:
            add("card", "en", f"I was charged twice on card {c}, please refund one of them.", c)
    # --- Korean resident registration numbers
    for i in range(10):
        n = make_rrn(r)
        v = n if i % 3 == 2 else f"{n[:6]}-{n[6:]}"
        add("rrn", "ko", r.choice([
            f"통관 때문에 주민번호 {v} 를 적었는데 괜찮나요?",
            f"주문서에 {v} 이렇게 주민등록번호를 넣으라고 해서 불안해요.",
            f"본인확인용으로 {v} 보냈습니다. 빨리 처리해주세요",
        ]), v)
    add("rrn", "ko", "주민번호 900101-1234567 를 잘못 입력했어요.", "900101-1234567")
    n = make_rrn(r)
    add("rrn", "en", f"The customs form asked for my Korean RRN {n[:6]}-{n[6:]} which felt wrong.", f"{n[:6]}-{n[6:]}")
    # --- foreigner registration numbers
    for i in range(8):
        n = make_rrn(r, foreigner=True)
        v = n if i % 4 == 3 else f"{n[:6]}-{n[6:]}"
        if i % 2:
            add("arn", "en", f"As a foreigner I had to give my alien registration number {v} to the courier.", v)
        else:
            add("arn", "ko", f"외국인등록번호 {v} 입력했는데 배송 조회가 안돼요.", v)
    # --- US SSN
    for i in range(9):
        n = make_ssn(r)
        v = f"{n[:3]}-{n[3:5]}-{n[5:]}" if i % 3 else f"{n[:3]} {n[3:5]} {n[5:]}"
        add("ssn", "en", r.choice([
            f"Why does the warranty form ask for my SSN? I typed {v} and regret it.",
            f"Their rep asked for my social security number {v} over chat, so sketchy.",
            f"SSN: {v} was printed on the shipping label!",
        ]), v)
    # --- IBAN
    for i in range(9):
        n = make_iban(r)
        v = std_iban.format(n) if i % 2 else n
        if i % 3 == 2:
            add("iban", "ko", f"환불은 IBAN {v} 로 보내주세요. 해외 계좌입니다.", v)
        else:
            add("iban", "en", f"Still waiting for my refund, my IBAN is {v} if that helps.", v)
    # --- bank accounts
    ko_acc = [lambda: f"110-{digits(r, 3)}-{digits(r, 6)}", lambda: f"1002-{digits(r, 3)}-{digits(r, 6)}",
              lambda: f"352-{digits(r, 4)}-{digits(r, 4)}-{digits(r, 2)}", lambda: f"{digits(r, 3)}-{digits(r, 2)}-{digits(r, 6)}",
              lambda: f"{digits(r, 12)}", lambda: f"{digits(r, 4)}-{digits(r, 2)}-{digits(r, 7)}"]
    for i, f in enumerate(ko_acc):
        v = f()
        add("bank_account", "ko", r.choice([
            f"환불 계좌 {v} 로 입금 부탁드려요.",
            f"계좌번호: {v} (예금주 본인) 으로 환불해주세요",
            f"반품했는데 아직 입금이 안됐네요. 은행 계좌 {v} 확인 바랍니다.",
        ]), v)
    for i in range(4):
        v = digits(r, 8) if i % 2 else f"{digits(r, 4)}-{digits(r, 6)}"
        add("bank_account", "en", r.choice([
            f"They asked me to send my bank account number {v} by email for the refund.",
            f"Refund should go to account {v}, not my card.",
        ]), v)
    # --- IPv4
    for i in range(8):
        v = f"{r.choice(['203.0.113', '198.51.100', '192.0.2'])}.{r.randrange(1, 255)}"
        if i % 2:
            add("ipv4", "ko", f"앱에서 계속 차단됐다고 나와요. 제 IP는 {v} 입니다.", v)
        else:
            add("ipv4", "en", f"The app keeps blocking my IP {v} after the update.", v)
    # --- IPv6
    for i in range(7):
        h = [f"{r.randrange(0, 65536):x}" for _ in range(6)]
        v = ["2001:db8:" + ":".join(h), f"2001:db8::{h[0]}:{h[1]}", f"2001:0db8:{h[2]}::{h[3]}",
             f"fe80::{h[0]}:{h[1]}:{h[2]}:{h[3]}"][i % 4]
        if i % 2:
            add("ipv6", "ko", f"로그인 오류 로그에 {v} 주소가 찍혀 있었어요.", v)
        else:
            add("ipv6", "en", f"Support asked for my address, it shows {v} in the router page.", v)
    # --- passports
    for i in range(9):
        v = [f"M{digits(r, 8)}", f"M{digits(r, 3)}A{digits(r, 4)}", digits(r, 9),
             f"{r.choice('CFGKLX')}{r.choice('ABCDEFGH')}{digits(r, 7)}"][i % 4]
        if i % 2:
            add("passport", "ko", f"해외직구라 여권번호 {v} 를 입력했어요. 배송은 빨랐습니다.", v)
        else:
            add("passport", "en", f"Had to give my passport number {v} at checkout for a pair of shoes.", v)
    # --- English street addresses
    for i in range(10):
        num = f"{r.randrange(1, 9999)}{r.choice(['', '', 'B'])}"
        street = f"{num} {r.choice(STREETS)} {r.choice(SUFFIXES)}"
        city, st, z = r.choice(CITIES)
        v = [street, f"{street}, {city}, {st} {z}", f"{street} Apt {r.randrange(1, 40)}{r.choice('ABC')}",
             f"{street}, {city}"][i % 4]
        add("address_en", "en", r.choice([
            f"The courier left it at {v} instead of my door.",
            f"Please ship the replacement to {v}, the old one got lost.",
            f"Arrived damaged. Delivered to {v} on Monday.",
        ]), v)
    add("address_en", "en", "Delivered to 221B Baker Street but nobody rang the bell.", "221B Baker Street")
    add("address_en", "en", "Ship to 123 Main St, Springfield, IL 62704 please.", "123 Main St, Springfield, IL 62704")
    # --- Korean road addresses
    for i in range(10):
        prov, dists = r.choice(KO_PROV)
        road = r.choice(KO_ROADS)
        num = f"{r.randrange(1, 600)}" + (f"-{r.randrange(1, 30)}" if i % 3 == 0 else "")
        v = [f"{prov} {r.choice(dists)} {road} {num}", f"{r.choice(dists).split()[-1]} {road} {num}",
             f"{road} {num}"][i % 3]
        add("address_ko_road", "ko", r.choice([
            f"주소를 {v} 로 적었는데 다른 곳으로 갔어요.",
            f"배송지 {v} 입니다. 문 앞에 놔주세요.",
            f"{v}으로 보냈다는데 아직 못 받았어요",
        ]), v)
    add("address_ko_road", "ko", "서울특별시 강남구 테헤란로 123 사무실로 보내주세요.", "서울특별시 강남구 테헤란로 123")
    # --- Korean lot addresses
    for i in range(8):
        prov, dists = r.choice(KO_PROV)
        dong = r.choice(KO_DONG)
        lot = f"{r.randrange(1, 999)}-{r.randrange(1, 99)}"
        v = [f"{dong} {lot}", f"{prov} {r.choice(dists)} {dong} {lot}", f"{dong} {lot}번지",
             f"{r.choice(dists).split()[-1]} {dong} {r.randrange(1, 999)}번지"][i % 4]
        add("address_ko_lot", "ko", r.choice([
            f"{v} 로 배송 요청했는데 경비실에 두고 갔네요.",
            f"주소 {v} 맞는데 왜 반송됐나요?",
        ]), v)
    add("address_ko_lot", "ko", "역삼동 123-45 로 보내주세요.", "역삼동 123-45")
    # --- Korean apartment unit
    for i in range(8):
        v = f"{r.choice(KO_APTS)}아파트 {r.randrange(101, 120)}동 {r.randrange(1, 25)}{r.randrange(1, 9):02d}호" if i % 2 \
            else f"{r.randrange(101, 120)}동 {r.randrange(1, 25)}{r.randrange(1, 9):02d}호"
        add("address_ko_apt", "ko", r.choice([
            f"{v} 문 앞에 두라고 했는데 1층에 두고 가셨어요.",
            f"배송지가 {v}인데 옆 동으로 갔어요.",
        ]), v)
    # --- URLs with secrets, with a scheme
    for i in range(8):
        tok = "".join(r.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(16))
        param = ["token", "pw", "api_key", "session", "password", "access_token", "sig", "code"][i]
        v = f"https://shop.example.com/account/reset?{param}={tok}"
        if i % 2:
            add("url_secret", "ko", f"비밀번호 재설정 링크 {v} 눌러도 에러가 나요.", tok)
        else:
            add("url_secret", "en", f"The reset link {v} just loops back to login.", tok)
    # --- URLs with secrets, no scheme
    for i in range(8):
        tok = "".join(r.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(20))
        host = ["example.com", "www.example.org", "shop.example.net", "my.example.co.kr"][i % 4]
        param = ["token", "pw", "key", "sessionid"][i % 4]
        v = f"{host}/reset?{param}={tok}"
        if i % 2:
            add("url_secret_noscheme", "ko", f"메일로 온 {v} 링크가 만료됐대요.", tok)
        else:
            add("url_secret_noscheme", "en", f"Their email said go to {v} but the page is blank.", tok)
    # --- credentials in the URL authority
    for i in range(6):
        pw = "".join(r.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(10))
        v = f"https://{r.choice(['minsu', 'jdoe', 'olivia'])}:{pw}@files.example.com/invoice.pdf"
        if i % 2:
            add("url_userinfo", "ko", f"영수증은 {v} 에서 받으래요.", pw)
        else:
            add("url_userinfo", "en", f"Invoice is at {v} apparently.", pw)
    # --- names in English sign-offs
    for i in range(12):
        n = en_name(r)
        v = n if i % 3 else n.split()[0]
        if i == 0:
            v = n
        text = [
            f"Fits well but the strap broke. Thanks, {v}!",
            f"Returned it after a week.\n- {v}",
            f"The lid leaks every time. Best, Dr. {v}",
            f"Would not buy again.\nRegards,\n{v}",
            f"Coffee tastes burnt. Cheers, {v}",
            f"Please fix the sizing chart. Sincerely, Mrs. {v}.",
        ][i % 6]
        add("name_signoff_en", "en", text, v)
    add("name_signoff_en", "en", "Great shoes, wrong color. Thanks, John Smith!", "John Smith")
    add("name_signoff_en", "en", "Best, Dr. Jane Doe", "Jane Doe")
    # --- names in English self-introductions
    for i in range(9):
        n = en_name(r)
        text = [
            f"My name is {n} and this kettle stopped working in a month.",
            f"Hi, this is {n}, I ordered the blue one and got grey.",
            f"I'm {n}, a nurse, and these shoes hurt after one shift.",
        ][i % 3]
        add("name_intro_en", "en", text, n)
    # --- Korean self-introductions
    for i in range(14):
        n = ko_name(r)
        josa_i = "이" if (ord(n[-1]) - 0xAC00) % 28 else ""
        text = [
            f"{n}입니다. 배송이 너무 늦어요.",
            f"안녕하세요 {n}입니다. 교환 문의드립니다.",
            f"{n}{josa_i}라고 합니다. 상품이 파손돼서 왔어요.",
            f"이름: {n} / 사이즈 교환 요청합니다.",
            f"제 이름은 {n}{'이고' if josa_i else '고'} 지난주에 주문했어요.",
            f"저는 {n}입니다 환불해주세요",
            f"주문자 {n}입니다. 색상이 사진과 달라요.",
        ][i % 7]
        add("name_intro_ko", "ko", text, n)
    # --- labelled names (forms pasted into reviews)
    for i in range(8):
        if i % 2:
            n = ko_name(r)
            add("name_label", "ko", r.choice([f"성함: {n}, 주문번호 확인 부탁드려요", f"받는 사람: {n} 으로 되어 있어요",
                                              f"예금주: {n} 계좌로 환불 바랍니다"]), n)
        else:
            n = en_name(r)
            add("name_label", "en", r.choice([f"Name: {n}. The box was empty.", f"Customer name: {n} - order never came.",
                                              f"Ordered by: {n}, arrived two weeks late."]), n)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if the fixture differs from what would be written")
    args = ap.parse_args()
    rows = items(random.Random(20261201))
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    if args.check:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{OUT} is out of date")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    kinds = sorted({row["kind"] for row in rows})
    print(f"wrote {len(rows)} items over {len(kinds)} kinds to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
