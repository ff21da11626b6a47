"""The ingest in two halves (vocmine.collect.ingest): ``Preparer.draft`` here, in order, and
``finish`` (redaction, language, hashes) anywhere. Finishing the drafts in another process, in
batches of another size, stores the same rows, rejects and messages, and the drafts carry no key."""
import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest

import vocmine
from vocmine.collect.ingest import finish_all
from vocmine.collect.intake import ingest
from messy import snapshot, write_messy_jsonl


@pytest.fixture
def messy(tmp_path, monkeypatch):
    # one pseudonym key for both workspaces, so that their authors compare equal
    monkeypatch.setenv("VOCMINE_PSEUDONYM_KEY", "a key shared by the two workspaces")
    return write_messy_jsonl(tmp_path / "messy.jsonl")


def _ingest(db, path, **kw):
    with vocmine.open(db) as ws:
        r = ingest(ws, path, contact="email", **kw)
    return r


def test_drafts_finished_in_another_process_store_the_same(messy, tmp_path):
    here = _ingest(tmp_path / "here.db", messy)
    assert here.rejected > 20 and here.warnings > 100 and here.inserted > 300  # the file is messy
    sent: list[bytes] = []

    def elsewhere(chunks):
        with ProcessPoolExecutor(max_workers=2) as pool:
            for drafts in chunks:
                sent.append(pickle.dumps(drafts))
                yield pool.submit(finish_all, drafts).result()

    there = _ingest(tmp_path / "there.db", messy, finisher=elsewhere, chunk_rows=7)
    assert len(sent) > 40  # batches of 7 rows
    assert snapshot(tmp_path / "there.db") == snapshot(tmp_path / "here.db")
    assert there.messages == here.messages and there.as_dict() == here.as_dict()
    # what crossed to the other process: no pseudonym key, no contact row, no author's name
    # (only its pseudonym; the raw record still holds it, and finish redacts it there)
    key = b"a key shared by the two workspaces"
    assert not any(key in blob for blob in sent)
    drafts = [d for blob in sent for d in pickle.loads(blob)]
    assert not any("contact" in d for d in drafts)
    assert {d["author"] for d in drafts} - {None} and all(d["author"].startswith("c_") for d in drafts if d["author"])


def test_a_finisher_that_loses_rows_fails_and_keeps_what_was_stored(messy, tmp_path):
    def lossy(chunks):
        for n, drafts in enumerate(chunks):
            yield finish_all(drafts)[: (len(drafts) if n < 3 else len(drafts) - 1)]

    with pytest.raises(RuntimeError, match="returned 9 rows for a batch of 10 drafts"):
        _ingest(tmp_path / "lossy.db", messy, finisher=lossy, chunk_rows=10)
    with vocmine.open(tmp_path / "lossy.db") as ws:
        stored = ws.db.conn.execute("select count(*) from feedback").fetchone()[0]
    # the run then completes it: nothing doubled
    again = _ingest(tmp_path / "lossy.db", messy)
    full = _ingest(tmp_path / "full.db", messy)
    assert again.unchanged == stored and again.inserted + stored == full.inserted
    assert snapshot(tmp_path / "lossy.db") == snapshot(tmp_path / "full.db")


def test_chunk_rows_below_one_is_refused(messy, tmp_path):
    from vocmine.core.errors import ConfigError

    with pytest.raises(ConfigError, match="chunk_rows must be at least 1"):
        _ingest(tmp_path / "x.db", messy, chunk_rows=0)
