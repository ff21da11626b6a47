"""The docs notebook runs top to bottom on the demo workspace (as CI runs it)."""
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "docs" / "notebook.ipynb"


@pytest.mark.slow
def test_docs_notebook_executes(demo_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("VOCMINE_DEMO", str(demo_dir))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "heavier than expected" in html and "생각보다 무겁다" in html and "NIM-101" in html
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 4
