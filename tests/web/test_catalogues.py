"""Every string of the pages is in both catalogues, and the French is not the English left unchanged."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

from web.catalogues import LOCALES, catalogue

WEB = Path(__file__).resolve().parents[2] / "web"
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
SAME_IN_BOTH = {"Mentor", "Participants"}  # words French and English spell alike


def used_messages() -> set[str | tuple[str, ...]]:
    """The message ids the pages' code and templates use, as Babel's extraction finds them."""
    found: set[str | tuple[str, ...]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(WEB, METHODS, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def test_the_extraction_finds_the_pages_strings() -> None:
    used = used_messages()
    assert {"Sign in", "My mentorships", "Worklist", "A dispute is open"} <= used  # templates and N_ both


def test_every_string_is_translated_in_both_catalogues() -> None:
    used = used_messages()
    assert sorted(path.name for path in LOCALES.iterdir() if path.is_dir()) == ["en", "fr_CA"]
    french, english = catalogue("fr_CA"), catalogue("en")
    for message in used:
        key = message if isinstance(message, str) else message[0]
        for locale, book in (("fr_CA", french), ("en", english)):
            entry = book.get(key)
            assert entry is not None, f"{message!r} is missing from {locale}"
            strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
            assert all(strings), f"{message!r} has no {locale} translation"
            assert not entry.fuzzy, f"{message!r} is fuzzy in {locale}"
        if key not in SAME_IN_BOTH:
            assert french[key].string != english[key].string, f"{message!r}: the French is the English unchanged"


def test_no_catalogue_keeps_a_string_the_pages_no_longer_use() -> None:
    used = {message if isinstance(message, str) else message[0] for message in used_messages()}
    for locale in ("fr_CA", "en"):
        kept = {entry.id if isinstance(entry.id, str) else entry.id[0] for entry in catalogue(locale) if entry.id}
        assert kept == used, (locale, kept ^ used)
