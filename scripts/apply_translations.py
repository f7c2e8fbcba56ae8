"""Apply a JSON file of translations (msgid -> text, or [singular, plural]) to a catalog.

    .venv/bin/python scripts/apply_translations.py nl translations.json
"""

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

LOCALE = Path(__file__).resolve().parents[1] / "location_ops" / "locale"


def main(language: str, source: str) -> None:
    path = LOCALE / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    wanted = json.loads(Path(source).read_text())
    applied = 0
    for message in catalog:
        key = message.id if isinstance(message.id, str) else message.id[0] if message.id else None
        if key in wanted:
            value = wanted[key]
            message.string = tuple(value) if isinstance(message.id, tuple) else value
            message.flags.discard("fuzzy")
            applied += 1
    catalog.obsolete.clear()
    with path.open("wb") as handle:
        write_po(handle, catalog, omit_header=True, no_location=True, width=100, sort_output=True)
    print(f"{applied} of {len(wanted)} applied")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
