import pytest

from vocmine.core.dates import parse_datetime
from vocmine.collect.ingest import FieldError, parse_rating
from vocmine.core.lang import detect


@pytest.mark.parametrize("text, code", [
    ("runs small", "en"), ("ok", "en"), ("Too tight in the shoulders, order a size up", "en"),
    ("배송 느림", "ko"), ("디자인은 예쁜데 생각보다 무거워요 ㅠㅠ", "ko"), ("갤럭시 S24 케이스 good 좋아요", "ko"),
    ("I bought it at 롯데마트 and it is heavier than expected", "en"),
    ("el producto es muy bueno pero llegó tarde", "es"), ("こんにちは、重いです", "ja"),
    ("😀👍", "und"), ("12345", "und"), ("", "und"),
])
def test_language_detection_short_and_mixed(text, code):
    assert detect(text) == code


@pytest.mark.parametrize("value, iso", [
    ("2024-05-01", "2024-05-01T00:00:00Z"),
    ("2024-05-01T10:00:00+09:00", "2024-05-01T01:00:00Z"),
    ("2024.05.01", "2024-05-01T00:00:00Z"),
    ("2024년 5월 1일 오후 3시 20분", "2024-05-01T15:20:00Z"),
    ("05/01/2024", "2024-05-01T00:00:00Z"),
    ("25/12/2023 10:30", "2023-12-25T10:30:00Z"),
    ("12.11.06", "2012-11-06T00:00:00Z"),
    ("06.11.2012", "2012-11-06T00:00:00Z"),
    ("May 1, 2024", "2024-05-01T00:00:00Z"),
    ("1 May 2024 10:30 PM", "2024-05-01T22:30:00Z"),
    (1714521600, "2024-05-01T00:00:00Z"),
    ("1714521600000", "2024-05-01T00:00:00Z"),
    ("", None),
])
def test_dates(value, iso):
    assert parse_datetime(value) == iso


def test_bad_date():
    with pytest.raises(ValueError, match="unrecognised date"):
        parse_datetime("next tuesday")


@pytest.mark.parametrize("value, expected", [
    ("4", (4.0, 5.0)), (4.5, (4.5, 5.0)), ("4 stars", (4.0, 5.0)), ("8/10", (8.0, 10.0)),
    ("★★★☆☆", (3.0, 5.0)), ("9", (9.0, 10.0)), ("", (None, None)), (None, (None, None)),
])
def test_ratings(value, expected):
    assert parse_rating(value) == expected


def test_bad_rating():
    with pytest.raises(FieldError, match="not a rating"):
        parse_rating("great")
    with pytest.raises(FieldError, match="outside"):
        parse_rating("7/5")
