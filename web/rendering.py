"""Pages rendered from Jinja2 templates in the visitor's language, with the headers every page carries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from web.catalogues import LOCALE_OF, translations
from web.formats import Formats
from web.words import N_

TEMPLATES = Path(__file__).resolve().parent / "templates"
ENVIRONMENT = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(("html",), default=True),
    undefined=StrictUndefined,  # a name the page does not give is an error, never an empty string
    trim_blocks=True,
    lstrip_blocks=True,
)
# Only our own files: no inline script or style, no frames, forms post to us only
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",  # pages name people's mentorships: never kept by a cache
}
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}  # each language in its own words, in every page
# Each role's menu (path, message id): the pages of the web app it may open
MENUS = {
    "coordinator": (
        ("/programme", N_("Dashboard")),
        ("/worklist", N_("Worklist")),
        ("/programme/mentorships", N_("Mentorships")),
        ("/programme/participants", N_("Participants")),
    ),
    "mentor": (("/mentorships", N_("My mentorships")),),
    "mentee": (("/mentorships", N_("My mentorships")),),
    "auditor": (
        ("/audit", N_("Access log")),
        ("/audit/mentorships", N_("Timelines")),
        ("/audit/history", N_("State of the history")),
    ),
}


def render(template: str, language: str, path: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A template in a language (French or English), the language switch pointing at `path`."""
    gettext = translations(language)
    body = ENVIRONMENT.get_template(template).render(
        _=gettext.gettext,
        ngettext=gettext.ngettext,
        lang=language,
        html_lang=LOCALE_OF[language].replace("_", "-"),
        languages=LANGUAGE_NAMES,
        here=path,
        fmt=Formats(language, context.pop("time_zone", "America/Toronto")),
        **{"programme_name": None, "signed_in": None, "csrf": None, "role": None, "menus": MENUS, **context},
    )
    return HTMLResponse(body, status_code=status, headers=HEADERS)
