"""Every code block in README.md and docs/*.md runs, so an example that stops working fails CI.

One test per page. Each page gets its own copy of the demo workspace, laid out as a reader of the
tutorial has it (``demo/vocmine.db``, ``demo/vocmine.toml``, ``demo/data/``), in a fresh working
directory with ``VOCMINE_DB=demo/vocmine.db`` (the tutorial's ``export``). A page's blocks run in
document order and share state: its Python blocks in one namespace, its shell blocks in one
environment (``export`` and ``cd`` carry over).

- ``console``/``sh``/``bash`` blocks, and untagged blocks with lines that start with ``$ ``:
  when some lines start with ``$ ``, only those are commands (the rest is output); otherwise every
  line that is not a comment. ``vocmine ...`` runs in-process through click's CliRunner and must
  exit 0; ``sqlite3 FILE SQL`` runs through Python's sqlite3; ``python -c`` runs for real. The
  install and test commands (``python3 -m venv``, ``pip``, ``pytest``, ``git``, ``bash .ci/...``)
  are what CI itself runs, so they are not run here. Any other command fails the test.
- ``python`` blocks are executed; ``toml``, ``yaml``, ``json``, ``ini``, ``jinja`` and ``cron``
  blocks are parsed. ``text``, ``markdown`` and untagged blocks are output and are not run.
- A block that cannot run here (network, credentials, data outside the repository) carries
  ``<!-- docs-test: skip (why) -->`` on the line before its fence; one that must fail carries
  ``<!-- docs-test: expect-error (why) -->``. A marker without a reason fails the test.

docs/cli.md is generated from ``--help`` and checked by tests/test_docs.py, so it is not run here.
"""
from __future__ import annotations

import configparser
import contextlib
import io
import json
import os
import re
import shlex
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import tomllib
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOT_RUN_HERE = {"cli.md"}  # generated reference: tests/test_docs.py checks it against --help
PAGES = [ROOT / "README.md"] + sorted(p for p in (ROOT / "docs").glob("*.md") if p.name not in NOT_RUN_HERE)

SHELL = {"console", "sh", "bash", "shell", "zsh"}
PYTHON = {"python", "py", "python3"}
PARSED = {"toml", "yaml", "yml", "json", "ini", "jinja", "jinja2", "cron"}
OUTPUT = {"", "text", "markdown", "md", "output"}

FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)")
MARKER = re.compile(r"<!--\s*docs-test:\s*(?P<kind>[\w-]+)\s*(?:\((?P<reason>.*?)\))?\s*-->")


@dataclass
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    lang: str
    body: str
    marker: str | None = None  # "skip", "expect-error"
    reason: str = ""

    @property
    def where(self) -> str:
        return f"{shown(self.page)}:{self.line}"


def shown(page: Path) -> str:
    """A page as a CI log names it: relative to the repository."""
    return page.relative_to(ROOT).as_posix() if page.is_relative_to(ROOT) else str(page)


def blocks(page: Path) -> list[Block]:
    """The fenced code blocks of a page, each with the docs-test marker on the line before it.
    A marker that is not right before a fence, or that has an unknown kind or no reason, is an
    error (a typo would otherwise leave an example unchecked or a skip unexplained)."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    used: set[int] = set()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence = m.group("fence")
        end = i + 1
        while end < len(lines) and not lines[end].strip().startswith(fence[0] * len(fence)):
            end += 1
        indent = len(m.group("indent"))  # a fence in a list item: its lines are indented as much
        body = [line[min(indent, len(line) - len(line.lstrip(" "))):] for line in lines[i + 1:end]]
        block = Block(page, i + 1, m.group("lang").lower(), "\n".join(body))
        prev = i - 1
        while prev >= 0 and not lines[prev].strip():
            prev -= 1
        marker = MARKER.search(lines[prev]) if prev >= 0 else None
        if marker:
            used.add(prev)
            block.marker, block.reason = marker.group("kind"), (marker.group("reason") or "").strip()
        found.append(block)
        i = end + 1
    for n, text in enumerate(lines):
        for marker in MARKER.finditer(text):
            where = f"{shown(page)}:{n + 1}"
            assert n in used, f"{where}: docs-test marker not on the line before a code fence"
            assert marker.group("kind") in ("skip", "expect-error"), \
                f"{where}: unknown docs-test marker {marker.group('kind')!r} (skip or expect-error)"
            assert (marker.group("reason") or "").strip(), f"{where}: a docs-test marker needs a (reason)"
    return found


def kind(block: Block) -> str:
    if block.lang in SHELL:
        return "shell"
    if block.lang in PYTHON:
        return "python"
    if block.lang in PARSED:
        return block.lang
    if block.lang in OUTPUT:
        # An untagged block that is a shell session ("$ vocmine ...") is run like one.
        if any(line.startswith("$ ") for line in block.body.splitlines()):
            return "shell"
        return "output"
    raise AssertionError(f"{block.where}: unknown code block language {block.lang!r}; tag it or teach "
                         "tests/test_docs_run.py how to check it")


# -- shell -------------------------------------------------------------------------------------

# Install and test commands: CI runs exactly these (README's two commands, .ci/run).
RUN_BY_CI = [("python3", "-m", "venv"), ("python", "-m", "venv"), ("pip",), ("pip3",), (".venv/bin/pip",),
             ("pytest",), (".venv/bin/python", "-m", "pytest"), ("python", "-m", "pytest"), ("git",),
             ("bash", ".ci/run"), ("bash", ".ci/install-system-deps")]
VOCMINE = {"vocmine", ".venv/bin/vocmine"}
RUN_UNTIL_STOPPED = {"serve"}  # vocmine commands that never return by themselves


def commands(body: str) -> list[tuple[int, str]]:
    """The command lines of a shell block, each with its offset in the block (0: the line after
    the fence), ``\\`` continuations joined."""
    lines = body.splitlines()
    prompted = any(line.startswith("$ ") for line in lines)
    out: list[tuple[int, str]] = []
    cont = False
    for n, line in enumerate(lines):
        if cont:
            out[-1] = (out[-1][0], out[-1][1][:-1].rstrip() + " " + line.strip())
        elif prompted:
            if not line.startswith("$ "):
                continue
            out.append((n, line[2:].strip()))
        elif line.strip() and not line.lstrip().startswith("#"):
            out.append((n, line.strip()))
        else:
            continue
        cont = out[-1][1].endswith("\\")
    return out


def ansi_c(line: str) -> str:
    """Bash's ``$'...'`` strings (``\\n``, ``\\t``, ``\\\\``, ``\\'``) as plain quoted words."""
    escapes = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"'}

    def decode(m: re.Match) -> str:
        return shlex.quote(re.sub(r"\\(.)", lambda e: escapes.get(e.group(1), "\\" + e.group(1)), m.group(1)))

    return re.sub(r"\$'((?:[^'\\]|\\.)*)'", decode, line)


def split(line: str, where: str) -> list[list[str]]:
    """A command line as its ``&&``-separated commands, comments dropped. Pipes, redirections,
    ``;``, ``||`` and substitutions are not run here: such an example needs a skip marker."""
    lexer = shlex.shlex(ansi_c(line), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    tokens = list(lexer)
    parts: list[list[str]] = [[]]
    for tok in tokens:
        if tok == "&&":
            parts.append([])
        elif tok and set(tok) <= set("|&;<>()"):
            raise AssertionError(f"{where}: {line!r}: shell syntax {tok!r} is not run by this test; "
                                 "split the example or mark the block skip")
        else:
            parts[-1].append(tok)
    for part in parts:
        for tok in part:
            if "$(" in tok or "`" in tok or re.search(r"\$\w", tok):
                raise AssertionError(f"{where}: {line!r}: substitution in {tok!r} is not run by this test")
    return [p for p in parts if p]


class Shell:
    """Runs the commands of one page's shell blocks, in one environment and working directory."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, demo: Path) -> None:
        from click.testing import CliRunner

        from vocmine.cli import cli

        self.mp, self.demo, self.cli, self.runner = monkeypatch, demo, cli, CliRunner()

    def run(self, argv: list[str], where: str) -> tuple[int, str]:
        env = {}
        while argv and re.fullmatch(r"[A-Za-z_]\w*=.*", argv[0]):  # VAR=value command ...
            name, _, value = argv.pop(0).partition("=")
            env[name] = value
        if not argv:
            raise AssertionError(f"{where}: an assignment without a command")
        word = argv[0]
        if word == "export":
            for assignment in argv[1:]:
                name, eq, value = assignment.partition("=")
                assert eq, f"{where}: export {assignment}: only export NAME=value is run here"
                self.mp.setenv(name, value)
            return 0, ""
        if word == "cd":
            assert len(argv) == 2, f"{where}: cd takes one directory"
            self.mp.chdir(Path(argv[1]))
            return 0, ""
        if any(tuple(argv[:len(prefix)]) == prefix for prefix in RUN_BY_CI):
            return 0, "(an install or test command: CI runs it, this test does not)"
        with _env(env):
            if word in VOCMINE:
                return self.vocmine(argv[1:], where)
            if word == "sqlite3" and len(argv) == 3:
                with contextlib.closing(sqlite3.connect(f"file:{argv[1]}?mode=ro", uri=True)) as conn:
                    rows = conn.execute(argv[2]).fetchall()
                return 0, "\n".join("|".join("" if v is None else str(v) for v in row) for row in rows)
            if word in ("python", "python3", ".venv/bin/python") and argv[1:2] == ["-c"]:
                r = subprocess.run([sys.executable, *argv[1:]], capture_output=True, text=True, timeout=120)
                return r.returncode, r.stdout + r.stderr
        raise AssertionError(f"{where}: {shlex.join(argv)!r}: this test does not know how to run {word!r}; "
                             "teach tests/test_docs_run.py or mark the block skip with a reason")

    def vocmine(self, args: list[str], where: str) -> tuple[int, str]:
        words = [a for i, a in enumerate(args) if not a.startswith("-") and args[i - 1:i] != ["--db"]]
        if words[:1] and words[0] in RUN_UNTIL_STOPPED:
            raise AssertionError(f"{where}: `vocmine {shlex.join(args)}` runs until stopped; mark the block "
                                 "skip and test the command in its own test")
        if args[:1] == ["demo"] and len(args) == 2 and Path(args[1]).resolve() == self.demo.resolve():
            # The demo this page runs on was built by the demo_dir fixture with the same build();
            # tests/jobs/test_demo.py runs the command itself.
            assert (self.demo / "vocmine.db").is_file()
            return 0, f"(the demo in {args[1]} is the demo_dir fixture's, built once per session)"
        r = self.runner.invoke(self.cli, args, obj={}, prog_name="vocmine", catch_exceptions=True)
        out = r.output
        if r.exception is not None and not isinstance(r.exception, SystemExit):
            out += "".join(traceback.format_exception(r.exception))
        return r.exit_code, out


@contextlib.contextmanager
def _env(extra: dict[str, str]):
    old = {k: os.environ.get(k) for k in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# -- the other kinds ---------------------------------------------------------------------------

def parse(block: Block) -> None:
    """A config, template or crontab example must at least be well-formed."""
    text = block.body
    if block.lang == "toml":
        tomllib.loads(text)
    elif block.lang in ("yaml", "yml"):
        import yaml

        yaml.safe_load(text)
    elif block.lang == "json":
        json.loads(text)
    elif block.lang == "ini":
        configparser.ConfigParser().read_string(text)
    elif block.lang in ("jinja", "jinja2"):
        import jinja2

        jinja2.Environment().parse(text)
    elif block.lang == "cron":
        for line in text.splitlines():
            if line.strip() and not line.lstrip().startswith("#") and not re.match(r"^[A-Z_]+=", line):
                fields = line.split(None, 5)
                assert len(fields) == 6 and all(re.fullmatch(r"[\d*/,-]+", f) for f in fields[:5]), \
                    f"not a crontab line (5 time fields and a command): {line!r}"


def run_python(block: Block, namespace: dict) -> None:
    # Padded so that a traceback names the page's own line numbers.
    code = compile("\n" * block.line + block.body, str(block.page), "exec")
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        # An example that uses a deprecated vocmine name or path is out of date.
        warnings.filterwarnings("error", message=r"(?s).*\bvocmine\b", category=DeprecationWarning)
        exec(code, namespace)


def explain(exc: BaseException) -> str:
    """An exception as the reader of a CI log needs it: this file's own frames left out."""
    if isinstance(exc, AssertionError) and exc.__traceback__ and \
            exc.__traceback__.tb_frame.f_code.co_filename == __file__ and not exc.__traceback__.tb_next:
        return str(exc)
    te = traceback.TracebackException.from_exception(exc)
    te.stack = traceback.StackSummary.from_list([f for f in te.stack if f.filename != __file__][-8:])
    return "".join(te.format()).rstrip()


# -- the test ----------------------------------------------------------------------------------

@pytest.fixture
def demo_copy(demo_dir, tmp_path, monkeypatch):
    """A fresh working directory holding ``demo/``: the demo workspace, its config and its data."""
    demo = tmp_path / "demo"
    demo.mkdir()
    for f in demo_dir.iterdir():
        if f.is_file() and (f.name.startswith("vocmine.db") or f.suffix == ".toml"):
            shutil.copy2(f, demo / f.name)
    shutil.copytree(demo_dir / "data", demo / "data")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VOCMINE_DB", "demo/vocmine.db")
    monkeypatch.setenv("MPLBACKEND", "Agg")  # the notebook examples plot
    real = socket.getaddrinfo

    def local_only(host, *args, **kwargs):  # an example that needs the network needs a skip marker
        if host not in ("127.0.0.1", "::1", "localhost", None):
            raise OSError(f"docs examples run offline: {host} is not reachable here (mark the block skip)")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)
    return demo


def run_page(page: Path, shell: Shell) -> list[str]:
    """Run a page's blocks in order; return what failed, each with its file:line and cause."""
    namespace: dict = {"__name__": "__docs__"}
    failures: list[str] = []
    for block in blocks(page):
        what = "?"
        try:
            what = kind(block)
            if block.marker == "skip" or what == "output":
                continue
            expect_error = block.marker == "expect-error"
            if what == "shell":
                ran = 0
                for offset, line in commands(block.body):
                    where = f"{shown(page)}:{block.line + 1 + offset}"
                    for argv in split(line, where):
                        t0 = time.monotonic()
                        code, out = shell.run(argv, where)
                        ran += 1
                        print(f"{where}: $ {shlex.join(argv)}  -> {code} ({time.monotonic() - t0:.1f} s)")
                        if (code == 0) == expect_error:
                            want = "to fail" if expect_error else "exit 0"
                            failures.append(f"{where}: `{shlex.join(argv)}` exited {code}, expected {want}:\n"
                                            f"{out.rstrip()}")
                assert ran, f"{block.where}: a shell block with no command"
            elif what == "python":
                t0 = time.monotonic()
                try:
                    run_python(block, namespace)
                    print(f"{block.where}: python block ({time.monotonic() - t0:.1f} s)")
                except Exception:
                    if not expect_error:
                        raise
                else:
                    assert not expect_error, f"{block.where}: expected an error, ran without one"
            else:
                parse(block)
        except Exception as exc:  # noqa: BLE001: every failing block is listed, with its cause
            failures.append(f"{block.where} ({what}): {explain(exc)}")
    for value in list(namespace.values()):  # the workspaces the examples opened
        if type(value).__name__ == "Workspace":
            value.close()
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    return failures


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_code_blocks_run(page, demo_copy, monkeypatch):
    failures = run_page(page, Shell(monkeypatch, demo_copy))
    if failures:
        pytest.fail(f"{len(failures)} code block(s) of {shown(page)} failed:\n\n" + "\n\n".join(failures),
                    pytrace=False)


# -- the harness itself ------------------------------------------------------------------------

def test_markers_need_a_reason_and_a_fence(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("<!-- docs-test: skip (network) -->\n```sh\nvocmine scrape x\n```\n", encoding="utf-8")
    assert [(b.marker, b.reason) for b in blocks(page)] == [("skip", "network")]
    for text, message in [("<!-- docs-test: skip -->\n```sh\nvocmine stats\n```\n", "needs a (reason)"),
                          ("<!-- docs-test: skip () -->\n```sh\nvocmine stats\n```\n", "needs a (reason)"),
                          ("<!-- docs-test: skipp (typo) -->\n```sh\nvocmine stats\n```\n", "unknown docs-test"),
                          ("<!-- docs-test: skip (why) -->\n\nsome prose\n\n```sh\nvocmine stats\n```\n",
                           "not on the line before a code fence")]:
        page.write_text(text, encoding="utf-8")
        with pytest.raises(AssertionError, match=re.escape(message)):
            blocks(page)


def test_shell_blocks_are_read_as_a_reader_types_them():
    session = "$ vocmine stats \\\n  --json\n{\"feedback\": 3}\n$ vocmine search x  # comment\nno match\n"
    assert commands(session) == [(0, "vocmine stats --json"), (3, "vocmine search x  # comment")]
    assert commands("# setup\nexport A=1\n\nvocmine stats\n") == [(1, "export A=1"), (3, "vocmine stats")]
    assert split("cd demo && vocmine weekly   # a comment", "x") == [["cd", "demo"], ["vocmine", "weekly"]]
    assert split("vocmine tickets add K --body $'a\\nb'", "x") == [["vocmine", "tickets", "add", "K", "--body", "a\nb"]]
    for line in ("vocmine stats | head", "vocmine stats > out.txt", "cd $(pwd)", "echo $HOME"):
        with pytest.raises(AssertionError, match="not run by this test"):
            split(line, "x")


def test_a_broken_example_fails_with_its_line(tmp_path, monkeypatch):
    """The page test's own checks, on a small page: a wrong option, an expect-error block that
    passes, a failing Python line, a moved module, bad TOML and an unknown tag each fail, naming
    the page's line; a skipped block and what CI runs are not run; an unknown command fails."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VOCMINE_DB", str(tmp_path / "w.db"))
    shell = Shell(monkeypatch, tmp_path / "demo")
    assert shell.run(["vocmine", "init", "w.db"], "x")[0] == 0
    code, out = shell.run(["vocmine", "stats", "--no-such-option"], "x")
    assert code == 2 and "No such option" in out
    assert shell.run(["pip", "install", "vocmine"], "x") == \
        (0, "(an install or test command: CI runs it, this test does not)")
    with pytest.raises(AssertionError, match="does not know how to run 'curl'"):
        shell.run(["curl", "https://example.com"], "page.md:3")
    with pytest.raises(AssertionError, match="runs until stopped"):
        shell.run(["vocmine", "--db", "w.db", "serve"], "page.md:4")
    page = tmp_path / "page.md"
    page.write_text(
        "# A page\n\n"
        "```sh\nvocmine init w.db\nvocmine stats --limt 3\n```\n\n"           # lines 3-6: line 5 fails
        "<!-- docs-test: expect-error (an unknown option) -->\n```console\n$ vocmine stats --limt 3\n```\n\n"
        "<!-- docs-test: expect-error (must fail) -->\n```sh\nvocmine stats\n```\n\n"  # line 15 does not fail
        "<!-- docs-test: skip (not run) -->\n```sh\ncurl https://example.com\n```\n\n"
        "```python\nx = 1\nx.nope\n```\n\n"                                    # lines 23-26: line 25 fails
        "```python\nfrom vocmine import plots\n```\n\n"                          # line 28: a moved module
        "```toml\nname = \n```\n\n"                                              # line 32: not TOML
        "```pyhton\nx = 1\n```\n",                                                # line 36: unknown tag
        encoding="utf-8")
    import vocmine

    monkeypatch.delitem(sys.modules, "vocmine.plots", raising=False)  # imported before: no warning again
    monkeypatch.delattr(vocmine, "plots", raising=False)
    failures = run_page(page, Shell(monkeypatch, tmp_path / "demo"))
    assert [f.split(" ", 1)[0].split(":", 1)[-1] for f in failures] == ["5:", "15:", "23", "28", "32", "36"], failures
    assert "No such option '--limt'" in failures[0] and "expected to fail" in failures[1]
    assert f'File "{page}", line 25' in failures[2] and "AttributeError" in failures[2]
    assert "DeprecationWarning: vocmine.plots moved" in failures[3]
    assert "TOMLDecodeError" in failures[4] and "unknown code block language 'pyhton'" in failures[5]


def test_readme_names_every_browser_test():
    """The README says which tests skip without Chromium: every test module that drives the
    browser (imports tests/browser.py) is named there."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    users = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").rglob("test_*.py")
                   if re.search(r"^\s*from browser import|^\s*import browser", p.read_text(encoding="utf-8"), re.M))
    assert users, "no test drives the browser: tests/browser.py has no users"
    missing = [u for u in users if u not in readme]
    assert not missing, f"README.md does not say these tests skip without Chromium: {missing}"
    gone = [t for t in re.findall(r"\btests/[\w/]+\.py\b", readme) if not (ROOT / t).is_file()]
    assert not gone, f"README.md names tests that do not exist: {gone}"
