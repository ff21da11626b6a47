"""What leaves the workspace through no export, page or query: the one list both use.

Every other text column is already redacted when it is stored (see docs/storage.md). These are
the places that are not: contact addresses, input records kept for debugging, texts as received,
and the key that turns an email address into its pseudonym (with it, anyone holding a list of
addresses could tell which pseudonym is whose).
"""
from __future__ import annotations

# table -> why it is never shown
PRIVATE_TABLES = {
    "contacts": "contacts holds personal data",
    "originals": "originals holds unredacted text",
    "settings": "settings holds the workspace's pseudonym key",
}
# Columns of these names hold unredacted data in whichever table they appear.
PRIVATE_COLUMNS = frozenset({"contact", "raw", "original_text"})
# Columns private in one table only: the pseudonym key, a tracker's ticket text as the tracker
# has it (anyone may have pasted an email address into it), and a message as sent to a customer.
PRIVATE_CELLS = frozenset({("settings", "value"), ("tickets", "body"), ("notifications", "body")})


def is_private(table: str | None, column: str | None) -> bool:
    """True when ``table.column`` may hold unredacted personal data or the pseudonym key."""
    return column in PRIVATE_COLUMNS or (table or "", column or "") in PRIVATE_CELLS
