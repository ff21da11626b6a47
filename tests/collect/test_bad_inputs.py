"""Every hostile input a careless or unlucky user gives `vocmine ingest`, through the real CLI.

Each case writes real files to tmp_path, runs the command on a real workspace and asserts the
exact outcome: rows stored, the message (naming file, row and field) and the exit code. The same
runs generate the table in docs/reliability.md; the last test fails when the committed table
differs. Rewrite it with:

    VOCMINE_WRITE_DOCS=1 .venv/bin/python -m pytest -q tests/collect/test_bad_inputs.py
"""
from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import openpyxl
import pytest
from click.testing import CliRunner

from vocmine.cli.main import cli

DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"
START, END = "<!-- bad-inputs:start -->", "<!-- bad-inputs:end -->"


@dataclass
class Case:
    name: str
    input: str  # what the file holds, in words
    does: str  # what vocmine does about it, in words
    build: Callable[[Path], list[str]]  # writes the file(s), returns the CLI arguments after 'ingest'
    exit_code: int
    stored: int | None  # feedback rows in the workspace afterwards (None: the command did not run)
    message: str  # a message the run must print (the doc shows the whole line holding it)
    check: Callable[[sqlite3.Connection, str], None] | None = None  # more assertions on the stored rows


def _write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def _rows(conn: sqlite3.Connection, sql: str) -> list[tuple]:
    return conn.execute(sql).fetchall()


# -- the cases ------------------------------------------------------------------------------------

def _json_lists(tmp: Path) -> list[str]:
    lines = [
        {"id": "1", "text": "The zipper broke on day two", "tags": ["zipper", "quality"], "meta": {"app": {"v": 3}}},
        {"id": "2", "text": ["a", "list"]},
        {"id": "3", "text": 42},
        {"id": "4", "text": "Fine bag, strap is thin", "rating": [5], "author": {"name": "x"}},
    ]
    _write(tmp / "lists.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n")
    return [str(tmp / "lists.jsonl")]


def _check_lists(conn: sqlite3.Connection, out: str) -> None:
    raw = json.loads(conn.execute("select raw from feedback where external_id = '1'").fetchone()[0])
    assert raw["tags"] == ["zipper", "quality"]  # lists are kept in raw
    assert "rows were rejected" not in out
    assert "lists.jsonl, row 3: text is a number (42), not words" in out
    assert "lists.jsonl, row 4: rating holds a list, not one value" in out


def _deep(tmp: Path) -> list[str]:
    deep = "[" * 100_000 + "]" * 100_000
    _write(tmp / "deep.json", '[{"id": "1", "text": "Lid cracked in the cold"}, ' + deep
           + ', {"id": "2", "text": "Straps are comfortable"}]')
    return [str(tmp / "deep.json")]


def _bad_delimiter(tmp: Path) -> list[str]:
    _write(tmp / "semi.csv", "id;;text\n1;;Too heavy\n")
    return [str(tmp / "semi.csv"), "--delimiter", ";;"]


def _binary_row(tmp: Path) -> list[str]:
    data = ("id,text\n1,배송이 빨라요\n2,Zipper is sturdy\n".encode("utf-8")
            + b"3,\xff\xfe\x00\x81\x9d\xc0\xc1\xf5\xfa garbage\x8d\x8f\n"
            + "4,생각보다 무거워요\n".encode("utf-8"))
    _write(tmp / "binary.csv", data)
    return [str(tmp / "binary.csv")]


def _not_text(tmp: Path) -> list[str]:
    import random

    rnd = random.Random(13)  # fixed bytes: the same file, and message, on every run
    _write(tmp / "photo.csv", bytes(rnd.randrange(256) for _ in range(4000)))
    return [str(tmp / "photo.csv")]


def _latin1(tmp: Path) -> list[str]:
    _write(tmp / "latin.csv", "id,text\n1,café crème brûlée was too sweet\n2,Déçu: la fermeture a cassé\n"
           .encode("latin-1"))
    return [str(tmp / "latin.csv")]


def _check_latin1(conn: sqlite3.Connection, out: str) -> None:
    texts = [t for (t,) in _rows(conn, "select text from feedback order by external_id")]
    assert texts == ["café crème brûlée was too sweet", "Déçu: la fermeture a cassé"]


def _late_cp949(tmp: Path) -> list[str]:
    data = "id,text\n1,배송이 빨라요\n2,포장이 꼼꼼해요\n3,Strap broke\n".encode("utf-8") + \
        "4,생각보다 무거워요\n".encode("cp949")
    _write(tmp / "mixed.csv", data)
    return [str(tmp / "mixed.csv")]


def _check_late_cp949(conn: sqlite3.Connection, out: str) -> None:
    assert conn.execute("select text from feedback where external_id = '4'").fetchone()[0] == "생각보다 무거워요"


def _dup_columns(tmp: Path) -> list[str]:
    _write(tmp / "dupcols.csv", "id,text,text\n1,Battery dies fast,Charger is fine\n")
    return [str(tmp / "dupcols.csv")]


def _check_dup_columns(conn: sqlite3.Connection, out: str) -> None:
    text, raw = conn.execute("select text, raw from feedback").fetchone()
    assert text == "Battery dies fast"
    assert json.loads(raw)["text_2"] == "Charger is fine"


def _excel_serial(tmp: Path) -> list[str]:
    wb = openpyxl.Workbook()
    sh = wb.active
    sh.append(["id", "text", "date"])
    sh.append(["r1", "Arrived crushed", 45123.5])  # a date cell that lost its date format
    wb.save(tmp / "dates.xlsx")
    _write(tmp / "dates.csv", "id,text,date\nc1,Late delivery,45123.5\n")
    return [str(tmp / "dates.xlsx"), str(tmp / "dates.csv"), "--source", "survey"]


def _check_excel_serial(conn: sqlite3.Connection, out: str) -> None:
    assert {d for (d,) in _rows(conn, "select created_at from feedback")} == {"2023-07-16T12:00:00Z"}


def _excel_errors(tmp: Path) -> list[str]:
    _write(tmp / "errors.csv", "id,text,rating\n1,#DIV/0!,4\n2,Good value for money,#N/A\n3,Sturdy,#VALUE!\n")
    return [str(tmp / "errors.csv")]


def _check_excel_errors(conn: sqlite3.Connection, out: str) -> None:
    assert _rows(conn, "select external_id, rating from feedback order by external_id") == [("2", None), ("3", None)]
    assert "errors.csv, row 3: rating is the Excel error #N/A (a formula that failed); left empty" in out


def _rating_11(tmp: Path) -> list[str]:
    _write(tmp / "stars.csv", "id,text,stars\n" + "".join(
        f"{i},review number {i},{r}\n" for i, r in enumerate([5, 4, 3, 2, 1, 11], start=1)))
    return [str(tmp / "stars.csv")]


def _check_rating_11(conn: sqlite3.Connection, out: str) -> None:
    assert _rows(conn, "select distinct rating_scale from feedback where rating is not null") == [(5.0,)]
    assert conn.execute("select rating from feedback where external_id = '6'").fetchone()[0] is None
    assert "stars.csv: ratings read on a 0-5 scale (inferred from the file's values" in out


def _rating_scale_given(tmp: Path) -> list[str]:
    _write(tmp / "tens.csv", "id,text,score\n1,Good,7\n2,Bad,11\n")
    return [str(tmp / "tens.csv"), "--rating", "score", "--rating-scale", "10"]


def _nps_fraction(tmp: Path) -> list[str]:
    _write(tmp / "nps.csv", "response_id,NPS,comment\n1,9.5,Quick shipping\n2,10 - extremely likely,Love it\n")
    return [str(tmp / "nps.csv")]


def _check_nps(conn: sqlite3.Connection, out: str) -> None:
    assert _rows(conn, "select external_id, nps from feedback order by external_id") == [("1", None), ("2", 10)]


def _dup_ids(tmp: Path) -> list[str]:
    _write(tmp / "ids.csv", "id,text\na1,First version of the review\na2,Another one\na1,Second text for a1\n")
    return [str(tmp / "ids.csv")]


def _check_dup_ids(conn: sqlite3.Connection, out: str) -> None:
    assert conn.execute("select text from feedback where external_id = 'a1'").fetchone()[0] == \
        "First version of the review"


def _runaway_quote(tmp: Path) -> list[str]:
    _write(tmp / "quote.csv", 'id,text,rating\n1,"Broken quote review,2\n2,Good row,4\n'
           '3,"Quoted, and fine",5\n4,Last row,3\n')
    return [str(tmp / "quote.csv")]


def _check_runaway(conn: sqlite3.Connection, out: str) -> None:
    assert _rows(conn, "select external_id, text from feedback order by external_id") == [
        ("2", "Good row"), ("3", "Quoted, and fine"), ("4", "Last row")]


def _sep_line(tmp: Path) -> list[str]:
    _write(tmp / "excel.csv", "sep=;\nid;text;rating\n1;Too small, sadly;2\n2;Perfect fit;5\n")
    return [str(tmp / "excel.csv")]


def _check_sep(conn: sqlite3.Connection, out: str) -> None:
    assert _rows(conn, "select text, rating from feedback order by external_id") == [
        ("Too small, sadly", 2.0), ("Perfect fit", 5.0)]


def _max_chars_zero(tmp: Path) -> list[str]:
    _write(tmp / "any.csv", "id,text\n1,Fine\n")
    return [str(tmp / "any.csv"), "--max-chars", "0"]


def _all_rejected(tmp: Path) -> list[str]:
    _write(tmp / "empty_texts.csv", "id,text\n1,\n2,   \n")
    return [str(tmp / "empty_texts.csv")]


def _xml_forbidden(tmp: Path) -> list[str]:
    _write(tmp / "ctl.csv", "id,text\n1,Colour \x1b[31mfaded\x1b[0m after one wash\n2,Nice\ufffe bag\uffff\n")
    _write(tmp / "ctl.jsonl", '{"id": "j1", "text": "Lone \\ud800 surrogate here"}\n')
    return [str(tmp / "ctl.csv"), str(tmp / "ctl.jsonl"), "--source", "mixed"]


def _check_xml(conn: sqlite3.Connection, out: str) -> None:
    texts = [t for (t,) in _rows(conn, "select text from feedback order by external_id")]
    assert texts == ["Colour [31mfaded[0m after one wash", "Nice bag", "Lone  surrogate here"]


PLANTED = ("Jenny Kowalski", "jenny.k@example.com", "010-1234-5678")


def _private(tmp: Path) -> list[str]:
    _write(tmp / "pii.csv",
           "id,text,rating,author,email\n"
           "1,Great fit,seven,Jenny Kowalski,jenny.k@example.com\n"  # stored, rating dropped
           ",,4,Jenny Kowalski,jenny.k@example.com\n"  # rejected: empty text
           "3,Jenny Kowalski here: call 010-1234-5678,9/5,Jenny Kowalski,jenny.k@example.com\n"
           "4,Too short a row,Jenny Kowalski\n")  # rejected: wrong field count
    return [str(tmp / "pii.csv"), "--contact", "email"]


def _check_private(conn: sqlite3.Connection, out: str) -> None:
    raw = json.dumps(_rows(conn, "select raw, reason from rejects"), ensure_ascii=False)
    for planted in PLANTED:
        assert planted not in raw


CASES = [
    Case("list or object values (JSON)", "JSONL with `\"tags\": [\"zipper\"]`, a text that is a list, a text "
         "that is a number, a rating that is a list",
         "lists and objects are kept in `raw`; a text that is not text rejects its row; another field that is "
         "not one value is dropped", _json_lists, 0, 2, "lists.jsonl, row 2: text holds a list, not text",
         _check_lists),
    Case("100,000 nested brackets", "a JSON array whose second element is 100,000 levels deep",
         "that element is rejected, the others are stored", _deep, 0, 2,
         "deep.json, row 2: record nested more than 64 levels deep", None),
    Case("`--delimiter ';;'`", "a delimiter of two characters", "usage error before anything is read (exit 2)",
         _bad_delimiter, 2, None, "Invalid value for '--delimiter': ';;' is not one character", None),
    Case("a binary row in a UTF-8 CSV", "one row of bytes that are no text in any encoding",
         "that row alone is rejected", _binary_row, 0, 3, "binary.csv, row 4: line 4 is not UTF-8 text", None),
    Case("a file that is no text", "4,000 random bytes named `.csv`",
         "the file is refused with the reason, exit 1 (nothing else was in it)", _not_text, 1, 0,
         "photo.csv: cannot tell the text encoding", None),
    Case("a Latin-1 file", "`café crème brûlée` saved as Latin-1 / Windows-1252",
         "read as Windows-1252 (checked: the words read as Latin text), and says so", _latin1, 0, 2,
         "latin.csv: read as Windows-1252/Latin-1 (detected", _check_latin1),
    Case("a late CP949 row in a UTF-8 file", "three UTF-8 rows, then one saved as CP949",
         "that row is read as CP949 (it reads as Hangul), and the run says which rows", _late_cp949, 0, 4,
         "mixed.csv: 1 row(s) were not UTF-8 and were read as CP949/EUC-KR (rows 5)", _check_late_cp949),
    Case("duplicate column names", "a header `id,text,text`",
         "both kept: the second is read as `text_2`, and the run says so", _dup_columns, 0, 1,
         "dupcols.csv: columns 2 and 3 are both named 'text'; column 3 is read as 'text_2'", _check_dup_columns),
    Case("Excel serial dates", "45123.5 in an .xlsx date cell without date format, and in a CSV date column",
         "read as an Excel date: 2023-07-16 12:00 UTC", _excel_serial, 0, 2, "2 new", _check_excel_serial),
    Case("Excel error cells", "`#DIV/0!` as a text, `#N/A` and `#VALUE!` as ratings",
         "an error text is no review (row rejected); an error elsewhere is an empty value, with a message",
         _excel_errors, 0, 2, "errors.csv, row 2: text is the Excel error #DIV/0! (a formula that failed), "
         "not a review", _check_excel_errors),
    Case("rating 11 among star ratings", "ratings 5, 4, 3, 2, 1, 11 and no `--rating-scale`",
         "one scale per file, inferred (0-5) and reported; 11 is dropped from its row with a message",
         _rating_11, 0, 6, "stars.csv, row 7: rating 11 is outside the scale 0-5", _check_rating_11),
    Case("`--rating-scale 10`", "ratings 7 and 11 with the scale given",
         "11 is dropped from its row with a message", _rating_scale_given, 0, 2,
         "tens.csv, row 3: rating 11 is outside the scale 0-10", None),
    Case("NPS 9.5", "an NPS answer of `9.5` (and one of `10 - extremely likely`)",
         "9.5 is dropped from its row with a message; `10 - ...` is 10", _nps_fraction, 0, 2,
         "nps.csv, row 2: NPS must be a whole number 0-10, got '9.5'", _check_nps),
    Case("the same id twice in one file", "id `a1` on rows 2 and 4",
         "the first row is kept (a re-run stays stable), the second rejected naming both rows", _dup_ids, 0, 2,
         "ids.csv, row 4: id 'a1' is also on row 2; the first is kept", _check_dup_ids),
    Case("an unterminated quote", "row 2 opens a quote it never closes; three good rows follow",
         "that row is rejected and the lines it swallowed are read as rows", _runaway_quote, 0, 3,
         "quote.csv, row 2: a quote opened on line 2 is never closed", _check_runaway),
    Case("Excel's `sep=;` line", "a first line `sep=;`, then a `;`-separated header and rows",
         "the delimiter is taken from it", _sep_line, 0, 2, "2 new", _check_sep),
    Case("`--max-chars 0`", "a limit that would reject every text", "usage error (exit 2)", _max_chars_zero,
         2, None, "Invalid value for '--max-chars': 0 is not in the range x>=1", None),
    Case("every row rejected", "a file whose texts are all empty",
         "exit code 1, with each reason", _all_rejected, 1, 0,
         "nothing stored: all 2 rows were rejected", None),
    Case("XML-forbidden characters", "ESC, U+FFFE and U+FFFF in CSV texts; a lone surrogate (`\\ud800`) in JSON",
         "removed from the stored text, counted in the run", _xml_forbidden, 0, 3,
         "ctl.csv: removed characters that XML forbids (control characters, U+FFFE/U+FFFF, lone surrogates) "
         "from 2 text(s)", _check_xml),
    Case("personal data in rejected rows", "author, email and phone in rows that are rejected or lose a field",
         "`rejects.raw` holds a pseudonym, no contact and redacted text (`vocmine rejects --json` too)",
         _private, 0, 2, "pii.csv, row 3: empty text", _check_private),
]

_RESULTS: dict[str, tuple[str, str]] = {}  # case name -> (outcome, message line), for the doc table


def _run_case(case: Case, tmp: Path) -> tuple[str, str]:
    args = case.build(tmp)
    db = tmp / "voc.db"
    runner = CliRunner()
    r = runner.invoke(cli, ["--db", str(db), "ingest", *args])
    out = r.output.replace(str(tmp) + os.sep, "")
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exc_info
    assert "Traceback" not in out
    assert r.exit_code == case.exit_code, out
    line = next((ln for ln in out.splitlines() if case.message in ln), None)
    assert line is not None, f"{case.message!r} not in:\n{out}"
    if case.stored is None:
        assert not db.exists() or sqlite3.connect(db).execute("select count(*) from feedback").fetchone()[0] == 0
        outcome = f"exit {r.exit_code}, nothing read"
    else:
        conn = sqlite3.connect(db)
        stored = conn.execute("select count(*) from feedback").fetchone()[0]
        skipped = conn.execute("select count(*) from rejects where action = 'skipped'").fetchone()[0]
        dropped = conn.execute("select count(*) from rejects where action = 'field dropped'").fetchone()[0]
        assert stored == case.stored, out
        if case.check:
            case.check(conn, out)
        conn.close()
        outcome = f"{stored} stored, {skipped} rejected" + (f", {dropped} field(s) dropped" if dropped else "") + \
            f"; exit {r.exit_code}"
    if case.name.startswith("personal data"):
        rj = runner.invoke(cli, ["--db", str(db), "rejects", "--json"])
        assert rj.exit_code == 0, rj.output
        assert len(json.loads(rj.output)) == 4  # 2 rows rejected, 2 fields dropped (rating on rows 2 and 4)
        for planted in PLANTED:
            assert planted not in rj.output
    return outcome, line.strip()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, tmp_path: Path) -> None:
    _RESULTS[case.name] = _run_case(case, tmp_path)


def _cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def render_table(results: dict[str, tuple[str, str]]) -> str:
    """Return the Markdown table of every case: case | input | what vocmine does | outcome | message."""
    lines = ["| case | input | what vocmine does | outcome | message |", "|---|---|---|---|---|"]
    for c in CASES:
        outcome, message = results[c.name]
        lines.append(f"| {_cell(c.name)} | {_cell(c.input)} | {_cell(c.does)} | {outcome} | `{_cell(message)}` |")
    return "\n".join(lines)


def test_reliability_doc_table_is_current(tmp_path_factory: pytest.TempPathFactory) -> None:
    for c in CASES:
        if c.name not in _RESULTS:  # run alone (-k): run the cases here
            _RESULTS[c.name] = _run_case(c, tmp_path_factory.mktemp("case"))
    table = render_table(_RESULTS)
    text = DOC.read_text(encoding="utf-8")
    assert START in text and END in text, f"{DOC} lost its {START} / {END} markers"
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    fresh = f"{before}{START}\n{table}\n{END}{after}"
    if os.environ.get("VOCMINE_WRITE_DOCS"):
        DOC.write_text(fresh, encoding="utf-8")
        return
    assert fresh == text, ("docs/reliability.md is out of date; rewrite it with "
                           "VOCMINE_WRITE_DOCS=1 .venv/bin/python -m pytest -q tests/collect/test_bad_inputs.py")
