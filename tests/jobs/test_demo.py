"""The demo as a new user meets it: `vocmine demo DIR` builds a real, analysed workspace."""
import json
import sqlite3

from click.testing import CliRunner

from vocmine.cli.main import cli
from vocmine.jobs.demo_data import generate


def _db(demo_dir):
    return sqlite3.connect(demo_dir / "vocmine.db")


def test_demo_counts_match_the_generated_sample(demo_dir):
    data = generate(seed=7)
    conn = _db(demo_dir)
    by_source = dict(conn.execute("select source, count(*) from feedback group by source"))
    # every survey answer is stored, the ones with a score and no comment too (NPS needs them)
    assert by_source == {"webstore": len(data.reviews), "nps-survey": len(data.survey)}
    blank = sum(1 for s in data.survey if not (s["comment"] or "").strip())
    assert blank > 20
    assert conn.execute("select count(*) from feedback where source = 'nps-survey' and text = '' "
                        "and nps is not null").fetchone()[0] == blank
    assert conn.execute("select count(*) from tickets").fetchone()[0] == len(data.tickets)
    langs = dict(conn.execute("select language, count(*) from feedback group by language"))
    assert langs["en"] > 1000 and langs["ko"] > 500
    # every stored row was analysed
    assert conn.execute("select count(*) from feedback f left join analyzed a on a.feedback_id = f.id "
                        "where a.feedback_id is null").fetchone()[0] == 0


def test_demo_rebuild_adds_nothing(demo_dir, tmp_path):
    runner = CliRunner()
    first = runner.invoke(cli, ["demo", str(tmp_path / "d")])
    assert first.exit_code == 0, first.output
    again = runner.invoke(cli, ["demo", str(tmp_path / "d")])
    assert again.exit_code == 0, again.output
    assert "ingest webstore_reviews.csv: 2,400 rows, 0 new, 2,400 unchanged" in again.output
    assert "analyze: 0 feedback rows" in again.output
    assert "ingest tickets.json: 6 tickets, 0 new" in again.output
    assert "\r" not in again.output


def test_planted_personal_data_never_reaches_analysed_text(demo_dir):
    data = generate(seed=7)
    planted = {p for item in data.reviews + data.survey for p in item.get("_pii_values", ())}
    assert len(planted) > 50
    conn = _db(demo_dir)
    public = json.dumps([
        conn.execute("select text, title, raw, author from feedback").fetchall(),
        conn.execute("select * from feedback_fts").fetchall(),
        conn.execute("select text from segments").fetchall(),
        conn.execute("select variant from phrase_mentions").fetchall(),
    ], ensure_ascii=False)
    leaked = sorted(p for p in planted if p in public)
    assert not leaked, leaked[:10]
