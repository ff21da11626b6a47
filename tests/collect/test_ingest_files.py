import json

import openpyxl
import pytest

import vocmine
from vocmine.core.errors import ConfigError, SourceError

from conftest import FIXTURES, count


def test_csv_detects_columns_and_stores_rows(ws, write_csv):
    path = write_csv("export.csv", [
        ["Review ID", "Star Rating", "Review Text", "Review Date", "User Name"],
        ["a1", "5", "Love it, fits perfectly", "2024-05-01", "Jenny K."],
        ["a2", "2", "Runs small and the zipper broke", "05/03/2024", "Sam"],
    ])
    r = ws.ingest(path)
    assert (r.inserted, r.rejected) == (2, 0)
    df = ws.feedback()
    assert list(df["external_id"]) == ["a1", "a2"]
    assert list(df["rating"]) == [5.0, 2.0]
    assert df["created_at"].dt.strftime("%Y-%m-%d").tolist() == ["2024-05-01", "2024-05-03"]
    assert df["source"].unique().tolist() == ["export"]
    assert df["author"].str.startswith("c_").all()  # pseudonyms, never names
    assert "Jenny" not in json.dumps(ws.db.execute("select * from feedback").fetchall())


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_csv_any_delimiter(ws, write_csv, delimiter):
    path = write_csv("semi.csv", [["id", "comment", "score"], ["1", "Battery dies fast", "2"],
                                  ["2", "배송이 너무 늦어요", "1"]], delimiter=delimiter)
    r = ws.ingest(path, rating="score")
    assert r.inserted == 2
    assert ws.feedback()["text"].tolist() == ["Battery dies fast", "배송이 너무 늦어요"]


def test_reingest_adds_nothing_and_changed_row_updates_in_place(ws, write_csv):
    rows = [["id", "text", "rating"], ["1", "Too heavy", "2"], ["2", "Great sound", "5"]]
    path = write_csv("r.csv", rows)
    assert ws.ingest(path, source="shop").inserted == 2
    again = ws.ingest(path, source="shop")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    rows[1] = ["1", "Too heavy for hiking", "1"]
    path = write_csv("r.csv", rows)
    changed = ws.ingest(path, source="shop")
    assert (changed.inserted, changed.updated, changed.unchanged) == (0, 1, 1)
    df = ws.feedback()
    assert len(df) == 2
    assert df.set_index("external_id").loc["1", "text"] == "Too heavy for hiking"
    assert df.set_index("external_id").loc["1", "rating"] == 1.0


def test_no_id_column_uses_content_hash_and_keeps_identical_texts_apart(ws, write_csv):
    path = write_csv("noid.csv", [["text"], ["Great!"], ["Great!"], ["Too small"]])
    assert ws.ingest(path).inserted == 3
    assert ws.ingest(path).inserted == 0
    assert count(ws) == 3


def test_near_duplicates_are_flagged_and_linked(ws, write_csv):
    path = write_csv("d.csv", [
        ["id", "text"],
        ["1", "The strap broke after two days, really disappointed."],
        ["2", "the strap broke after two days  really disappointed!!"],
        ["3", "Completely different review about the colour"],
    ])
    r = ws.ingest(path)
    assert (r.inserted, r.duplicates) == (3, 1)
    df = ws.feedback().set_index("external_id")
    assert df.loc["2", "duplicate_of"] == df.loc["1", "id"]
    assert ws.feedback(include_duplicates=False)["external_id"].tolist() == ["1", "3"]


def test_broken_rows_store_the_good_ones_and_report_each_bad_one(ws, tmp_path):
    huge = "x" * (1 << 20)
    path = tmp_path / "broken.csv"
    path.write_text(
        "id,text,rating,date\n"
        "1,Fine review,5,2024-01-02\n"           # row 2
        "2,,4,2024-01-02\n"                      # row 3: empty text
        "3,too,many,fields,here,2024\n"          # row 4: wrong field count
        f"4,{huge},3,2024-01-02\n"               # row 5: 1 MB text
        "5,\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f,2,2024-01-02\n"  # row 6: binary garbage
        "6,Good but the date is odd,4,the day after tomorrow\n"          # row 7: bad date, stored
        "7,Another fine review,4,2024-01-03\n",  # row 8
        encoding="utf-8",
    )
    r = ws.ingest(path, created="date")
    assert r.inserted == 3
    assert r.rejected == 4
    assert r.warnings == 1
    msgs = "\n".join(r.messages)
    assert f"{path}, row 3: empty text" in msgs
    assert f"{path}, row 4: row has 6 fields, the header has 4" in msgs
    assert f"{path}, row 5: text is 1,048,576 characters" in msgs
    assert f"{path}, row 6: text looks like binary data" in msgs
    assert f"{path}, row 7: unparseable date" in msgs and "(stored without it)" in msgs
    rej = ws.rejects()
    assert sorted(rej["row"].tolist()) == [3, 4, 5, 6, 7]
    assert set(rej["action"]) == {"skipped", "field dropped"}
    stored = ws.feedback().set_index("external_id")
    assert stored.loc["6", "created_at"] != stored.loc["6", "created_at"]  # NaT: the date was dropped
    # A re-run neither duplicates feedback nor rejects.
    ws.ingest(path, created="date")
    assert count(ws) == 3 and count(ws, "rejects") == 5


SURVEY = [
    ["Response ID", "Submitted", "How likely are you to recommend us to a friend?", "Segment",
     "What is the main reason for your score?", "Country"],
    ["r1", "2026-10-01", "9", "Promoter", "Fast delivery and the jacket fits well", "US"],
    ["r2", "2026-10-02", "3", "Detractor", "The zipper broke after two weeks of light use", "US"],
    ["r3", "2026-10-02", "6", "Detractor", "배송이 너무 느려요 일주일이나 걸렸어요", "KR"],
    ["r4", "2026-10-03", "10", "Promoter", "Great support, they answered within an hour", "CA"],
    ["r5", "2026-10-04", "7", "Passive", "", "US"],
]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "jsonl"])
def test_a_question_header_is_found_as_the_text_by_its_content(ws, write_csv, tmp_path, fmt):
    """Survey exports head the free-text column with the question: no name list knows it, the
    values do (longest varied prose), whatever the language."""
    if fmt == "csv":
        path = write_csv("survey.csv", SURVEY)
    elif fmt == "xlsx":
        path = tmp_path / "survey.xlsx"
        wb = openpyxl.Workbook()
        for row in SURVEY:
            wb.active.append(row)
        wb.save(path)
    else:
        path = tmp_path / "survey.jsonl"
        path.write_text("".join(json.dumps(dict(zip(SURVEY[0], r)), ensure_ascii=False) + "\n" for r in SURVEY[1:]),
                        encoding="utf-8")
    r = ws.ingest(path, source="survey", kind="survey")
    assert (r.inserted, r.rejected) == (5, 0)
    assert any("read 'What is the main reason for your score?' as the text" in m for m in r.messages), r.messages
    df = ws.feedback().set_index("external_id")
    assert df.loc["r2", "text"] == "The zipper broke after two weeks of light use"
    assert df.loc["r2", "nps"] == 3  # the NPS question is still read by its pattern
    assert df.loc["r5", "nps"] == 7  # a score without a comment is still an answer


def test_content_detection_takes_no_category_number_or_email_column(ws, write_csv):
    path = write_csv("crm.csv", [["Ticket", "Segment", "Owner", "Opened"],
                                 ["1", "Promoter", "ann@example.org", "2026-10-01"],
                                 ["2", "Promoter", "bob@example.org", "2026-10-02"],
                                 ["3", "Detractor", "cy@example.org", "2026-10-02"],
                                 ["4", "Passive", "dee@example.org", "2026-10-03"]])
    with pytest.raises(SourceError, match=r"cannot tell which column holds the feedback text; name it with --text"):
        ws.ingest(path)
    assert count(ws) == 0


def test_missing_required_column_is_a_clear_error_and_stores_nothing(ws, write_csv):
    path = write_csv("nocol.csv", [["id", "stars"], ["1", "5"]])
    with pytest.raises(SourceError, match=r"cannot tell which column holds the feedback text; name it with --text"):
        ws.ingest(path)
    with pytest.raises(ConfigError, match=r"no column 'body' for --text; columns: id, stars"):
        ws.ingest(path, text="body")
    assert count(ws) == 0


def test_cp949_korean_csv_is_detected(ws):
    path = FIXTURES / "korean_cp949.csv"
    r = ws.ingest(path)
    assert r.inserted == 4 and r.rejected == 0
    df = ws.feedback()
    assert df["text"].iloc[0] == "생각보다 무거워요. 들고 다니기 힘들어요"
    assert set(df["language"]) == {"ko"}
    assert df["rating"].tolist() == [2.0, 1.0, 5.0, 3.0]
    assert df["created_at"].dt.strftime("%Y-%m-%d").tolist() == ["2024-03-02", "2024-03-05", "2024-03-07", "2024-03-09"]


def test_encoding_option_overrides_detection(ws, tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("id,text\n1,Caf\xe9 cr\xe8me was too sweet\n".encode("latin-1"))
    ws.ingest(path, encoding="latin-1")
    assert ws.feedback()["text"].iloc[0] == "Café crème was too sweet"
    with pytest.raises(SourceError, match="unknown encoding 'klingon'"):
        ws.ingest(path, encoding="klingon")


def test_utf8_bom_header_is_clean(ws, write_csv):
    path = write_csv("bom.csv", [["text", "rating"], ["배송 빨라요", "5"]], encoding="utf-8-sig")
    assert ws.ingest(path).inserted == 1


def test_xlsx_survey_export_recognises_nps_and_csat(ws, tmp_path):
    import datetime as dt

    path = tmp_path / "survey.xlsx"
    wb = openpyxl.Workbook()
    sh = wb.active
    sh.append([None])  # a blank first row, as some tools write
    sh.append(["Response ID", "Submitted At", "How likely are you to recommend us to a friend?",
               "How satisfied were you with your order?", "Any comments?"])
    sh.append(["r1", dt.datetime(2024, 6, 1, 9, 30), 9, "Very satisfied", "Fast delivery, love it"])
    sh.append(["r2", dt.datetime(2024, 6, 2, 10, 0), 3, 2, "Arrived late and the box was crushed"])
    sh.append(["r3", dt.datetime(2024, 6, 3, 11, 0), 11, 4, "Out-of-range NPS"])
    wb.save(path)
    r = ws.ingest(path, text="Any comments?")
    assert r.inserted == 3 and r.warnings == 1
    assert f"{path} [Sheet], row 5: NPS must be a whole number 0-10" in r.messages[0]
    df = ws.feedback().set_index("external_id")
    assert df.loc["r1", "nps"] == 9 and df.loc["r1", "csat"] == 5
    assert df.loc["r2", "nps"] == 3 and df.loc["r2", "csat"] == 2
    assert df.loc["r1", "kind"] == "survey"
    assert str(df.loc["r1", "created_at"]) == "2024-06-01 09:30:00+00:00"
    assert ws.stats()["nps"] == {"responses": 2, "promoters": 1, "detractors": 1, "score": 0.0}


def test_json_array_nested_and_jsonl_with_a_bad_line(ws, tmp_path):
    doc = {"meta": {"page": 1}, "reviews": [
        {"id": 1, "body": "Heavier than expected", "user": {"name": "Ann"}, "stars": 2, "date": "2024-02-01"},
        {"id": 2, "body": "Perfect", "user": {"name": "Bo"}, "stars": 5, "date": "2024-02-02"},
    ]}
    jpath = tmp_path / "reviews.json"
    jpath.write_text(json.dumps(doc), encoding="utf-8")
    r = ws.ingest(jpath)
    assert r.inserted == 2
    df = ws.feedback()
    assert df["text"].tolist() == ["Heavier than expected", "Perfect"]
    assert df["rating"].tolist() == [2.0, 5.0]
    lpath = tmp_path / "posts.jsonl"
    lpath.write_text('{"id": "p1", "text": "battery drains overnight"}\n{"id": "p2", "text": oops}\n\n'
                     '{"id": "p3", "text": "충전이 안 돼요"}\n', encoding="utf-8")
    r = ws.ingest(lpath, source="forum")
    assert (r.inserted, r.rejected) == (2, 1)
    assert r.messages[0].startswith(f"{lpath}, row 2: invalid JSON")


def test_text_file_one_item_per_line(ws, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Strap broke after a week\n\n배송이 늦어요\n", encoding="utf-8")
    r = ws.ingest(path)
    assert r.inserted == 2
    assert ws.feedback()["language"].tolist() == ["en", "ko"]


def test_feedback_filters(ws, write_csv):
    path = write_csv("f.csv", [["id", "text", "rating", "date"],
                               ["1", "Too heavy", "1", "2024-01-01"], ["2", "너무 무거워요", "2", "2024-02-01"],
                               ["3", "Love it", "5", "2024-03-01"]])
    ws.ingest(path, created="date", source="a")
    assert ws.feedback(language="ko")["external_id"].tolist() == ["2"]
    assert ws.feedback(since="2024-01-15")["external_id"].tolist() == ["2", "3"]
    assert ws.feedback(rating=(1, 2))["external_id"].tolist() == ["1", "2"]
    assert ws.feedback(source="b").empty
    with pytest.raises(ConfigError, match="unknown feedback column"):
        ws.feedback(columns=["nope"])


def test_unknown_format_and_old_excel_have_clear_errors(ws, tmp_path):
    (tmp_path / "x.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(SourceError, match=r"old Excel .xls files are not supported; save it as .xlsx or .csv"):
        ws.ingest(tmp_path / "x.xls")
    (tmp_path / "x.dat").write_text("a")
    with pytest.raises(SourceError, match="cannot tell the format from the extension"):
        ws.ingest(tmp_path / "x.dat")
    with pytest.raises(ConfigError, match="unknown source 'cvs'; available: csv, json, jsonl, text, tsv, xlsx"):
        ws.ingest(tmp_path / "x.dat", format="cvs")


def test_search_finds_korean_by_prefix_and_english(ws, write_csv):
    path = write_csv("s.csv", [["text"], ["배송이 너무 늦어요"], ["Delivery was late again"], ["Love the colour"]])
    ws.ingest(path)
    assert ws.search("배송")["text"].tolist() == ["배송이 너무 늦어요"]
    assert ws.search("late delivery")["text"].tolist() == ["Delivery was late again"]


def test_a_survey_score_without_a_comment_is_stored_and_counts_in_nps(ws, write_csv):
    path = write_csv("nps.csv", [
        ["response_id", "How likely are you to recommend us? (0-10)", "Comments"],
        ["1", "10", "Love it"],
        ["2", "3", ""],            # a detractor who wrote nothing: still an answer
        ["3", "", ""],             # nothing at all: rejected
    ])
    r = ws.ingest(path, source="nps")
    assert (r.inserted, r.rejected) == (2, 1)
    assert any("row 4: empty text" in m for m in r.messages)
    assert ws.stats()["nps"]["responses"] == 2
    assert ws.analyze().feedback == 2  # the empty one is analysed to nothing, not an error


# -- bad input at the library level (the CLI cases are in test_bad_inputs.py) ----------------------

def test_encoding_is_judged_with_a_mojibake_check(tmp_path):
    from vocmine.collect.sources.encoding import decode_line, detect_encoding, reads_as

    latin = tmp_path / "latin.csv"
    latin.write_bytes("id,text\n1,café crème brûlée\n2,Größe passt nicht\n".encode("latin-1"))
    assert detect_encoding(latin) == "cp1252"
    late = tmp_path / "late.csv"
    late.write_bytes("id,text\n1,배송이 빨라요\n".encode("utf-8") + "2,무거워요\n".encode("cp949"))
    assert detect_encoding(late) == "utf-8"
    assert detect_encoding(FIXTURES / "korean_cp949.csv") == "cp949"
    # Cyrillic bytes decode as Windows-1252 but do not read as Latin words: not accepted as such.
    assert not reads_as("Привет, как дела".encode("cp1251").decode("cp1252"), "cp1252")
    assert reads_as("Déçu, la fermeture a cassé", "cp1252")
    # CP949 decodes UTF-8 Korean into mojibake without an error: a UTF-8 line in a CP949 file is UTF-8.
    assert decode_line("생각보다 무겁고 배송이 늦어요\n".encode("utf-8"), "cp949") == ("생각보다 무겁고 배송이 늦어요\n", "utf-8")
    assert decode_line("생각보다 무거워요\n".encode("cp949"), "utf-8") == ("생각보다 무거워요\n", "cp949")
    assert decode_line(b"\xff\xfe\x81\x9d\n", "utf-8")[1] is None


def test_utf16_and_multiline_fields_still_read(ws, tmp_path):
    path = tmp_path / "u16.csv"
    path.write_text('id,text\n1,"Line one, with a comma\nline two, also, commas"\n2,배송 빨라요\n', encoding="utf-16")
    r = ws.ingest(path)
    assert (r.inserted, r.rejected) == (2, 0), r.messages
    assert ws.feedback()["text"].tolist() == ["Line one, with a comma\nline two, also, commas", "배송 빨라요"]


def test_unterminated_quote_at_the_end_and_a_rerun_is_stable(ws, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('id,text\n1,Fine\n2,"never closed\n3,Also fine\n', encoding="utf-8")
    r = ws.ingest(path)
    assert (r.inserted, r.rejected) == (2, 1), r.messages
    assert sorted(ws.feedback()["text"]) == ["Also fine", "Fine"]
    again = ws.ingest(path)
    assert (again.inserted, again.unchanged, again.rejected) == (0, 2, 1)
    assert count(ws, "rejects") == 1


def test_duplicate_ids_keep_the_first_on_every_run(ws, write_csv):
    path = write_csv("ids.csv", [["id", "text"], ["a", "first"], ["b", "other"], ["a", "second"]])
    r = ws.ingest(path)
    assert (r.inserted, r.rejected) == (2, 1)
    assert any("row 4: id 'a' is also on row 2" in m for m in r.messages)
    again = ws.ingest(path)
    assert (again.inserted, again.updated, again.unchanged, again.rejected) == (0, 0, 2, 1)
    assert ws.feedback().set_index("external_id").loc["a", "text"] == "first"


@pytest.mark.parametrize("numbers, scale", [
    ([5, 4, 3, 2, 1, 11], 5.0), ([8, 9, 10, 7, 3, 6], 10.0), ([3, 8], 10.0), ([11], 100.0),
    ([70, 85, 92, 40, 100, 55], 100.0), ([4.5, 3, 5], 5.0),
])
def test_rating_scale_is_inferred_per_file(numbers, scale):
    from vocmine.collect.ingest import infer_rating_scale

    assert infer_rating_scale(numbers) == scale


def test_rating_scale_is_reported_and_applies_to_every_row(ws, write_csv):
    path = write_csv("tens.csv", [["id", "text", "score"]] + [[str(i), f"review {i}", str(r)]
                                                              for i, r in enumerate([8, 9, 10, 3, 2], start=1)])
    r = ws.ingest(path, rating="score")
    assert r.rating_scales == {str(path): 10.0}
    assert set(ws.feedback()["rating_scale"]) == {10.0}  # 3 and 2 are out of 10 too, not out of 5


def test_bad_options_are_config_errors_in_the_library(ws, write_csv):
    path = write_csv("a.csv", [["id", "text"], ["1", "Fine"]])
    with pytest.raises(ConfigError, match=r"delimiter ';;' cannot be used: give one character"):
        ws.ingest(path, delimiter=";;")
    with pytest.raises(ConfigError, match="max_chars must be a whole number of at least 1"):
        ws.ingest(path, max_chars=0)
    with pytest.raises(ConfigError, match="rating scale 7 is not one of 5, 10, 100"):
        ws.ingest(path, rating_scale=7)
    assert count(ws) == 0


def test_json_columns_come_from_the_first_records_together(ws, tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"id": "1", "text": "no rating here"}\n{"id": "2", "text": "rated", "stars": 2}\n',
                    encoding="utf-8")
    ws.ingest(path)
    assert ws.feedback().set_index("external_id").loc["2", "rating"] == 2.0


def test_xlsx_serial_dates_use_the_workbook_date_system(ws, tmp_path):
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    path = tmp_path / "mac.xlsx"
    wb = openpyxl.Workbook()
    wb.epoch = CALENDAR_MAC_1904
    wb.active.append(["id", "text", "date"])
    wb.active.append(["1", "Old Mac workbook", 43661.5])  # 2023-07-16 12:00 in the 1904 system
    wb.save(path)
    ws.ingest(path)
    assert str(ws.feedback()["created_at"].iloc[0]) == "2023-07-16 12:00:00+00:00"


def test_excel_serial_dates_in_text():
    from vocmine.core.dates import parse_datetime

    assert parse_datetime("45123.5") == "2023-07-16T12:00:00Z"
    assert parse_datetime(45123) == "2023-07-16T00:00:00Z"
    assert parse_datetime(1714521600) == "2024-05-01T00:00:00Z"  # epoch seconds are still epoch seconds


def test_jsonl_deep_line_and_values_that_are_lists(ws, tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_text('{"id": "1", "text": "ok", "tags": ["a", {"b": "c@example.com"}]}\n'
                    + '{"id": "2", "text": ' + "[" * 50_000 + "]" * 50_000 + "}\n"
                    + '{"id": "3", "text": "also ok", "product": ["x"]}\n', encoding="utf-8")
    r = ws.ingest(path)
    assert (r.inserted, r.rejected, r.warnings) == (2, 1, 1), r.messages
    assert f"{path}, row 2: record nested more than 64 levels deep" in r.messages[0]
    raw = json.loads(ws.db.conn.execute("select raw from feedback where external_id = '1'").fetchone()[0])
    assert raw["tags"] == ["a", {"b": "[EMAIL]"}]  # kept, and redacted inside lists too
