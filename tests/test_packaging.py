"""A wheel built from the repo works on its own and finds its taxonomy/ and reports/ data."""
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_ships_data_and_entry_points(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist"), str(ROOT)], check=True)
    wheel = next((tmp_path / "dist").glob("vocmine-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "vocmine/taxonomy/default.yaml" in names
    assert "vocmine/reports/README.md" in names
    assert "vocmine/py.typed" in names  # type checkers read the package's annotations (PEP 561)
    assert "vocmine/jobs/starter.toml" in names
    assert not any(n.startswith(("tests/", "bench/")) for n in names)
    # Every module of the source tree ships: setup.cfg lists the packages one by one.
    source = {p.relative_to(ROOT).as_posix() for p in (ROOT / "vocmine").rglob("*.py")}
    assert source - set(names) == set()
    entry = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "vocmine = vocmine.cli:main" in entry and "csv = vocmine.collect.sources.csv_source:CsvSource" in entry

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True)
    # Run from an empty folder with only the installed copy on the path: no repo files to lean on.
    code = ("import json, vocmine; print(json.dumps({'file': vocmine.__file__, "
            "'taxonomy': str(vocmine.data_path('taxonomy')), 'reports': str(vocmine.data_path('reports')), "
            "'categories': len(vocmine.load_taxonomy()['categories']), "
            "'starter': __import__('vocmine.jobs.weekly', fromlist=['x']).starter_config('w.db')[:400]}))")
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         check=True).stdout
    info = json.loads(out)
    assert info["file"].startswith(str(target))
    assert info["taxonomy"] == str(target / "vocmine" / "taxonomy")
    assert info["reports"] == str(target / "vocmine" / "reports")
    assert (target / "vocmine" / "py.typed").is_file()
    assert info["categories"] >= 10
    assert 'workspace = "w.db"' in info["starter"]
