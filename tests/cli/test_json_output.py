"""Every command's --json is valid JSON: null, never NaN or Infinity (JSON.parse rejects both).

The commands are found by walking the click tree, so a new command with --json is covered at
once (one that needs arguments fails here until ARGS says what to give it). They run on a copy
of the demo workspace, where some commands printed NaN before (search, link list, phrases).
"""
import json
import math
import shutil

import click
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from fakes import FAST, GH_TOKEN  # 'scrape' and 'tickets sync' use the site and github fixtures
from vocmine.cli.main import cli, jsonable

pytestmark = pytest.mark.slow


def _json_commands(cmd: click.Command, path: tuple[str, ...] = ()):
    """Yield the path of every command and group (run without a subcommand) that has --json."""
    if any(isinstance(p, click.Option) and "--json" in p.opts for p in cmd.params):
        yield path
    if isinstance(cmd, click.Group):
        for name in sorted(cmd.commands):
            yield from _json_commands(cmd.commands[name], path + (name,))


COMMANDS = list(_json_commands(cli))

# Arguments for the commands that need some; each gets the test's context (workspace, servers, files).
ARGS = {
    ("ingest",): lambda c: [str(c["csv"]), "--text", "review", "--rating", "stars", "--id", "id"],
    ("scrape",): lambda c: [c["site"].url + "/microdata.html"],
    ("search",): lambda c: ["weight"],
    ("tickets", "add"): lambda c: ["JSON-1", "--title", "Strap frays at the buckle"],
    ("tickets", "update"): lambda c: ["JSON-1", "--status", "in_progress"],
    ("tickets", "sync"): lambda c: ["--tracker", "github", "--repo", "acme/app", "--url", c["github"].url],
    ("topics", "show"): lambda c: [str(c["topic_id"])],
    ("aspects", "show"): lambda c: ["zipper"],
    ("export",): lambda c: ["phrases", "--format", "jsonl", "--out", str(c["root"] / "phrases.jsonl"), "--force"],
    ("backfill",): lambda c: [str(c["csv"]), "--out", str(c["root"] / "backfill")],
    ("weekly",): lambda c: ["--stage", "report"],  # the stages' own commands are covered one by one
}


def _strict(text: str):
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def demo_copy(demo_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("json")
    shutil.copy(demo_dir / "vocmine.db", root / "vocmine.db")
    csv = root / "new.csv"
    csv.write_text("id,review,stars\nj1,The strap frayed at the buckle within a week.,\n"
                   "j2,Zipper pull snapped off.,2\n", encoding="utf-8")
    return {"root": root, "db": root / "vocmine.db", "csv": csv}


def test_every_json_command_is_found():
    # The walk finds commands at every depth, groups with their own --json included.
    for path in [("stats",), ("phrases",), ("search",), ("link", "list"), ("topics",), ("topics", "show"),
                 ("notify",), ("weekly",)]:
        assert path in COMMANDS
    assert ("demo",) not in COMMANDS and ("link",) not in COMMANDS  # no --json there


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) for p in COMMANDS])
def test_json_output_is_strict_json(path, demo_copy, site, github, monkeypatch):
    monkeypatch.chdir(demo_copy["root"])  # anything written to a default folder stays in tmp
    monkeypatch.setenv("VOCMINE_SCRAPY_SETTINGS", json.dumps(FAST))
    monkeypatch.setenv("VOCMINE_GITHUB_TOKEN", GH_TOKEN)
    cmd = cli
    for name in path:
        cmd = cmd.commands[name]
    needs = [p.name for p in cmd.params if p.required]
    if path not in ARGS and needs:
        pytest.fail(f"'{' '.join(path)}' needs {needs}: add its arguments to ARGS in {__file__}")
    import sqlite3

    with sqlite3.connect(demo_copy["db"]) as conn:
        topic_id = conn.execute("select min(id) from topics").fetchone()[0]
    ctx = {**demo_copy, "site": site, "github": github, "topic_id": topic_id}
    args = ["--db", str(demo_copy["db"]), *path, *(ARGS[path](ctx) if path in ARGS else []), "--json"]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, (args, res.output, res.exception)
    out = res.stdout
    assert out.strip(), f"{args}: nothing printed"
    data = _strict(out)  # raises on NaN, Infinity, or anything else that is not JSON
    assert isinstance(data, (dict, list))


def test_jsonable_turns_every_missing_or_infinite_value_into_null():
    df = pd.DataFrame({"score": [0.5, float("nan")], "at": [pd.Timestamp("2026-10-01", tz="UTC"), pd.NaT],
                       "n": np.array([3, 4], dtype="int64"), "tags": [["a"], [float("inf")]]})
    data = {"rows": df, "mean": np.float64("nan"), "max": -math.inf, "na": pd.NA, "arr": np.array([1.5, np.nan]),
            "when": pd.Timestamp("2026-10-02"), "ids": {3, 1}, 7: "int key"}
    text = json.dumps(jsonable(data), allow_nan=False)
    assert _strict(text) == {
        "rows": [{"score": 0.5, "at": "2026-10-01T00:00:00+00:00", "n": 3, "tags": ["a"]},
                 {"score": None, "at": None, "n": 4, "tags": [None]}],
        "mean": None, "max": None, "na": None, "arr": [1.5, None], "when": "2026-10-02T00:00:00",
        "ids": [1, 3], "7": "int key"}
    with pytest.raises(ValueError, match="NaN is not JSON"):
        _strict('{"x": NaN}')
