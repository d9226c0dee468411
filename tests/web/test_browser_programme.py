"""The coordinator's pages in a real Chromium, in French on a phone: register a mentor and a mentee, invite them
(the code never shown), draft their convention, open its page; axe-core, the 360 px width and no marker on each.

The marked history (`before_erasure`) lives in another programme: none of its names or texts may reach these pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest

from api.app import create_app
from application.service import MentoratService
from bootstrap.settings import Settings
from tests.api.conftest import START, serve
from tests.integration.confidential import Marks, before_erasure
from tests.support import FakeClock, IssuedSecrets, invited, ports
from tests.web.test_browser import CHROMIUM, Site, axe_script, checked, context, missing, playwright_sync


@dataclass(frozen=True)
class ProgrammeSite(Site):
    """The site, and a programme of plain names whose coordinator signs in."""

    coordinator_token: str
    coordinator_id: UUID


@pytest.fixture(scope="module")
def programme_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProgrammeSite]:
    """The app on a free port over SQLite, the marked history elsewhere, a new programme, and Chromium."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing: `apt-get install -y chromium`")
    axe = axe_script()
    settings = Settings(data_dir=tmp_path_factory.mktemp("programme-web") / "var", database_url=None)
    clock, marks = FakeClock(), Marks()
    app = create_app(settings, ports(clock))
    with serve(app) as base:
        service = app.state.service
        cast = before_erasure(service, clock, marks)
        launched = service.participants.create_programme("Programme Lumière", "Coordonnatrice", "coord@example.org")
        assert app.state.read_side.wait_for(service.store.position(), ("summary", "directory", "timeline"), 20)
        with playwright_sync.sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
            try:
                shots = tmp_path_factory.mktemp("programme-screenshots")
                yield ProgrammeSite(
                    base, app, settings, marks, cast, "", browser, axe, shots,
                    launched["coordinator_token"], UUID(launched["coordinator_id"]),
                )  # fmt: skip
            finally:
                browser.close()


def signed_in(site: ProgrammeSite) -> Any:
    """A phone's browser where the coordinator signed in with a new code: on their dashboard."""
    service: MentoratService = site.app.state.service
    caller = service.participants.authenticate(site.coordinator_token)
    code = invited(service, caller, site.coordinator_id)
    browser = context(site)
    page = browser.new_page()
    page.goto(f"{site.base}/sign-in")
    page.get_by_label("Votre code de connexion").fill(code)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{site.base}/programme")
    return browser, page


def issued(site: ProgrammeSite) -> list[str]:
    """Every code issued so far (the tests' secret source)."""
    source = site.app.state.service.ports.new_secret
    assert isinstance(source, IssuedSecrets)
    return list(source.issued)


def register(page: Any, name: str, role: str) -> None:
    """Fill and send the registration form."""
    page.get_by_label("Nom", exact=True).fill(name)
    page.get_by_label("Adresse courriel").fill(f"{name.lower()}@example.org")
    page.locator("#role").select_option(role)
    page.get_by_role("button", name="Inscrire", exact=True).click()
    page.wait_for_url("**/programme/participants?done=registered")


def test_register_invite_draft_and_open_the_convention(programme_site: ProgrammeSite) -> None:
    site = programme_site
    browser, page = signed_in(site)
    page.goto(f"{site.base}/programme/participants")
    checked(site, page, "programme-participants-fr")
    register(page, "Mentora", "mentor")
    register(page, "Menteo", "mentee")
    html = checked(site, page, "programme-registered-fr")
    assert "Le participant est inscrit." in html and ">Mentora</th>" in html and ">Menteo</th>" in html
    for name in ("Mentora", "Menteo"):
        page.get_by_role("button", name=f"Envoyer une invitation à {name}").click()
        page.wait_for_url("**/programme/participants?done=invited")
        html = checked(site, page, f"programme-invited-{name.lower()}-fr")
        assert "L\u2019invitation a été envoyée par courriel." in html
        assert issued(site)[-1] not in html  # the code is the participant's alone
    page.goto(f"{site.base}/programme/mentorships/new")
    checked(site, page, "programme-draft-fr")
    page.get_by_label("Mentor", exact=True).select_option(label="Mentora")
    page.get_by_label("Mentoré", exact=True).select_option(label="Menteo")
    page.get_by_label("Débute le").fill(START)
    page.get_by_role("button", name="Rédiger").click()
    page.wait_for_url("**/programme/mentorships/*-*")
    html = checked(site, page, "programme-mentorship-fr")
    assert "Mentora" in html and "Menteo" in html and "Retirer la convention" in html
    page.goto(f"{site.base}/programme/mentorships?status=awaiting_signatures")
    html = checked(site, page, "programme-mentorships-fr")
    assert "Mentora" in html
    browser.close()
