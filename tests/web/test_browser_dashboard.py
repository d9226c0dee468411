"""The coordinator's dashboard in a real Chromium, in French on a phone: axe-core, the width, the charts, the CSV.

Its own server and browser for the module, over the marked history of `tests/integration/confidential.py` (no
marker may reach the dashboard); the screenshot is `dashboard.png` under the test run's directory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from bootstrap.settings import Settings
from tests.api.conftest import bearer, serve
from tests.integration.confidential import Marks, before_erasure
from tests.support import FakeClock, ports
from tests.web.test_browser import CHROMIUM, Site, axe_script, checked, context, mailed_link, missing, playwright_sync


@pytest.fixture(scope="module")
def dashboard_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The app on a free port over SQLite, the marked history in it, and Chromium."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing: `apt-get install -y chromium`")
    axe = axe_script()
    settings = Settings(data_dir=tmp_path_factory.mktemp("dashboard") / "var", database_url=None)
    clock, marks = FakeClock(), Marks()
    app = create_app(settings, ports(clock))
    with serve(app) as base:
        service = app.state.service
        cast = before_erasure(service, clock, marks)
        assert app.state.read_side.wait_for(service.store.position(), ("report", "summary"), 20)
        with playwright_sync.sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
            try:
                shots = tmp_path_factory.mktemp("screenshots")
                yield Site(base, app, settings, marks, cast, "", browser, axe, shots)
            finally:
                browser.close()


def test_a_coordinator_lands_on_the_dashboard_in_french_and_downloads_its_csv(dashboard_site: Site) -> None:
    site = dashboard_site
    browser = context(site)
    page = browser.new_page()
    page.goto(mailed_link(site, "coordinator"))
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{site.base}/programme")  # a coordinator's home
    checked(site, page, "dashboard")
    assert page.get_by_role("heading", level=1).inner_text() == "Tableau de bord du programme"
    assert page.get_by_role("img").count() == 6
    for caption in ("Rencontres : les chiffres", "Différends : les chiffres"):
        assert page.get_by_role("table", name=caption).count() == 1
    # The CSV link downloads the API's CSV for the period
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger ce rapport (CSV)").click()
    saved = Path(download.value.path()).read_text(encoding="utf-8")
    programme_id = site.cast.coordinator.programme_id
    api = httpx.get(
        f"{site.base}/v1/programmes/{programme_id}/report.csv", headers=bearer(site.cast.tokens["coordinator"])
    )
    assert api.status_code == 200 and saved == api.text
    # A bad period, typed in the form: the refusal announced in French, the field marked, status 422
    page.get_by_label("Du", exact=True).fill("2026-04-01")
    page.get_by_label("Au (exclu)", exact=True).fill("2026-02-01")
    with page.expect_response(lambda answer: "/programme?" in answer.url) as answered:
        page.get_by_role("button", name="Afficher le rapport").click()
    assert answered.value.status == 422
    refused = checked(site, page, "dashboard-refused")
    assert "La fin doit suivre le début." in refused
    assert page.get_by_label("Au (exclu)", exact=True).get_attribute("aria-invalid") == "true"
    browser.close()
