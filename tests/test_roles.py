"""Roles and the registry: every registered implementation keeps its role's contract
(``vocmine.testing``), built-ins register exactly as setup.cfg says, every name a user types is
resolved through the registry, and a third-party tracker installed as a real entry point works in
``vocmine weekly`` and ``vocmine tickets sync``."""
import configparser
import importlib.util
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import vocmine
from vocmine import testing
from vocmine.cli.main import cli
from vocmine.core import plugins, roles
from vocmine.core.errors import ConfigError

from fakes import FAST

TESTS = Path(__file__).parent
ROOT = TESTS.parent


def _tests_module(rel: str, name: str):
    """Import another test file's fakes and fixtures (jira, linear, reddit, smtp_server) by path."""
    spec = importlib.util.spec_from_file_location(name, TESTS / rel)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_trackers = _tests_module("act/test_trackers.py", "_roles_trackers")
_reddit = _tests_module("collect/test_reddit.py", "_roles_reddit")
_notify = _tests_module("tell/test_notify.py", "_roles_notify")
jira, linear, reddit, smtp_server = _trackers.jira, _trackers.linear, _reddit.reddit, _notify.smtp_server


def registered(group):
    return [pytest.param(name, id=name) for name in plugins.names(group)]


# -- the registry ------------------------------------------------------------------------------

def test_builtins_are_exactly_the_entry_points_of_setup_cfg():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    declared = {}
    for group, body in cfg["options.entry_points"].items():
        if group in ("console_scripts", "datasette"):  # other programs' entry points, not vocmine roles
            continue
        declared[group] = dict(line.replace(" ", "").split("=", 1) for line in body.strip().splitlines())
    assert declared == plugins._BUILTINS
    assert set(declared) == set(roles.GROUPS.values()) == set(plugins.GROUPS)
    # The installed metadata has them too ('pip install -e .' after changing setup.cfg).
    from importlib.metadata import entry_points

    for group, table in declared.items():
        installed = {ep.name: ep.value for ep in entry_points(group=group)}
        assert table.items() <= installed.items(), f"{group}: reinstall (pip install -e .) to register {table}"


@pytest.mark.parametrize("role", sorted(roles.GROUPS))
def test_every_registered_name_loads_and_says_its_type(role):
    group = roles.GROUPS[role]
    assert plugins.names(group), group
    for name in plugins.names(group):
        obj = testing.check_registered(group, name)
        assert getattr(obj, "type", None) == name, f"{group} {name!r}: its class says type {obj.type!r}"


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ConfigError, match="unknown notifier 'smpt'; available: smtp"):
        plugins.check("vocmine.notifiers", "smpt")
    with pytest.raises(ConfigError, match="unknown publisher 'html'; available: markdown, site"):
        plugins.load("vocmine.publishers", "html")


# -- sources -----------------------------------------------------------------------------------

ROWS = [("id", "text", "rating"), ("r1", "The battery life is far too short.", "2"),
        ("r2", "배송이 너무 늦어요", "1"), ("r3", "Love the colour", "5")]


def _file(tmp_path, fmt):
    p = tmp_path / f"reviews.{fmt}"
    head, *rows = ROWS
    if fmt in ("csv", "tsv"):
        sep = "," if fmt == "csv" else "\t"
        p.write_text("\n".join(sep.join(r) for r in ROWS) + "\n", encoding="utf-8")
    elif fmt == "json":
        p.write_text(json.dumps([dict(zip(head, r)) for r in rows], ensure_ascii=False), encoding="utf-8")
    elif fmt == "jsonl":
        p.write_text("\n".join(json.dumps(dict(zip(head, r)), ensure_ascii=False) for r in rows), encoding="utf-8")
    elif fmt == "text":
        p.write_text("\n".join(r[1] for r in rows) + "\n", encoding="utf-8")
    elif fmt == "xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        for r in ROWS:
            book.active.append(list(r))
        book.save(p)
    else:
        return None
    return p


@pytest.mark.parametrize("name", registered("vocmine.sources"))
def test_every_registered_source_keeps_the_source_contract(name, tmp_path, request):
    cls = plugins.load("vocmine.sources", name)
    if name == "web":
        site = request.getfixturevalue("site")
        source = cls([site.url + "/microdata.html"], settings=FAST)
        items = testing.check_source(source, registered_as=name)
    elif name == "reddit":
        request.getfixturevalue("reddit")
        source = cls("northfold", limit=5)
        items = testing.check_source(source, registered_as=name, workspace=tmp_path)
    else:
        path = _file(tmp_path, name)
        if path is None:
            pytest.skip(f"no sample input for the plugin source {name!r}: check it in its own tests")
        items = testing.check_source(cls(path), registered_as=name, workspace=tmp_path)
    assert items


# -- embedders ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", registered("vocmine.embedders"))
def test_every_registered_embedder_keeps_the_embedder_contract(name):
    vecs = testing.check_embedder(plugins.load("vocmine.embedders", name)(), registered_as=name)
    assert vecs.shape[0] == len(testing.SAMPLE_TEXTS)


# -- trackers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", registered("vocmine.trackers"))
def test_every_registered_tracker_keeps_the_tracker_contract(name, request, monkeypatch):
    cls = plugins.load("vocmine.trackers", name)
    if name == "local":
        assert testing.check_tracker(cls(), registered_as=name, expect_tickets=False) == []
        return
    if name == "github":
        tracker = cls(**_trackers.gh_config(request.getfixturevalue("github")))
    elif name == "jira":
        tracker = cls(**_trackers.jira_config(request.getfixturevalue("jira")))
    elif name == "linear":
        monkeypatch.setenv("VOCMINE_LINEAR_API_KEY", _trackers.LINEAR_KEY)
        tracker = cls("ENG", base_url=request.getfixturevalue("linear").url, page_size=2)
    else:
        pytest.skip(f"no fake service for the plugin tracker {name!r}: check it in its own tests")
    tickets = testing.check_tracker(tracker, registered_as=name)
    assert {t["status"] for t in tickets} <= {"open", "in_progress", "done"} and len(tickets) >= 3


# -- publishers --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", registered("vocmine.publishers"))
def test_every_registered_publisher_keeps_the_publisher_contract(name, tmp_path):
    files = testing.check_publisher(plugins.load("vocmine.publishers", name), tmp_path / name, registered_as=name)
    assert all(f.is_file() for f in files)


# -- notifiers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", registered("vocmine.notifiers"))
def test_every_registered_notifier_keeps_the_notifier_contract(name, request):
    if name != "smtp":
        pytest.skip(f"no fake service for the plugin notifier {name!r}: check it in its own tests")
    server = request.getfixturevalue("smtp_server")
    notifier = plugins.load("vocmine.notifiers", name)({"host": "127.0.0.1", "port": server.port, "tls": False,
                                                         "from": "vocmine@example.com"})
    testing.check_notifier(notifier, "customer@example.com", received=lambda: server.messages,
                           registered_as=name)
    assert [m["msg"]["Subject"] for m in server.messages] == ["vocmine check one"]


# -- the checks fail on a broken implementation ------------------------------------------------

class _Words:
    """A tracker that keeps its own status words: the status vocabulary check must catch it."""

    type = name = "words"

    def __init__(self, status="fixed", key="W-1"):
        self.tickets = [{"key": key, "title": "Lighter frame", "status": status}]

    def pull(self, since=None):
        return list(self.tickets)

    def url(self, ticket):
        return ""


def test_checks_fail_with_a_clear_message_on_broken_implementations(tmp_path):
    import numpy as np

    with pytest.raises(AssertionError, match=r"status 'fixed'; a tracker gives one of open, in_progress, done"):
        testing.check_tracker(_Words("fixed"))
    with pytest.raises(AssertionError, match=r"lacks key"):
        testing.check_tracker(_Words("done", key=""))
    with pytest.raises(AssertionError, match=r"'type' is 'words' but it is registered as 'github'"):
        testing.check_tracker(_Words("done"), registered_as="github")
    assert testing.check_tracker(_Words("done"))[0]["key"] == "W-1"

    class Raw:
        type = name = "raw"

        def embed(self, texts):
            return np.ones((len(texts), 4), dtype=np.float32)  # not normalised

    with pytest.raises(AssertionError, match=r"rows must be L2-normalised; row 0 .* has norm 2.0000"):
        testing.check_embedder(Raw())

    class NoType:
        name = "x"

        def fetch(self, since=None):
            return []

    with pytest.raises(AssertionError, match=r"is not a source: it lacks type"):
        testing.check_source(NoType())

    class Liar:
        type = "liar"

        def __init__(self, site, **options):
            pass

        def publish(self, entries, out):
            return [Path(out) / "index.html"]  # says it wrote a file it never wrote

    with pytest.raises(AssertionError, match=r"says it wrote .*index.html, which is not a file"):
        testing.check_publisher(Liar, tmp_path / "liar")


# -- every name a user types goes through the registry -----------------------------------------

def test_cli_choices_come_from_the_registry(tmp_path):
    runner = CliRunner()
    r = runner.invoke(cli, ["--db", str(tmp_path / "v.db"), "publish", "--format", "html"])
    assert r.exit_code == 2 and "unknown publisher 'html'; available: markdown, site" in r.output
    (tmp_path / "a.csv").write_text("text\nToo heavy\n", encoding="utf-8")
    r = runner.invoke(cli, ["--db", str(tmp_path / "v.db"), "ingest", str(tmp_path / "a.csv"), "--format", "reddit"])
    assert r.exit_code == 2 and "unknown source 'reddit'; available: csv, json, jsonl, text, tsv, xlsx" in r.output
    assert "[csv|tsv|json|jsonl|xlsx|text]" in runner.invoke(cli, ["ingest", "--help"]).output


def _config(tmp_path, body):
    path = tmp_path / "vocmine.toml"
    path.write_text(f'workspace = "voc.db"\n{body}', encoding="utf-8")
    return path


def test_weekly_config_types_resolve_through_the_registry(tmp_path):
    from vocmine.jobs.weekly import load_config

    with pytest.raises(ConfigError, match=r"trackers\[1\].type: unknown tracker 'jirra'; "
                                          r"available: github, jira, json, linear"):
        load_config(_config(tmp_path, '[[trackers]]\ntype = "jirra"\n'))
    with pytest.raises(ConfigError, match=r"sources\[1\].type: unknown source 'cvs'; available: csv, file, json, "
                                          r"jsonl, reddit, scrape, text, tsv, web, xlsx"):
        load_config(_config(tmp_path, '[[sources]]\ntype = "cvs"\npath = "a.csv"\n'))
    with pytest.raises(ConfigError, match=r"publish.formats: unknown publisher 'html'; available: markdown, site"):
        load_config(_config(tmp_path, '[publish]\nformats = ["html"]\n'))
    with pytest.raises(ConfigError, match=r"notify.type: unknown notifier 'smpt'; available: smtp"):
        load_config(_config(tmp_path, '[notify]\ntype = "smpt"\n'))
    conf = load_config(_config(tmp_path, '[[sources]]\ntype = "jsonl"\npath = "a.jsonl"\n'
                                         '[[sources]]\ntype = "web"\nurls = ["http://127.0.0.1/"]\n'))
    assert [(s["type"], s.get("format")) for s in conf.sources] == [("file", "jsonl"), ("scrape", None)]


# -- a third party's tracker, installed as a real entry point ----------------------------------

ACME = '''
class AcmeTracker:
    """A third party's tracker: tickets of one board, from a JSON file the test writes."""

    type = name = "acme"

    def __init__(self, board, path):
        import json
        self.scope = board
        self.path = path
        self._tickets = json.load(open(path, encoding="utf-8"))

    def pull(self, since=None):
        return [t for t in self._tickets if not since or t["tracker_updated_at"] >= since]

    def url(self, ticket):
        return "https://acme.example/" + ticket["key"]


class ForumSource:
    """A third party's source: posts of a forum board (here given in the config)."""

    type = "acme-forum"

    def __init__(self, board, posts, name=None):
        self.name = name or "forum:" + board
        self.posts = posts

    def fetch(self, since=None):
        from vocmine.core.feedback import Feedback

        for i, text in enumerate(self.posts, start=1):
            yield Feedback(text=text, external_id=f"p{i}", kind="post")
'''


@pytest.fixture
def acme(tmp_path, monkeypatch):
    """The plugin ``acme-vocmine`` installed on sys.path: a module and its dist-info entry point."""
    site = tmp_path / "site-packages"
    (site / "acme_vocmine-1.0.dist-info").mkdir(parents=True)
    (site / "acme_vocmine.py").write_text(ACME, encoding="utf-8")
    (site / "acme_vocmine-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-vocmine\nVersion: 1.0\n", encoding="utf-8")
    (site / "acme_vocmine-1.0.dist-info" / "entry_points.txt").write_text(
        "[vocmine.trackers]\nacme = acme_vocmine:AcmeTracker\n\n"
        "[vocmine.sources]\nacme-forum = acme_vocmine:ForumSource\n", encoding="utf-8")
    tickets = tmp_path / "board.json"
    tickets.write_text(json.dumps([
        {"key": "AC-1", "title": "Lighter frame", "status": "done", "tracker_status": "Shipped",
         "release": "2.4.0", "tracker_updated_at": "2026-09-23T00:00:00Z"},
        {"key": "AC-2", "title": "Faster courier", "status": "in_progress",
         "tracker_updated_at": "2026-09-24T00:00:00Z"},
    ]), encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    plugins.refresh()
    yield tickets
    monkeypatch.undo()
    sys.modules.pop("acme_vocmine", None)
    plugins.refresh()


def test_a_third_party_tracker_works_in_weekly_and_tickets_sync(acme, tmp_path):
    assert "acme" in plugins.names("vocmine.trackers")
    cls = plugins.load("vocmine.trackers", "acme")
    testing.check_tracker(cls("B1", str(acme)), registered_as="acme")
    config = _config(tmp_path, f'[[trackers]]\ntype = "acme"\nboard = "B1"\npath = "{acme.as_posix()}"\n')
    r = CliRunner().invoke(cli, ["weekly", "--config", str(config), "--stage", "tickets", "--json"])
    assert r.exit_code == 0, r.output
    with vocmine.open(tmp_path / "voc.db") as ws:
        df = ws.tickets().set_index("key")
        assert sorted(df.index) == ["AC-1", "AC-2"] and set(df.tracker) == {"acme"}
        assert (df.loc["AC-1"].status, df.loc["AC-2"].status) == ("done", "in_progress")
    db = str(tmp_path / "other.db")
    r = CliRunner().invoke(cli, ["--db", db, "tickets", "sync", "--tracker", "acme", "--project", "B2"])
    # A plugin tracker gets what was given: this one has no 'project' and says so.
    assert r.exit_code == 1 and "tracker 'acme': bad settings" in r.output
    with vocmine.open(db) as ws:
        r = ws.sync_tickets("acme", board="B2", path=str(acme))
    assert (r["fetched"], r["new"]) == (2, 2)


def test_plugins_page_example_runs_and_names_every_role_and_builtin():
    import re

    text = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "docs/plugins.md", "exec"), {})  # the example calls its own test
    for role, group in roles.GROUPS.items():
        assert f"`{group}`" in text and f"`check_{role}(" in text
        for name in plugins._BUILTINS[group]:
            assert f"`{name}`" in text, f"docs/plugins.md does not name the built-in {group} {name!r}"
    assert "docs/plugins.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_a_third_party_source_works_in_weekly(acme, tmp_path):
    cls = plugins.load("vocmine.sources", "acme-forum")
    testing.check_source(cls("gear", ["Too heavy", "배송이 늦어요"]), registered_as="acme-forum", workspace=tmp_path)
    config = _config(tmp_path, '[[sources]]\ntype = "acme-forum"\nboard = "gear"\n'
                               'posts = ["The zipper broke twice", "Love the colour"]\n')
    for _ in range(2):  # the second run stores nothing new
        r = CliRunner().invoke(cli, ["weekly", "--config", str(config), "--stage", "collect"])
        assert r.exit_code == 0, r.output
    with vocmine.open(tmp_path / "voc.db") as ws:
        rows = ws.db.conn.execute("select source, external_id, text from feedback order by external_id").fetchall()
    assert rows == [("forum:gear", "p1", "The zipper broke twice"), ("forum:gear", "p2", "Love the colour")]
    bad = _config(tmp_path, '[[sources]]\ntype = "acme-forum"\nboard = "gear"\ncolour = "red"\n')
    r = CliRunner().invoke(cli, ["weekly", "--config", str(bad), "--stage", "collect"])
    assert r.exit_code != 0 and "sources[1] (acme-forum): bad settings" in r.output
