"""The web app's message catalogues (Babel): `web/locales/{fr_CA,en}/LC_MESSAGES/web.po`, compiled in memory.

The same approach as the e-mails' catalogues (`infrastructure/translations.py`): the `.po` files are the only
source, compiled when first used, so a plain `pip install .` gives a working app and no `.mo` file can lag.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = Path(__file__).resolve().parent / "locales"
DOMAIN = "web"
LOCALE_OF = {"fr": "fr_CA", "en": "en"}  # the recorded language (`domain.values.Language`) and its locale
DEFAULT_LANGUAGE = "fr"


def locale_of(language: str) -> str:
    """The locale of a language the web app speaks (French, Canada, for any other)."""
    return LOCALE_OF.get(language, LOCALE_OF[DEFAULT_LANGUAGE])


def catalogue(locale: str) -> Catalog:
    """A locale's catalogue as the `.po` file holds it."""
    with (LOCALES / locale / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as source:
        return read_po(source, locale=locale, domain=DOMAIN)


@cache
def translations(language: str) -> Translations:
    """The compiled catalogue of a language."""
    compiled = io.BytesIO()
    write_mo(compiled, catalogue(locale_of(language)))
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)
