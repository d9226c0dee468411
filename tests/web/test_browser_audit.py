"""The auditor's pages in a real Chromium, in French on a phone: the access log a few entries a page, the timelines,
the state of the history after a verification; axe-core, the 360 px width and no marker on each (`checked`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest

from api.app import create_app
from bootstrap.audit import opened, verify_and_record
from bootstrap.settings import Settings
from tests.api.conftest import serve
from tests.integration.confidential import Marks, before_erasure
from tests.support import FakeClock, ports
from tests.web.test_browser import CHROMIUM, Site, axe_script, checked, context, missing, playwright_sync
from web.routes import audit

LOG_ROWS = 3  # entries a page here, so that the log has a next page


@dataclass(frozen=True)
class AuditSite(Site):
    """The site, and the auditor (each sign-in uses a new code: a code is used once)."""

    auditor_id: UUID


@pytest.fixture(scope="module")
def audit_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuditSite]:
    """The app on a free port over SQLite, the marked history, an auditor to sign in, a verification, Chromium."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing: `apt-get install -y chromium`")
    axe = axe_script()
    settings = Settings(data_dir=tmp_path_factory.mktemp("audit-web") / "var", database_url=None)
    clock, marks = FakeClock(), Marks()
    app = create_app(settings, ports(clock))
    with pytest.MonkeyPatch.context() as patch, serve(app) as base:
        patch.setattr(audit, "ACCESS_ROWS", LOG_ROWS)
        service = app.state.service
        cast = before_erasure(service, clock, marks)
        service.journal.read(cast.mentorship_id)
        service.access_log.journal_read(cast.mentor, service.mentorships.get(cast.mentorship_id))
        auditor = service.participants.register_as_operator(
            cast.coordinator.programme_id, "auditor", marks.name("auditor"), marks.email("auditor"), "fr"
        )
        auditor_id = UUID(str(auditor.aggregate_id))
        with opened(settings) as store:  # `mentorat audit verify`
            assert verify_and_record(store, None, clock()).intact
        names = ("summary", "access", "timeline", "directory")
        assert app.state.read_side.wait_for(service.store.position(), names, 20)
        with playwright_sync.sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
            try:
                shots = tmp_path_factory.mktemp("audit-screenshots")
                yield AuditSite(base, app, settings, marks, cast, "", browser, axe, shots, auditor_id)
            finally:
                browser.close()


def signed_in(site: AuditSite) -> Any:
    """A phone's browser where the auditor signed in with a new code (the operator's invitation): on `/audit`."""
    code = site.app.state.service.participants.invite_as_operator(site.auditor_id).data["code"]
    browser = context(site)
    page = browser.new_page()
    page.goto(f"{site.base}/sign-in")
    page.get_by_label("Votre code de connexion").fill(code)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{site.base}/audit")
    return browser, page


def test_the_access_log_pages_with_next_page_links(audit_site: AuditSite) -> None:
    browser, page = signed_in(audit_site)
    html = checked(audit_site, page, "audit-log-fr")
    assert "Journal des accès" in html and "Invitation envoyée" in html and "Coordonnateur" in html
    assert page.locator("tbody tr").count() == LOG_ROWS
    seen = [html]
    while page.get_by_role("link", name="Page suivante").count():
        assert len(seen) < 50
        page.get_by_role("link", name="Page suivante").click()
        page.wait_for_load_state()
        seen.append(checked(audit_site, page, f"audit-log-fr-{len(seen) + 1}"))
    assert len(seen) > 1 and "Première page" in seen[-1]
    assert "Journal de bord consulté" in "".join(seen)  # the mentor's read of the journal, by role
    browser.close()


def test_the_timelines_in_words(audit_site: AuditSite) -> None:
    browser, page = signed_in(audit_site)
    page.get_by_role("link", name="Chronologies").click()
    page.wait_for_url(f"{audit_site.base}/audit/mentorships")
    checked(audit_site, page, "audit-mentorships-fr")
    page.locator(f"a[href='/audit/mentorships/{audit_site.cast.mentorship_id}']").click()
    page.wait_for_url(f"**/audit/mentorships/{audit_site.cast.mentorship_id}")
    html = checked(audit_site, page, "audit-timeline-fr")
    assert "Chronologie du mentorat" in page.get_by_role("heading", level=1).inner_text()
    assert "Convention rédigée" in html and "Rencontre tenue" in html and "Mentoré" in html
    page.get_by_role("link", name="La chronologie du mentor", exact=True).click()
    page.wait_for_url(f"**/audit/participants/{audit_site.cast.mentor.id}")
    assert "Personne participante inscrite" in checked(audit_site, page, "audit-participant-fr")
    page.goto(f"{audit_site.base}/audit/mentorships/{audit_site.cast.mentorship_id}?lang=en")
    assert "Convention drafted" in checked(audit_site, page, "audit-timeline-en")
    browser.close()


def test_the_state_of_the_history(audit_site: AuditSite) -> None:
    browser, page = signed_in(audit_site)
    page.get_by_role("link", name="État de l\u2019historique").click()
    page.wait_for_url(f"{audit_site.base}/audit/history")
    html = checked(audit_site, page, "audit-history-fr")
    assert "Dernière vérification" in html and "Intègre" in html and "Non intègre" not in html
    browser.close()
