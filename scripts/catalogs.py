"""Catalog upkeep: English msgstr = msgid (English is the source language); list what is untranslated.

    python scripts/catalogs.py fill-english
    python scripts/catalogs.py missing nl     # msgids without a Dutch translation, one per line
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

LOCALE = Path(__file__).resolve().parents[1] / "location_ops" / "locale"


def _load(language: str):
    with (LOCALE / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def _save(language: str, catalog) -> None:
    with (LOCALE / language / "LC_MESSAGES" / "messages.po").open("wb") as handle:
        write_po(handle, catalog, omit_header=True, no_location=True, width=100, sort_output=True)


def fill_english() -> None:
    catalog = _load("en")
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            message.string = tuple(message.id)
        else:
            message.string = message.id
        message.flags.discard("fuzzy")
    _save("en", catalog)


def missing(language: str) -> None:
    for message in _load(language):
        if message.id and not (all(message.string) if isinstance(message.string, tuple) else message.string):
            print(message.id if isinstance(message.id, str) else message.id[0])


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "fill-english":
        fill_english()
    elif command == "missing" and len(sys.argv) == 3:
        missing(sys.argv[2])
    else:
        sys.exit(__doc__)
