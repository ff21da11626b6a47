"""What a stage imports: Korean text never loads spaCy, and spaCy never drags torch in.

thinc imports torch at start when it is installed, which costs about 2.5 s and more CPU than
that in every ``vocmine analyze``; ``nlp.import_spacy`` hides torch from it (docs/performance.md).
Each check runs in a fresh interpreter, because the modules are cached per process.
"""
from __future__ import annotations

import json
import subprocess
import sys


def _run(code: str, env_extra: dict | None = None) -> dict:
    import os

    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env.pop("VOCMINE_SPACY_TORCH", None)
    env.update(env_extra or {})
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_korean_segments_and_phrases_do_not_import_spacy():
    res = _run(
        "import json, sys\n"
        "from vocmine.understand.segment import segment_many\n"
        "from vocmine.understand import phrases, sentiment\n"
        "segs = segment_many(['배송이 너무 늦어요. 생각보다 무겁네요'], ['ko'])[0]\n"
        "ms = [m.canonical for s in segs for m in phrases.extract(s)]\n"
        "print(json.dumps({'spacy': 'spacy' in sys.modules, 'torch': 'torch' in sys.modules,"
        " 'segments': [s.text for s in segs], 'phrases': ms}, ensure_ascii=False))\n")
    assert res["spacy"] is False and res["torch"] is False
    assert res["segments"] == ["배송이 너무 늦어요.", "생각보다 무겁네요"]
    assert "생각보다 무겁다" in res["phrases"]


def test_english_parse_does_not_import_torch_and_torch_still_imports():
    res = _run(
        "import json, sys\n"
        "from vocmine.understand.segment import segment_many\n"
        "from vocmine.understand import phrases\n"
        "segs = segment_many(['The zipper broke after a week.'], ['en'])[0]\n"
        "ms = [m.canonical for m in phrases.extract_many(segs)[0]]\n"
        "before = 'torch' in sys.modules\n"
        "import torch\n"
        "print(json.dumps({'before': before, 'torch_after': torch.tensor([1.0]).sum().item(), 'phrases': ms,"
        " 'parser': phrases.english_parser() is not None}))\n")
    assert res["before"] is False
    assert res["torch_after"] == 1.0  # the embedders import torch as usual afterwards
    if res["parser"]:
        assert "zipper broke" in res["phrases"]


def test_torch_already_loaded_is_left_alone():
    res = _run(
        "import json, sys\n"
        "import torch\n"
        "from vocmine.understand.nlp import import_spacy\n"
        "import_spacy()\n"
        "import thinc.compat\n"
        "print(json.dumps({'has_torch': thinc.compat.has_torch}))\n")
    assert res["has_torch"] is True


def test_vocmine_spacy_torch_lets_thinc_see_torch():
    res = _run(
        "import json\n"
        "from vocmine.understand.nlp import import_spacy\n"
        "import_spacy()\n"
        "import thinc.compat\n"
        "print(json.dumps({'has_torch': thinc.compat.has_torch}))\n", {"VOCMINE_SPACY_TORCH": "1"})
    assert res["has_torch"] is True
