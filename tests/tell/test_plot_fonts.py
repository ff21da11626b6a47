"""Korean plot labels find a CJK font installed after matplotlib built its font cache."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    not shutil.which("fc-list") or not subprocess.run(["fc-list", ":lang=ko"], capture_output=True,
                                                          text=True).stdout.strip(),
    reason="no font with Korean glyphs on this machine (install fonts-noto-cjk: .ci/install-system-deps)")

PLOT = r"""
import warnings, matplotlib
matplotlib.use("Agg")
from matplotlib import font_manager
before = [f.name for f in font_manager.fontManager.ttflist if "CJK" in f.name or "Nanum" in f.name]
assert not before, before  # the cache really is stale
from vocmine.tell.plots import korean_font
import matplotlib.pyplot as plt
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    name = korean_font()
    fig, ax = plt.subplots()
    ax.set_title("배송이 늦어요")
    fig.canvas.draw()
path = font_manager.findfont(font_manager.FontProperties(family=name), fallback_to_default=False)
print(name)
print(path)
print("MISSING" if any("missing" in str(w.message).lower() for w in caught) else "OK")
"""


def test_font_installed_after_the_cache_is_found(tmp_path):
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path / "mpl"), "HOME": str(tmp_path)}
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env, check=True, timeout=300)
    cache = next((tmp_path / "mpl").glob("fontlist-*.json"))
    data = json.loads(cache.read_text())
    keep = [f for f in data["ttflist"] if "CJK" not in f["name"] and "Nanum" not in f["name"]
            and "KR" not in f["name"]]
    assert len(keep) < len(data["ttflist"])  # the machine's CJK fonts were in it; now they are not
    data["ttflist"] = keep
    cache.write_text(json.dumps(data))
    r = subprocess.run([sys.executable, "-c", PLOT], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    name, path, glyphs = r.stdout.split("\n")[:3]
    assert name and name != "None"
    from fontTools.ttLib import TTCollection, TTFont

    fonts = TTCollection(path).fonts if path.lower().endswith(".ttc") else [TTFont(path)]
    assert any(0xAC00 in (f.getBestCmap() or {}) for f in fonts), path
    assert glyphs == "OK", r.stderr
