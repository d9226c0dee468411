"""The web app in a real Chromium (Debian's `chromium`, by Playwright) over a real socket, in French and English.

One server and one browser for the module, over a history with a unique marker in every content field
(`tests/integration/confidential.py`). A coordinator and a mentor sign in from their e-mailed links, an
auditor by pasting a code with JavaScript off; every page is checked by axe-core (no serious or critical
violation), fits a 360 px wide screen, and is screenshotted under the test run's directory. Skipped without
`/usr/bin/chromium` or npm, except on CI (`MENTORAT_TEST_REQUIRE_POSTGRES=1`), where a missing one fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from api.app import create_app
from bootstrap.settings import Settings
from tests.api.conftest import bearer, serve
from tests.integration.confidential import Cast, Marks, before_erasure
from tests.support import FakeClock, code_in, mail_directory, messages_to, ports

CHROMIUM = Path("/usr/bin/chromium")
AXE = "axe-core@4.14.1"  # pinned: a newer rule set must not fail unchanged pages
AXE_CACHE = Path.home() / ".cache" / "mentorat-tests" / AXE
REQUIRED = os.environ.get("MENTORAT_TEST_REQUIRE_POSTGRES") == "1"  # CI: every part of the suite must run
PHONE = {"width": 360, "height": 740}
SESSION = "mentorat_session"
PERSONAL = ("name", "mail@example.org")  # what `Marks` puts in names and e-mails: personal data, not content

playwright_sync = pytest.importorskip("playwright.sync_api")


def missing(reason: str) -> None:
    """Skip with the reason, or fail on CI."""
    if REQUIRED:
        pytest.fail(f"{reason} (required on CI)")
    pytest.skip(reason)


def axe_script() -> Path:
    """axe-core's `axe.min.js` (MPL-2.0), installed from npm once into a cache directory."""
    script = AXE_CACHE / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        npm = shutil.which("npm")
        if npm is None:
            missing("npm is not installed: axe-core cannot be installed")
        command = [str(npm), "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(AXE_CACHE), AXE]
        ran = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert ran.returncode == 0, ran.stdout + ran.stderr
    return script


@dataclass(frozen=True)
class Site:
    """The running app, its history, and the browser."""

    base: str
    app: Any
    settings: Settings
    marks: Marks
    cast: Cast
    auditor_code: str
    browser: Any
    axe: Path
    shots: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The app on a free port over SQLite, the marked history in it, and Chromium."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing: `apt-get install -y chromium`")
    axe = axe_script()
    settings = Settings(data_dir=tmp_path_factory.mktemp("web") / "var", database_url=None)
    clock, marks = FakeClock(), Marks()
    app = create_app(settings, ports(clock))
    with serve(app) as base:
        service = app.state.service
        cast = before_erasure(service, clock, marks)
        auditor = service.participants.register_as_operator(
            cast.coordinator.programme_id, "auditor", marks.name("auditor"), marks.email("auditor"), "fr"
        )
        auditor_code = service.participants.invite_as_operator(UUID(str(auditor.aggregate_id))).data["code"]
        assert app.state.read_side.wait_for(service.store.position(), ("summary", "access"), 20)
        with playwright_sync.sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
            try:
                shots = tmp_path_factory.mktemp("screenshots")
                yield Site(base, app, settings, marks, cast, auditor_code, browser, axe, shots)
            finally:
                browser.close()


def mailed_link(site: Site, who: str) -> str:
    """The coordinator invites `who` again; the sign-in link of the e-mail they receive, on this server."""
    service = site.app.state.service
    person = getattr(site.cast, who)
    service.participants.invite(site.cast.coordinator, person.id)
    site.app.state.delivery.deliver_due()
    message = messages_to(mail_directory(site.settings), site.marks.email(who))[-1]
    code = code_in(message)
    body = message.get_body(("plain",))
    assert body is not None and f"/sign-in#code={code}" in body.get_content()
    return f"{site.base}/sign-in#code={code}"


def context(site: Site, javascript: bool = True) -> Any:
    """A fresh browser profile with a phone's screen; axe-core is injected, so the pages' CSP is bypassed here."""
    return site.browser.new_context(viewport=PHONE, java_script_enabled=javascript, bypass_csp=True)


def checked(site: Site, page: Any, name: str) -> str:
    """Check the page as a person meets it: axe-core, the 360 px width, no marker; screenshot it; its HTML."""
    page.screenshot(path=str(site.shots / f"{name}.png"), full_page=True)
    html = str(page.content())
    content = [m for m in re.findall(re.escape(site.marks.run) + r"-\w+-([\w@.]+)", html) if m not in PERSONAL]
    assert not content, f"a content marker on {name}: {content}"  # names and e-mails are for coordinators
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], f"{name} is wider than a phone"
    assert page.locator("a.skip-link[href='#main']").count() == 1 and page.locator("main#main").count() == 1
    page.add_script_tag(path=str(site.axe))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [(v["id"], v["help"]) for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, (name, serious)
    return html


def test_a_mentor_signs_in_from_the_mailed_link_in_french_then_english_and_signs_out(site: Site) -> None:
    link = mailed_link(site, "mentor")
    browser = context(site)
    page = browser.new_page()
    page.goto(link)
    # The script copied the code into the first form; nothing was sent: no session until the person clicks
    code = link.rpartition("#code=")[2]
    assert page.locator("form").first.locator("input[name=code]").input_value() == code
    assert "#" not in page.url and SESSION not in {c["name"] for c in browser.cookies()}
    checked(site, page, "sign-in-fr")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{site.base}/mentorships")
    html = checked(site, page, "mentorships-fr")
    assert page.get_by_role("heading", level=1).inner_text() == "Mes mentorats"
    assert "Programme" in page.locator("header .programme").inner_text()
    assert "En cours" in html and "1 janvier 2026" in html and "1 novembre 2026" in html
    # The cookies: every one HttpOnly, the session's SameSite=Lax (not Secure over http)
    cookies = browser.cookies()
    assert all(c["httpOnly"] for c in cookies), cookies
    session = next(c for c in cookies if c["name"] == SESSION)
    assert session["sameSite"] == "Lax" and not session["secure"]
    # A POST without the CSRF token is refused, and the session goes on
    refused = page.request.post(f"{site.base}/sign-out", form={"csrf": "forged"})
    assert refused.status == 403
    page.reload()
    assert page.url == f"{site.base}/mentorships"
    # The language switch gives English, remembered in the session
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**/mentorships?lang=en")
    checked(site, page, "mentorships-en")
    page.goto(f"{site.base}/mentorships")
    assert page.get_by_role("heading", level=1).inner_text() == "My mentorships"
    assert "January 1, 2026" in page.content() and page.locator("html").get_attribute("lang") == "en"
    # Signing out revokes the session: the old cookie no longer opens a page, nor the API
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/sign-in")
    thief = context(site)
    thief.add_cookies([{"name": SESSION, "value": session["value"], "url": site.base}])
    stolen = thief.new_page()
    stolen.goto(f"{site.base}/mentorships")
    assert stolen.url.startswith(f"{site.base}/sign-in")
    assert httpx.get(f"{site.base}/v1/me/mentorships", headers=bearer(session["value"])).status_code == 401
    thief.close()
    browser.close()


def test_a_coordinator_signs_in_from_the_mailed_link_and_sees_the_worklist_in_words(site: Site) -> None:
    expected = httpx.get(
        f"{site.base}/v1/programmes/{site.cast.coordinator.programme_id}/worklist",
        headers=bearer(site.cast.tokens["coordinator"]),
    ).json()["items"]
    assert expected, "the history puts its mentorship on the worklist"
    browser = context(site)
    page = browser.new_page()
    page.goto(mailed_link(site, "coordinator"))
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{site.base}/programme")  # the coordinator's home: the dashboard
    page.goto(f"{site.base}/worklist")
    html = checked(site, page, "worklist-fr")
    assert "Liste de suivi" in page.get_by_role("heading", level=1).inner_text()
    assert str(site.cast.mentorship_id) in html and "Un différend est ouvert" in html
    rows = page.locator("tbody tr")
    assert rows.count() == len(expected)
    for row, item in zip(rows.all(), expected, strict=True):
        assert row.locator(f"a[href='/programme/mentorships/{item['mentorship_id']}']").count() == 1
        assert site.marks.name("mentor") in row.inner_text() and site.marks.name("mentee") in row.inner_text()
        assert row.locator("li").count() == len(item["reasons"])
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**/worklist?lang=en")
    assert "A dispute is open" in checked(site, page, "worklist-en")
    for path in ("/mentorships", "/audit", "/"):  # every page a coordinator can open: no marker in any
        page.goto(f"{site.base}{path}")
        checked(site, page, f"coordinator{path.replace('/', '-') or '-home'}")
    browser.close()


def test_an_auditor_pastes_the_code_without_javascript(site: Site) -> None:
    browser = context(site, javascript=False)
    page = browser.new_page()
    page.goto(f"{site.base}/sign-in")
    page.get_by_label("Votre code de connexion").fill(site.auditor_code)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{site.base}/audit")
    assert "Vérification" in page.get_by_role("heading", level=1).inner_text()
    cookies = browser.cookies()
    browser.close()
    with_script = context(site)  # axe-core needs JavaScript: the same session in a profile that runs it
    with_script.add_cookies(cookies)
    audit = with_script.new_page()
    audit.goto(f"{site.base}/audit")
    html = checked(site, audit, "audit-fr")
    assert "Journal des accès" in html and "Invitation utilisée" in html
    assert "/access-log" in html
    with_script.close()
