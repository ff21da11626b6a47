"""``vocmine export``: views and tables to csv, parquet, xlsx and jsonl, redacted text only."""
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from vocmine.cli import cli
from vocmine.core.errors import ConfigError
from vocmine.tell.export import FORMATS, export, names

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PLANTED = [json.loads(line) for line in (FIXTURES / "planted_pii.jsonl").read_text(encoding="utf-8").splitlines()]
COMPLAINTS = ["The battery drains fast and the battery dies overnight.",
              "Battery drains fast after the update, very annoying.",
              "=HYPERLINK(\"http://x\") the screen flickers and the battery drains fast.",
              "배송이 너무 느려요. 배송이 늦어요.",
              "배송이 느려요 정말 실망했어요.",
              "The strap broke after a week, the strap is cheap."]


@pytest.fixture
def filled(ws, write_csv):
    secrets = [p for p in PLANTED if p["lang"] == "en"][:6]
    rows = [["id", "text", "rating", "created", "email"]]
    for i, text in enumerate(COMPLAINTS + [p["text"] for p in secrets]):
        rows.append([str(i), text, "1" if i % 2 else "2", f"2026-11-{(i % 20) + 1:02d}", f"user{i}@example.org"])
    ws.ingest(write_csv("fb.csv", rows), source="app", contact="email")
    ws.analyze()
    return ws, [p["secret"] for p in secrets] + [f"user{i}@example.org" for i in range(len(rows) - 1)]


def test_parquet_reads_back_as_ws_phrases(filled, tmp_path, monkeypatch):
    ws, _ = filled
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["--db", str(ws.path), "export", "phrases", "--format", "parquet"])
    assert result.exit_code == 0, result.output
    want = ws.phrases(limit=None)
    assert len(want) > 0
    assert f"wrote {len(want):,} rows to phrases.parquet" in result.output
    got = pd.read_parquet(tmp_path / "phrases.parquet")
    assert list(got["phrase"]) == list(want["phrase"])
    assert list(got["customers"]) == list(want["customers"])
    assert [list(x) for x in got["examples"]] == [list(x) for x in want["examples"]]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx"])
def test_round_trips_keep_rows_and_lists(filled, tmp_path, fmt):
    ws, _ = filled
    want = ws.phrases(limit=None)
    out = tmp_path / f"p.{fmt}"
    res = export(ws, "phrases", out=out)  # format from the suffix
    assert res == {"name": "phrases", "format": fmt, "path": str(out), "rows": len(want)}
    if fmt == "jsonl":
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        examples = [r["examples"] for r in rows]
    else:
        df = pd.read_csv(out) if fmt == "csv" else pd.read_excel(out)
        rows = df.to_dict(orient="records")
        examples = [json.loads(x) for x in df["examples"]]
    assert [r["phrase"] for r in rows] == list(want["phrase"])
    assert [int(r["customers"]) for r in rows] == list(want["customers"])
    assert examples == [list(x) for x in want["examples"]]


def test_no_planted_contact_in_any_export(filled, tmp_path):
    ws, secrets = filled
    assert ws.db.conn.execute("select count(*) from contacts").fetchone()[0] > 0  # the contacts are stored
    ws.add_ticket("T-1", "Battery drains fast", body="Reported by tina.tracker@example.org, call 010-9876-5432")
    key = ws.db.conn.execute("select value from settings where key = 'pseudonym_key'").fetchone()[0]
    secrets = [*secrets, "tina.tracker@example.org", "010-9876-5432", key]
    done = 0
    for name in names(ws):
        for fmt in FORMATS:
            out = tmp_path / f"{name}.{fmt}"
            try:
                export(ws, name, format=fmt, out=out)
            except ConfigError as e:  # a view with nothing to show yet may say so
                pytest.fail(f"{name} {fmt}: {e}")
            data = out.read_bytes()
            if fmt == "xlsx":
                import zipfile
                with zipfile.ZipFile(out) as z:
                    data = b"".join(z.read(n) for n in z.namelist())
            for secret in secrets:
                assert secret.encode() not in data, (name, fmt, secret)
            done += 1
    assert done >= 4 * 9
    assert "feedback" in names(ws) and "notifications" in names(ws)


@pytest.mark.parametrize("name", ["contacts", "contacts.contact", "notifications.contact", "originals", "settings", "tickets.body",
                                  "feedback.raw", "original_text"])
def test_refused_names(filled, tmp_path, name):
    ws, _ = filled
    with pytest.raises(ConfigError, match="never exported"):
        export(ws, name, out=tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()
    result = CliRunner().invoke(cli, ["--db", str(ws.path), "export", name, "--out", str(tmp_path / "y.csv")])
    assert result.exit_code != 0 and "never exported" in result.output
    if name == "contacts":
        assert "contacts holds personal data and is never exported" in result.output


def test_unknown_name_lists_known(filled, tmp_path):
    ws, _ = filled
    with pytest.raises(ConfigError) as e:
        export(ws, "nope", out=tmp_path / "x.csv")
    assert "unknown name 'nope'" in str(e.value) and "phrases" in str(e.value) and "feedback" in str(e.value)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_injection_neutralised(filled, tmp_path, fmt):
    ws, _ = filled
    out = tmp_path / f"f.{fmt}"
    export(ws, "feedback", out=out)
    if fmt == "csv":
        texts = list(pd.read_csv(out)["text"])
    else:
        from openpyxl import load_workbook
        sheet = load_workbook(out).active
        header = [c.value for c in sheet[1]]
        col = header.index("text")
        cells = [row[col] for row in sheet.iter_rows(min_row=2)]
        assert all(c.data_type != "f" for c in cells)
        texts = [c.value for c in cells]
    formula = [t for t in texts if "HYPERLINK" in t]
    assert formula and all(t.startswith("'=") for t in formula)


def test_trends_by_phrase_and_period(filled, tmp_path):
    ws, _ = filled
    out = tmp_path / "t.csv"
    result = CliRunner().invoke(cli, ["--db", str(ws.path), "export", "trends", "--by", "phrase", "--period", "day",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out)
    want = ws.trends(by="phrase", period="day")
    assert len(got) == len(want) > 0 and set(got["period"]) == set(want["period"].astype(str))
    assert set(got["name"]) == set(want["name"])
    result = CliRunner().invoke(cli, ["--db", str(ws.path), "export", "phrases", "--by", "topic",
                                      "--out", str(tmp_path / "p.csv")])
    assert result.exit_code != 0 and "phrases does not take --by" in result.output


def test_existing_file_needs_force_and_stdout(filled, tmp_path):
    ws, _ = filled
    out = tmp_path / "t.jsonl"
    export(ws, "feedback", out=out)
    with pytest.raises(ConfigError, match="exists"):
        export(ws, "feedback", out=out)
    assert export(ws, "feedback", out=out, force=True)["rows"] == len(ws.feedback())
    result = CliRunner().invoke(cli, ["--db", str(ws.path), "export", "feedback", "--format", "jsonl", "--out", "-",
                                      "--lang", "ko"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert rows and {r["language"] for r in rows} == {"ko"}
    assert len(rows) == len(ws.feedback(language="ko"))
    assert list(tmp_path.glob(".*.tmp")) == []
