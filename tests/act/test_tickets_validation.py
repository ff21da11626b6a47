"""One ticket write path, one status vocabulary, and tickets that do not check out reported by key, never fatal."""
import csv
import json
import shutil

import pytest
from click.testing import CliRunner

import vocmine
from vocmine.act import loop
from vocmine.cli.main import cli
from vocmine.act.trackers import normalise_status
from vocmine.act.trackers.status import DONE_WORDS

from fakes import FakeApi


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """A small analysed workspace: customers say "heavier than expected" in September 2026."""
    root = tmp_path_factory.mktemp("analysed")
    rows = [["id", "text", "created", "author"]]
    rows += [[f"r{i}", f"The backpack is heavier than expected, order {i}.", f"2026-09-{1 + i:02d}", f"a{i}"]
             for i in range(8)]
    rows += [[f"s{i}", f"Lovely colour, bag {i}.", f"2026-10-{1 + i:02d}", f"b{i}"] for i in range(4)]
    with open(root / "r.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    with vocmine.open(root / "base.db") as ws:
        ws.ingest([root / "r.csv"], text="text", id="id", created="created", author="author")
        ws.analyze()
    return root / "base.db"


@pytest.fixture
def aws(analysed, tmp_path):
    shutil.copy(analysed, tmp_path / "v.db")
    w = vocmine.open(tmp_path / "v.db")
    yield w
    w.close()


def _stored(ws):
    return {k: (s, d) for k, s, d in ws.db.conn.execute("select key, status, done_at from tickets")}


def test_fixed_is_done_and_yields_an_entry_whichever_path_stored_it(aws):
    aws.add_ticket("L-1", "Lighter frame", status="fixed", done_at="2026-09-20")
    aws.add_tickets([{"key": "J-1", "title": "Lighter lid", "status": "fixed", "done_at": "2026-09-21"}],
                    tracker="json")
    stored = _stored(aws)
    assert stored["L-1"] == ("done", "2026-09-20T00:00:00Z")
    assert stored["J-1"] == ("done", "2026-09-21T00:00:00Z")  # was "fixed": no entry from weekly or the demo
    for key in ("L-1", "J-1"):
        aws.accept_link(key, "heavier than expected")
    assert sorted(e["ticket"] for e in aws.build_entries()) == ["J-1", "L-1"]
    listed = aws.tickets().set_index("key")
    assert listed.loc["J-1", "tracker_status"] == "fixed" and listed.loc["J-1", "status"] == "done"


def test_one_vocabulary_every_done_word_is_done_where_entries_are_built():
    assert loop.DONE is DONE_WORDS
    assert {normalise_status(w) for w in DONE_WORDS} == {"done"}
    for words in ("Fixed", "SHIPPED", "Won't fix"):
        assert (normalise_status(words, "") == "done") == (words.lower() in DONE_WORDS)


def test_bad_date_and_unknown_status_are_reported_by_key_stored_empty_and_kept_out_of_entries(aws):
    new = aws.add_tickets([
        {"key": "B-1", "title": "Frame", "status": "fixed", "done_at": "yesterday-ish"},
        {"key": "B-2", "title": "Lid", "status": "waiting on vendor", "done_at": "2026-09-22"},
        {"key": "B-3", "title": ["not", "text"], "status": "done", "done_at": "2026-09-23", "labels": {"a": 1}},
        {"title": "no key at all", "status": "done"},
        {"key": "B-4", "title": "Good one", "status": "shipped", "done_at": "2026-09-24"},
    ], tracker="json")
    assert new == 4  # the one without a key is left out
    run = aws.runs("tickets-import").iloc[0]
    counts = json.loads(run.counts)
    assert (counts["new"], counts["invalid"], counts["left_out"]) == (4, 3, 1)
    problems = counts["problems"]
    assert "tracker 'json', ticket 'B-1': field done_at: 'yesterday-ish' is not a date (use ISO-8601 such as " \
           "2026-09-23); stored without a done date, so no entry is built from it" in problems
    assert any(p.startswith("tracker 'json', ticket 'B-2': field status: unknown status 'waiting on vendor'")
               and p.endswith("stored as open, so it is never taken for shipped") for p in problems)
    assert any(p.startswith("tracker 'json', ticket 'B-3': field title:") for p in problems)
    assert any(p.startswith("tracker 'json', ticket 'B-3': field labels:") for p in problems)
    assert any(p.startswith("tracker 'json', item 4 ('no key at all'): no key; left out") for p in problems)
    stored = _stored(aws)
    assert stored["B-1"] == ("done", None) and stored["B-2"] == ("open", "2026-09-22T00:00:00Z")
    raw = json.loads(aws.db.conn.execute("select raw from tickets where key = 'B-1'").fetchone()[0])
    assert raw["invalid"] == {"done_at": "yesterday-ish"} and raw["tracker_status"] == "fixed"
    for key in ("B-1", "B-2", "B-3", "B-4"):
        aws.accept_link(key, "heavier than expected")
    assert sorted(e["ticket"] for e in aws.build_entries()) == ["B-3", "B-4"]
    # Fixed by hand: the problems go with it, and the entry comes.
    aws.update_ticket("B-1", tracker="json", done_at="2026-09-25")
    raw = json.loads(aws.db.conn.execute("select raw from tickets where key = 'B-1'").fetchone()[0])
    assert "problems" not in raw and "invalid" not in raw
    assert "B-1" in {e["ticket"] for e in aws.build_entries()}


def test_the_same_bad_ticket_again_is_unchanged_and_still_reported(aws):
    bad = [{"key": "B-1", "title": "Frame", "status": "fixed", "done_at": "yesterday-ish"}]
    aws.add_tickets(bad, tracker="json")
    before = aws.db.conn.execute("select updated_at, raw from tickets").fetchall()
    aws.add_tickets(bad, tracker="json")
    assert aws.db.conn.execute("select updated_at, raw from tickets").fetchall() == before
    counts = json.loads(aws.runs("tickets-import").iloc[0].counts)
    assert (counts["unchanged"], counts["invalid"]) == (1, 1) and "ticket 'B-1'" in counts["problems"][0]


def _GitHub(issues):  # noqa: N802
    """A GitHub stand-in serving one page of issues."""
    return FakeApi(lambda req: (200, {}, issues))


def test_a_sync_with_a_bad_date_reports_it_and_stores_the_rest(tmp_path):
    def issue(n, closed):
        return {"id": n, "number": n, "title": f"Issue {n}", "state": "closed", "state_reason": "completed",
                "labels": [], "closed_at": closed, "created_at": "2026-09-01T00:00:00Z",
                "updated_at": f"2026-09-0{n}T00:00:00Z"}

    api = _GitHub([issue(1, "2026-09-20T10:00:00Z"), issue(2, "yesterday-ish")])
    try:
        res = CliRunner().invoke(cli, ["--db", str(tmp_path / "g.db"), "tickets", "sync", "--tracker", "github",
                                       "--repo", "acme/app", "--url", api.url])
    finally:
        api.close()
    assert res.exit_code == 0, res.output
    assert "github acme/app: 2 read, 2 new, 0 updated, 0 unchanged, 1 with bad fields" in res.output
    assert "warning: tracker 'github', ticket 'acme/app#2': field done_at: 'yesterday-ish' is not a date" in res.output
    with vocmine.open(tmp_path / "g.db") as ws:
        assert _stored(ws) == {"acme/app#1": ("done", "2026-09-20T10:00:00Z"), "acme/app#2": ("done", None)}
        assert ws.state("tracker:github", "updated_since:acme/app") == "2026-09-02T00:00:00Z"
        res = CliRunner().invoke(cli, ["--db", str(tmp_path / "g.db"), "entries", "build"])
        assert res.exit_code == 0, res.output
