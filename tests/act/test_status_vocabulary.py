"""One status vocabulary: only ``act/trackers/status.py`` says which tracker words mean shipped.

Two vocabularies once made a ticket "fixed" through one write path yield an entry and through
another not. This scan fails on any second list of done-words anywhere in the package.
"""
import ast
from pathlib import Path

from vocmine.act.trackers.status import DONE_WORDS, OPEN_WORDS, PROGRESS_WORDS

STATUS_WORDS = DONE_WORDS | OPEN_WORDS | PROGRESS_WORDS

PACKAGE = Path(__file__).resolve().parents[2] / "vocmine"
HOME = PACKAGE / "act" / "trackers" / "status.py"


def done_word_lists(source: str) -> list[int]:
    """Return the line numbers of literal collections of strings that are mostly status words and
    hold two done-words or more (an English word list that happens to hold "delivered" is not)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Set, ast.List, ast.Tuple)):
            words = {e.value.lower() for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
            if len(words & DONE_WORDS) >= 2 and len(words & STATUS_WORDS) * 2 >= len(words):
                lines.append(node.lineno)
    return lines


def test_the_scan_finds_a_second_vocabulary():
    assert done_word_lists('_DONE = {"done", "fixed", "shipped"}\n') == [1]
    assert done_word_lists('STATES = ("open", "done")\nx = ["closed", "released"]\n') == [2]
    assert done_word_lists('STATUSES = ("open", "in_progress", "done")\n') == []
    assert done_word_lists('ARRIVE = ("arrive", "receive", "come", "delivered", "resolved", "reply")\n') == []


def test_only_the_status_module_lists_done_words():
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == HOME:
            continue
        lines = done_word_lists(path.read_text(encoding="utf-8"))
        if lines:
            found[str(path.relative_to(PACKAGE.parent))] = lines
    assert not found, f"done-words listed outside {HOME.relative_to(PACKAGE.parent)}: {found}; use status.is_done"
