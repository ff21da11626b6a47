"""Screenshots of the demo's weekly report and changelog pages for docs/ (headless Chromium).

    python docs/make_screenshots.py [--demo DIR]

Builds the demo into DIR (default: a temporary folder) unless it is there already, then opens
the pages with the same driver the browser tests use (tests/browser.py) and writes PNGs into
docs/screenshots/. Each page is also checked: no console errors, no network requests.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import browser  # noqa: E402

from vocmine.jobs.demo import build  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--demo", type=Path, help="demo folder (built when missing)")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = ap.parse_args()
    demo = args.demo or Path(tempfile.mkdtemp()) / "demo"
    if not (demo / "site" / "index.html").exists():
        build(demo)
    [entry_en] = sorted((demo / "site" / "entries").glob("nim-101-*.html"))
    [entry_ko] = sorted((demo / "site" / "ko" / "entries").glob("nim-101-*.html"))
    shots = [
        ("weekly-report.png", demo / "reports" / "latest.html", 1100),
        ("changelog-index.png", demo / "site" / "index.html", 1000),
        ("changelog-entry-en.png", entry_en, 1000),
        ("changelog-entry-ko.png", entry_ko, 1000),
        ("changelog-entry-ko-mobile.png", entry_ko, 390),
    ]
    with browser.Browser() as b:
        for name, page, width in shots:
            r = b.open(page.resolve().as_uri(), width=width, screenshot=args.out / name)
            bad = r["console_errors"] + [u for u in r["requests"] if not u.startswith("file://")]
            print(f"{name}: {page.relative_to(demo)} at {width}px", "OK" if not bad else bad)


if __name__ == "__main__":
    main()
