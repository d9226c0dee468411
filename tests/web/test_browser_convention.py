"""The pair's convention in a real Chromium, in French on a phone's screen: a mentor and a mentee sign in, set
their objectives, both sign, then assess an objective and report their satisfaction.

Its own server and browser for the module, over the marked history of `tests/integration/confidential.py` (no
marker may reach these pages: the new pair's texts are their own) and a new pair drafted by its coordinator.
Every page is checked by axe-core and the 360 px width, and screenshotted (`convention.png` is the README's).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest

from api.app import create_app
from bootstrap.settings import Settings
from tests.api.conftest import mailed, serve
from tests.integration.confidential import Marks, before_erasure
from tests.support import FakeClock, ports
from tests.web.test_browser import CHROMIUM, Site, axe_script, checked, context, missing, playwright_sync

Q = "\u2019"  # French typography's apostrophe, as the catalogue writes it


@dataclass(frozen=True)
class Pair:
    """The site, and the new pair's ids and e-mail addresses."""

    site: Site
    mentorship_id: str
    people: dict[str, tuple[UUID, str]]  # "mentor" | "mentee" -> (id, e-mail address)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """The app on a free port over SQLite, the marked history, a new pair's draft, and Chromium."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing: `apt-get install -y chromium`")
    axe = axe_script()
    settings = Settings(data_dir=tmp_path_factory.mktemp("convention") / "var", database_url=None)
    clock, marks = FakeClock(), Marks()
    app = create_app(settings, ports(clock))
    with serve(app) as base:
        service = app.state.service
        cast = before_erasure(service, clock, marks)
        coordinator, pid = cast.coordinator, cast.coordinator.programme_id
        people = {}
        for role, name in (("mentor", "Mentora Gagnon"), ("mentee", "Menté Tremblay")):
            address = f"{role}-pair@example.org"
            registered = service.participants.register(coordinator, pid, role, name, address, "fr")
            people[role] = (UUID(str(registered.aggregate_id)), address)
        starts_on = clock().date()
        drafted = service.mentorships.draft(coordinator, pid, people["mentor"][0], people["mentee"][0], starts_on, None)
        assert app.state.read_side.wait_for(service.store.position(), ("summary", "timeline"), 20)
        with playwright_sync.sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
            try:
                shots = tmp_path_factory.mktemp("screenshots")
                site = Site(base, app, settings, marks, cast, "", browser, axe, shots)
                yield Pair(site, str(drafted.aggregate_id), people)
            finally:
                browser.close()


def signed_in(pair: Pair, role: str) -> Any:
    """A phone's browser where the party signed in by pasting their e-mailed code: its page, on their list."""
    site = pair.site
    person, address = pair.people[role]
    site.app.state.service.participants.invite(site.cast.coordinator, person)
    code = mailed(site.app, address)
    page = context(site).new_page()
    page.goto(f"{site.base}/sign-in")
    page.get_by_label("Votre code de connexion").fill(code)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{site.base}/mentorships")
    return page


def test_a_mentor_and_a_mentee_set_objectives_sign_and_report_their_satisfaction(pair: Pair) -> None:
    site, mid = pair.site, pair.mentorship_id
    convention = f"{site.base}/mentorships/{mid}"
    mentor = signed_in(pair, "mentor")
    mentor.get_by_role("link", name="Mentor", exact=True).click()
    mentor.wait_for_url(convention)
    html = checked(site, mentor, "convention-awaiting")
    assert mentor.get_by_role("heading", level=1).inner_text() == "Convention entre mentor et mentoré"
    assert "En attente des signatures" in html and "de 60 à 90 minutes" in html
    assert html.count("Pas encore signée") == 2
    # Signing before any objective: refused, in words, announced
    mentor.get_by_role("button", name="Signer la convention").click()
    assert "au moins un objectif" in mentor.get_by_role("alert").inner_text()
    checked(site, mentor, "convention-refused")
    mentor.get_by_label("Un nouvel objectif").fill("Prendre la parole en public avec aisance")
    mentor.get_by_role("button", name=f"Ajouter l{Q}objectif").click()
    mentor.wait_for_url(f"{convention}#objectives")
    assert "Prendre la parole en public avec aisance" in mentor.content()

    mentee = signed_in(pair, "mentee")
    mentee.goto(convention)
    mentee.get_by_label("Un nouvel objectif").fill("Élargir mon réseau professionnel")
    mentee.get_by_role("button", name=f"Ajouter l{Q}objectif").click()
    mentee.wait_for_url(f"{convention}#objectives")
    mentee.get_by_role("button", name="Signer la convention").click()
    mentee.wait_for_url(f"{convention}#signatures")
    html = checked(site, mentee, "convention-mentee-signed")
    assert html.count("Signée le") == 1 and mentee.get_by_role("button", name="Signer la convention").count() == 0

    mentor.goto(convention)
    mentor.get_by_role("button", name="Signer la convention").click()
    mentor.wait_for_url(f"{convention}#signatures")
    assert "En cours" in mentor.locator(".notice").first.inner_text()
    assert mentor.content().count("Signée le") == 2
    # Once signed: the objectives are assessed, satisfaction reported
    mentor.get_by_label(f"Où en est l{Q}objectif 1").select_option("in_progress")
    mentor.get_by_role("button", name=f"Enregistrer l{Q}évaluation").first.click()
    mentor.wait_for_url(f"{convention}#objectives")
    mentor.get_by_label("Votre satisfaction, de 1 (faible) à 5 (élevée)").select_option("4")
    mentor.get_by_label("Un commentaire (facultatif)").fill("Une première rencontre très utile")
    mentor.get_by_role("button", name="Indiquer ma satisfaction").click()
    mentor.wait_for_url(f"{convention}#satisfaction")
    mentor.goto(convention)
    html = checked(site, mentor, "convention")
    assert "Où il en est : <strong>En cours</strong>" in html
    mentor.get_by_role("link", name="Notre journal").click()
    mentor.wait_for_url(f"{convention}/journal")
    html = checked(site, mentor, "convention-journal")
    assert "Une première rencontre très utile" in html and "Élargir mon réseau professionnel" in html
    mentor.context.close()
    mentee.context.close()
