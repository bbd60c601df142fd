"""Fill English translations into the catalogue from a JSON file of {msgid: text} (or
{msgid: [singular, plural]}), leaving every other entry as it is. Used after
scripts/update_translations.sh has added new Danish msgids:

    .venv/bin/python scripts/translate_missing.py new.json
    scripts/update_translations.sh --compile
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parents[1] / "portfolio/translations/en/LC_MESSAGES/messages.po"


def main() -> None:
    texts = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    with PO.open("rb") as f:
        catalog = read_po(f)
    filled = 0
    for message in catalog:
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if key in texts:
            value = texts[key]
            message.string = tuple(value) if isinstance(message.id, tuple) else value
            filled += 1
    with PO.open("wb") as f:
        write_po(f, catalog, width=0, omit_header=False, sort_output=True)
    missing = [
        m.id
        for m in catalog
        if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    print(f"{filled} filled; {len(missing)} still untranslated")
    for m in missing:
        print("  ", repr(m))


def _translated(string: str | tuple[str, ...]) -> bool:
    return all(string) if isinstance(string, tuple) else bool(string)


if __name__ == "__main__":
    main()
