"""vocmine's Datasette plugin, registered through Datasette's ``datasette`` entry point.

``vocmine serve`` starts Datasette on a workspace with it; a plain ``datasette vocmine.db`` in the
same environment loads it too. The hooks live in ``plugin.py`` (privacy, permissions, metadata,
labels) and the decision pages in ``pages.py``; see docs/serve.md.
"""
from vocmine.cli.datasette.plugin import (  # noqa: F401  (pluggy finds the hooks on this module)
    get_metadata, menu_links, permission_allowed, prepare_connection, register_routes, render_cell,
)
