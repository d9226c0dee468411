"""A git merge driver for the web app's catalogues: the union of both sides' messages.

    git config merge.po.driver ".venv/bin/python tools/po_merge.py %O %A %B %P"
    echo '*.po merge=po' >> .git/info/attributes; echo '*.pot merge=po' >> .git/info/attributes

Each side adds the strings of its own pages, and `pybabel update` re-sorts and re-dates the files, so a
textual merge conflicts on every branch. This keeps every message of either side (a translated entry wins
over an untranslated one; where both translate, ours), and writes the result over ours (%A).
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po


def load(path: str):  # type: ignore[no-untyped-def]
    with Path(path).open("rb") as source:
        return read_po(source)


def translated(message) -> bool:  # type: ignore[no-untyped-def]
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings) and bool(strings)


def main() -> int:
    _, ours_path, theirs_path, name = sys.argv[1:5]
    ours, theirs = load(ours_path), load(theirs_path)
    for message in theirs:
        if not message.id:
            continue
        mine = ours.get(message.id)
        if mine is None:
            ours[message.id] = message
        elif not translated(mine) and translated(message):
            mine.string = message.string
    with Path(ours_path).open("wb") as target:
        write_po(target, ours, width=120, sort_output=True, no_location=True, omit_header=name.endswith(".pot"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
