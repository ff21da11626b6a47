import csv
import os
import sys
from pathlib import Path

import pytest

# Offline, always: a test that tried the network would fail here, not hang.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.pop("VOCMINE_DB", None)
os.environ.pop("VOCMINE_PSEUDONYM_KEY", None)

FIXTURES = Path(__file__).parent / "fixtures"

# The tests mirror the stages (tests/collect, tests/decide, ...). Test modules have unique names, and
# a few share fixtures across stages (the CLI's JSON checks use the scrape and tracker servers), so
# every stage folder is importable by module name, as pytest's rootdir mode does for the one it runs.
for _stage in sorted(p for p in Path(__file__).parent.iterdir() if p.is_dir() and p.name not in ("fixtures", "__pycache__")):
    if str(_stage) not in sys.path:
        sys.path.append(str(_stage))


@pytest.fixture
def ws(tmp_path):
    import vocmine

    w = vocmine.open(tmp_path / "voc.db")
    yield w
    w.close()


@pytest.fixture
def write_csv(tmp_path):
    """Write rows (first row is the header) to a CSV file and return its path."""

    def write(name, rows, encoding="utf-8", delimiter=","):
        path = tmp_path / name
        with open(path, "w", encoding=encoding, newline="") as f:
            csv.writer(f, delimiter=delimiter).writerows(rows)
        return path

    return write


def count(ws, table="feedback", where="1=1", args=()):
    return ws.db.conn.execute(f"select count(*) from {table} where {where}", args).fetchone()[0]


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory):
    """The demo built once per test session (exports, ingest, analyze); tests must not change it."""
    from vocmine.jobs.demo import build

    root = tmp_path_factory.mktemp("demo")
    build(root)
    return root
