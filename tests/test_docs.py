"""Documentation that cannot drift: CLI reference, schema page, docstrings."""
import inspect
import re
import subprocess
import sys
from pathlib import Path

import vocmine
from vocmine.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def test_cli_reference_matches_help():
    r = subprocess.run([sys.executable, str(DOCS / "make_cli_reference.py"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_every_command_has_help_text():
    for name, cmd in cli.commands.items():
        assert cmd.help and len(cmd.help) > 20, name
        for p in cmd.params:
            if p.param_type_name == "option" and p.name not in ("help",):
                assert p.help, f"{name} --{p.name} has no help"


def test_storage_page_lists_every_table_and_column(tmp_path):
    text = (DOCS / "storage.md").read_text(encoding="utf-8")
    with vocmine.open(tmp_path / "w.db") as ws:
        for table in ws.db.table_names():
            if table.startswith("feedback_fts"):
                continue
            assert f"## {table}" in text or f"`{table}`" in text, table
            for col in ws.db[table].columns_dict:
                assert f"`{col}`" in text, f"{table}.{col} is not documented in docs/storage.md"


def test_public_api_has_docstrings():
    for name in vocmine.__all__:
        obj = getattr(vocmine, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            assert obj.__doc__, name
    for name, fn in inspect.getmembers(vocmine.Workspace, inspect.isfunction):
        if not name.startswith("_"):
            assert fn.__doc__, f"Workspace.{name}"
            assert f"{name}(" in (DOCS / "python-api.md").read_text(encoding="utf-8"), \
                f"Workspace.{name} is missing from docs/python-api.md"


def test_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    m = re.search(r"^TEST_COMMAND='(.+)'$", ci, re.M)
    assert m, ".ci/run must define TEST_COMMAND"
    assert m.group(1) in readme


def test_architecture_page_names_real_files_links_and_every_moved_module():
    """docs/architecture.md walks through the code file by file: every file it names exists, every
    link resolves, and its table of old module paths is exactly ``vocmine._moved.MOVED``."""
    from vocmine._moved import MOVED

    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    files = [p for folder in ("vocmine", "scrapers", "tests") for p in ROOT.glob(f"{folder}/**/*.py")]
    named = set(re.findall(r"`([\w/]+\.py)`", text))
    missing = [n for n in sorted(named) if not any(p.as_posix().endswith("/" + n) for p in files)]
    assert named and not missing, f"docs/architecture.md names files that do not exist: {missing}"
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    broken = [link for link in links if "://" not in link and not (DOCS / link).exists()]
    assert "architecture.svg" in links and not broken, f"broken links in docs/architecture.md: {broken}"
    rows = set(re.findall(r"^\| `(vocmine[\w.]*)` \| `(vocmine[\w.]*)` \|$", text, re.M))
    assert rows == set(MOVED.items()), "the old-paths table of docs/architecture.md differs from _moved.MOVED"
