"""Data that ships inside the package: taxonomies and report templates."""
from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vocmine.core.errors import ConfigError

if TYPE_CHECKING:
    from vocmine.core.store import Store

_ID_RE = re.compile(r"^[a-z0-9_]+$")


def data_path(kind: str) -> Path:
    """Return the folder of packaged data: ``"taxonomy"`` or ``"reports"``."""
    if kind not in ("taxonomy", "reports"):
        raise ConfigError(f"unknown data folder {kind!r}; available: reports, taxonomy")
    here = Path(__file__).resolve().parents[1]  # the vocmine package
    # Installed from a wheel: vocmine/taxonomy. A source tree (or an editable install): the
    # folders sit beside the package, at the top of the repository.
    for path in (here / kind, here.parent / kind):
        if path.is_dir():
            return path
    raise ConfigError(f"vocmine's {kind}/ data is missing from this installation; reinstall vocmine")


def load_taxonomy(path: str | Path | None = None) -> dict[str, Any]:
    """Return a taxonomy (the default one, or the YAML file at ``path``), checked against its schema."""
    import yaml

    file = Path(path) if path else data_path("taxonomy") / "default.yaml"
    try:
        doc = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such taxonomy file") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: invalid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise ConfigError(f"{file}: a taxonomy is a mapping with 'name', 'version' and 'categories'")
    for key in ("name", "version", "categories"):
        if key not in doc:
            raise ConfigError(f"{file}: missing '{key}'")
    if not isinstance(doc["categories"], list) or not doc["categories"]:
        raise ConfigError(f"{file}: 'categories' must be a non-empty list")
    ids: set[str] = set()
    for i, cat in enumerate(doc["categories"], start=1):
        where = f"{file}: category {i}"
        if not isinstance(cat, dict) or "id" not in cat:
            raise ConfigError(f"{where}: each category needs an 'id'")
        cid = str(cat["id"])
        where = f"{file}: category {cid!r}"
        if not _ID_RE.match(cid):
            raise ConfigError(f"{where}: ids use lowercase letters, digits and _")
        if cid in ids:
            raise ConfigError(f"{where}: duplicate id")
        ids.add(cid)
        if not isinstance(cat.get("label"), dict) or not cat["label"]:
            raise ConfigError(f"{where}: 'label' must map languages to labels, e.g. {{en: Delivery, ko: 배송}}")
        for field in ("keywords", "patterns", "examples"):
            value = cat.get(field, {})
            if not isinstance(value, dict) or not all(isinstance(v, list) for v in value.values()):
                raise ConfigError(f"{where}: '{field}' must map languages to lists")
        for lang_, pats in cat.get("patterns", {}).items():
            for p in pats:
                try:
                    re.compile(p)
                except re.error as exc:
                    raise ConfigError(f"{where}: bad pattern {p!r} ({lang_}): {exc}") from exc
    for cat in doc["categories"]:
        parent = cat.get("parent")
        if parent and parent not in ids:
            raise ConfigError(f"{file}: category {cat['id']!r}: unknown parent {parent!r}")
    return doc


def workspace_taxonomy(ws: "Store", taxonomy: Any = None) -> dict[str, Any]:
    """Return the taxonomy in use: ``taxonomy`` (a dict or a path), the workspace's accepted copy
    (setting ``taxonomy_path``), or the default."""
    if isinstance(taxonomy, dict):
        return taxonomy
    return load_taxonomy(taxonomy or ws.setting("taxonomy_path"))
