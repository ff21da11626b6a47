"""Progress output: one line per stage off a TTY, a redrawn line on a TTY, nothing when quiet."""
from __future__ import annotations

import io
import re

from vocmine.cli.progress import Progress
from vocmine.jobs.demo import _Stages, write_exports


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run_stages(p: Progress, tmp_path) -> None:
    st = _Stages(p)
    bar = st.start("write sample exports")
    files = write_exports(tmp_path, seed=3)
    if bar:
        bar(1, 2)
        bar(2, 2)
    st.end(f"wrote sample exports to {tmp_path}: {len(files)} files")
    st.start("ingest x.csv")
    st.end("ingest x.csv: 3 rows, 3 new")


def test_off_tty_one_line_per_stage_with_counts(tmp_path):
    out = io.StringIO()
    _run_stages(Progress(out), tmp_path)
    text = out.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert len(lines) == 2
    for line in lines:
        assert re.search(r"\d", line.split("(")[0]) and re.search(r"\(\d+\.\d s\)$", line), line
    assert lines[0].startswith("wrote sample exports to ") and ": 4 files" in lines[0]
    assert "..." not in text


def test_tty_draws_the_running_stage(tmp_path):
    out = FakeTTY()
    _run_stages(Progress(out), tmp_path)
    text = out.getvalue()
    assert "\rwrite sample exports ..." in text
    assert "2/2 100%" in text
    final = [seg for seg in text.split("\n") if seg]
    assert final[-1].split("\r")[-1].startswith("ingest x.csv: 3 rows, 3 new")


def test_quiet_writes_nothing(tmp_path):
    for stream in (io.StringIO(), FakeTTY()):
        _run_stages(Progress(stream, quiet=True), tmp_path)
        assert stream.getvalue() == ""
