"""Collectors: web reviews through Scrapy (run in a subprocess) and Reddit through PRAW.

Nothing here imports Scrapy or PRAW at module level: the crawl runs in its own process
(``vocmine.collect.crawl``) and PRAW is imported when a Reddit source is used.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def scrapers_package() -> ModuleType:
    """Return the ``vocmine.scrapers`` package (the Scrapy project), importing it if needed.

    An installed wheel ships it as ``vocmine/scrapers``. In a source tree (or an editable install
    made before the package existed) it is the ``scrapers/`` folder beside ``vocmine/``, registered
    under the same name so that Scrapy's settings and spider modules resolve either way.
    """
    try:
        return importlib.import_module("vocmine.scrapers")
    except ModuleNotFoundError as exc:
        if exc.name != "vocmine.scrapers":
            raise
    folder = Path(__file__).resolve().parents[2] / "scrapers"  # vocmine/collect/__init__.py -> the repository
    init = folder / "__init__.py"
    if not init.is_file():
        from vocmine.core.errors import ConfigError

        raise ConfigError("vocmine's scrapers package is missing from this installation; reinstall vocmine")
    spec = importlib.util.spec_from_file_location("vocmine.scrapers", init, submodule_search_locations=[str(folder)])
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["vocmine.scrapers"] = module
    spec.loader.exec_module(module)
    setattr(sys.modules["vocmine"], "scrapers", module)  # what an import of a subpackage does
    return module


def examples_path() -> Path:
    """Return the folder of example site configs that ship with vocmine (``scrapers/sites``)."""
    init = scrapers_package().__file__
    assert init is not None  # a package loaded from its folder
    return Path(init).resolve().parent / "sites"
