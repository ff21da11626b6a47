import csv
import os
from pathlib import Path

import pytest

from fakes import GitHubApi, SiteServer

# Offline, always: a test that tried the network would fail here, not hang.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
# OpenBLAS picks its kernels by CPU, and on a CPU with AVX-512/AMX the small topic fixtures
# cluster differently (float differences in the last bits move HDBSCAN's cut): the slices tests
# and the demo's topic ids in docs/topics.md changed on such a machine. One kernel family for
# every test machine keeps their expected topics the same; the fragility itself is an open note.
os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")
os.environ.pop("VOCMINE_DB", None)
os.environ.pop("VOCMINE_PSEUDONYM_KEY", None)

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_xdist_auto_num_workers(config):
    """``-n auto`` (pyproject.toml's addopts): one test process per core, at most 4. Every process
    loads its own models (about 1 GB each) and many tests start subprocesses of their own."""
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


@pytest.hookimpl(tryfirst=True)  # before any fixture (the Ray cluster's) is set up
def pytest_runtest_setup(item):
    """A ``@pytest.mark.ray`` test skips where Ray is not installed (it is an optional extra), except
    where ``VOCMINE_REQUIRE_RAY=1``: .ci/run sets it for its Ray pass, so that a broken Ray install
    fails CI instead of turning every Ray test into a skip."""
    if item.get_closest_marker("ray") is None:
        return
    try:
        import ray  # noqa: F401
        import ray.data  # noqa: F401
    except ImportError as e:
        if os.environ.get("VOCMINE_REQUIRE_RAY") == "1":
            pytest.fail(f"VOCMINE_REQUIRE_RAY=1 but Ray Data does not import: {e}", pytrace=False)
        pytest.skip('Ray is not installed (an optional extra: pip install "vocmine[ray]")')


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


# Servers shared across stages (the CLI's JSON checks crawl the site and sync from GitHub too).
@pytest.fixture
def site():
    """The saved review pages of tests/fixtures/site, served on 127.0.0.1 (see fakes.SiteServer)."""
    with SiteServer() as server:
        yield server


@pytest.fixture
def github():
    """GitHub's issues API for acme/app on 127.0.0.1, wanting fakes.GH_TOKEN (see fakes.GitHubApi)."""
    with GitHubApi() as api:
        yield api
