"""Write vocmine/cli/datasette/storage.json (the Datasette plugin's table and column descriptions)
from docs/storage.md. Run after editing docs/storage.md:

    python docs/make_storage_metadata.py
"""
from __future__ import annotations

import json
from pathlib import Path

from vocmine.cli.datasette.metadata import STORAGE_JSON, parse_storage

ROOT = Path(__file__).resolve().parents[1]


def render() -> str:
    """Return storage.json's text for the current docs/storage.md."""
    data = parse_storage((ROOT / "docs" / "storage.md").read_text(encoding="utf-8"))
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    STORAGE_JSON.write_text(render(), encoding="utf-8")
    print(f"wrote {STORAGE_JSON}")
