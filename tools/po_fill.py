"""Fill the web app's catalogues: English from the message ids, French from a JSON file of {msgid: French}.

    .venv/bin/python tools/po_fill.py [french.json]

Run after `make catalogues`. An English entry is the message id itself (plural: the id and its plural);
a French entry is taken from the file (a plural as a list of two forms). Entries already translated are kept.
It prints the ids still untranslated in French: tests/web/test_catalogues.py fails while any remains.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

LOCALES = Path(__file__).resolve().parent.parent / "web" / "locales"


def po(locale: str) -> Path:
    return LOCALES / locale / "LC_MESSAGES" / "web.po"


def load(locale: str):  # type: ignore[no-untyped-def]
    with po(locale).open("rb") as source:
        return read_po(source, locale=locale, domain="web")


def save(locale: str, catalogue) -> None:  # type: ignore[no-untyped-def]
    with po(locale).open("wb") as target:
        write_po(target, catalogue, width=120, omit_header=False, sort_output=True, no_location=True)


def main() -> None:
    french: dict[str, object] = json.loads(Path(sys.argv[1]).read_text()) if len(sys.argv) > 1 else {}
    english = load("en")
    for message in english:
        if message.id and not any(message.string if isinstance(message.string, tuple) else [message.string]):
            message.string = tuple(message.id) if isinstance(message.id, tuple) else message.id
    save("en", english)
    fr = load("fr_CA")
    missing = []
    for message in fr:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        current = message.string if isinstance(message.string, tuple) else (message.string,)
        if any(current):
            continue
        given = french.get(key)
        if given is None:
            missing.append(key)
        else:
            message.string = tuple(given) if isinstance(given, list) else str(given)
    save("fr_CA", fr)
    for key in missing:
        print("untranslated in French:", key)


if __name__ == "__main__":
    main()
