"""The message catalogues (Babel): one `.po` file per language under `infrastructure/locales/`.

The `.po` files are the only source: they are compiled in memory when first used (no `.mo` file to keep
in step). E-mails use them now; the web app's pages will read the same catalogues.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = Path(__file__).resolve().parent / "locales"
DOMAIN = "mentorat"
LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"


@cache
def translations(language: str) -> Translations:
    """The catalogue of a language (French for a language without one)."""
    if language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    with (LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)
