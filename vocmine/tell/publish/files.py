"""Writing published files: through temp files, into folders that vocmine owns by a manifest.

Every file is written to a temp file beside it and renamed into place, so a reader never sees
half a page and a failed write (disk full, no permission) leaves the old file and no ``.tmp``
behind; the failure is one :class:`OutputError` that names the file and the cause.

A publish owns only what it wrote: ``.vocmine-manifest.json`` in the output folder lists, per
writer ("site", "markdown", "report"), the files it wrote. The next run of that writer replaces
and removes only those, and a folder that is not empty and has no manifest is refused unless
``force=True`` (the CLI's ``--force``), so a hand-written ``index.html`` or ``CHANGELOG.md`` is
never overwritten by accident.
"""
from __future__ import annotations

import errno
import json
import logging
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

from vocmine.core.errors import VocmineError

log = logging.getLogger(__name__)

MANIFEST = ".vocmine-manifest.json"


class OutputError(VocmineError):
    """An output folder or file could not be written (disk full, permissions, not ours)."""


def _cause(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "disk full (no space left on device); free some space and run again"
    if exc.errno == errno.EDQUOT:
        return "disk quota exceeded; free some space and run again"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied; choose a folder you can write to"
    return f"{exc.strerror or exc}; check the folder and run again"


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temp file in the same folder, then rename it into place.

    On any OSError the temp file is removed, ``path`` keeps its old content and an OutputError
    names the file and the cause ("disk full" for ENOSPC).
    """
    path = Path(path)
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; published files are meant to be read
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise OutputError(f"could not write {path}: {_cause(exc)}") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def write_if_changed(path: str | os.PathLike, text: str) -> bool:
    """Write ``text`` (UTF-8, LF) to ``path`` unless it already holds exactly that; return True if written."""
    path = Path(path)
    data = text.encode("utf-8")
    try:
        if path.is_file() and path.read_bytes() == data:
            return False
    except OSError as exc:
        raise OutputError(f"could not read {path}: {_cause(exc)}") from None
    write_atomic(path, data)
    log.debug("wrote %s", path)
    return True


def read_manifest(out: Path) -> dict[str, list[str]] | None:
    """Return {writer: [relative paths]} from ``out``'s manifest; None when there is none."""
    path = out / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files = data["files"]
        return {str(k): [str(p) for p in v] for k, v in files.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise OutputError(f"{path} is not a vocmine manifest; delete it, or pass --force (force=True) to "
                          "rewrite it") from None


def _foreign(out: Path) -> list[str]:
    """Return the entries of ``out`` (relative, sorted, at most a few) that are not the manifest."""
    return sorted(p.name for p in out.iterdir() if p.name != MANIFEST)


def write_tree(out: str | os.PathLike, files: Mapping[str, str], *, owner: str, force: bool = False,
               replace: bool = True) -> tuple[list[Path], int]:
    """Write ``files`` ({path relative to ``out``: text}) as ``owner``; return (paths, files changed).

    With ``replace`` (the site, the Markdown changelog) the files this owner wrote last time and
    does not write now are removed; without it (the weekly report, which keeps older weeks) the
    owner's files accumulate. Refuses (OutputError) a non-empty folder without a manifest, and a
    file that exists, differs and was not written by vocmine, unless ``force``.
    """
    root = Path(out)
    try:
        return _write_tree(root, files, owner, force, replace)
    except OSError as exc:  # listing or reading the folder itself failed
        raise OutputError(f"could not write into {root}: {_cause(exc)}") from None


def _write_tree(root: Path, files: Mapping[str, str], owner: str, force: bool,
                replace: bool) -> tuple[list[Path], int]:
    if root.exists() and not root.is_dir():
        raise OutputError(f"{root} is a file, not a folder; choose a folder for the output")
    manifest = None
    try:
        manifest = read_manifest(root) if root.is_dir() else None
    except OutputError:
        if not force:
            raise
    if root.is_dir() and manifest is None and not force:
        manifest = _adopt(root, owner, set(files))
    if root.is_dir() and manifest is None and not force:
        present = _foreign(root)
        if present:
            shown = ", ".join(present[:3]) + (", ..." if len(present) > 3 else "")
            raise OutputError(f"{root} is not empty ({shown}) and was not written by vocmine (no {MANIFEST}); "
                              "choose an empty or new folder, or pass --force (force=True) to write into it")
    manifest = dict(manifest or {})
    ours = {p for paths in manifest.values() for p in paths}
    for rel in files:
        if Path(rel).is_absolute() or ".." in Path(rel).parts or rel == MANIFEST:
            raise OutputError(f"{rel!r} is not a path inside the output folder")
    if not force:
        for rel, text in files.items():
            path = root / rel
            if rel not in ours and path.exists():
                if path.is_file() and path.read_bytes() == text.encode("utf-8"):
                    continue
                raise OutputError(f"{path} exists and was not written by vocmine; move it away, or pass --force "
                                  "(force=True) to overwrite it")
    before = manifest.get(owner, [])
    names = sorted(files)
    # The manifest lists every file before it is written, so that a crash part-way leaves no
    # file of ours unlisted (the next run then owns, replaces or removes it).
    manifest[owner] = sorted(set(before) | set(names))
    _write_manifest(root, manifest)
    changed = 0
    for rel in names:
        changed += write_if_changed(root / rel, files[rel])
    if replace:
        keep = {p for o, paths in manifest.items() if o != owner for p in paths}
        for rel in sorted(set(before) - set(names) - keep):
            _remove(root, rel)
        manifest[owner] = names
    _write_manifest(root, manifest)
    return [root / rel for rel in names], changed


_REPORT_NAME = re.compile(r"^(?:latest|weekly-\d{4}-W\d{2})\.(?:html|md)$")


def _adopt(root: Path, owner: str, names: set[str]) -> dict[str, list[str]] | None:
    """Return a manifest for a folder an older vocmine wrote (before manifests), or None.

    Only folders that are recognisably vocmine's are adopted: a site whose feed.xml names vocmine
    as its generator (only the files this run writes again are adopted: an older entry page stays,
    never removed), a report folder holding nothing but weekly-YYYY-Www / latest files.
    """
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    if owner == "site":
        feed = root / "feed.xml"
        try:
            ours = feed.is_file() and "<generator>vocmine</generator>" in feed.read_text("utf-8", "replace")
        except OSError:
            ours = False
        if not ours:
            return None
        adopted = [f for f in files if f in names]
    elif owner == "report":
        weeks = [f for f in files if f.startswith("weekly-")]
        if not weeks or not all(_REPORT_NAME.match(f) for f in files):
            return None
        adopted = files
    else:
        return None
    log.info("%s: written by an older vocmine; adopting %d files into %s", root, len(adopted), MANIFEST)
    return {owner: adopted}


def _remove(root: Path, rel: str) -> None:
    path = root / rel
    try:
        if path.is_file():
            path.unlink()
            log.info("removed %s: no longer published", path)
        parent = path.parent
        while parent != root and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    except OSError as exc:
        raise OutputError(f"could not remove {path}: {_cause(exc)}") from None


def _write_manifest(root: Path, manifest: Mapping[str, list[str]]) -> None:
    text = json.dumps({"generator": "vocmine", "files": {k: manifest[k] for k in sorted(manifest)}},
                      ensure_ascii=False, indent=1) + "\n"
    write_if_changed(root / MANIFEST, text)
