"""A pair's meetings and disputes pages in a real Chromium, in French, on a phone's screen.

The mentee schedules a meeting, sends the agenda, records the meeting held with notes and the next date, and
cancels one; the mentor raises a dispute. Each page is checked by axe-core, fits 360 px and is screenshotted
(`checked` from tests/web/test_browser.py). Skipped without `/usr/bin/chromium` or npm, except on CI.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from api.app import create_app
from bootstrap.settings import Settings
from tests.api.conftest import World, build_world, invitation_code, serve
from tests.integration.confidential import Cast, Marks
from tests.support import FakeClock, ports
from tests.web.test_browser import CHROMIUM, Site, axe_script, checked, context, missing, playwright_sync


@dataclass(frozen=True)
class Pair:
    """The running app with the API's world in it, its clock, and the browser."""

    site: Site
    world: World
    clock: FakeClock
    client: httpx.Client


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """The app on a free port over SQLite, the API's world built through HTTP, and Chromium."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing: `apt-get install -y chromium`")
    axe = axe_script()
    settings = Settings(data_dir=tmp_path_factory.mktemp("meetings") / "var", database_url=None)
    clock = FakeClock()
    app = create_app(settings, ports(clock))
    with serve(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        service = app.state.service
        world = build_world(client, service, app)
        people = service.participants
        cast = Cast(
            people.authenticate(token_of(world.coordinator)),
            people.authenticate(token_of(world.mentor)),
            people.authenticate(token_of(world.mentee)),
            {"mentor": token_of(world.mentor), "mentee": token_of(world.mentee)},
            UUID(world.mentorship_id),
        )
        assert app.state.read_side.wait_for(service.store.position(), ("summary", "access"), 20)
        with playwright_sync.sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
            try:
                shots = tmp_path_factory.mktemp("screenshots")
                site = Site(base, app, settings, Marks(), cast, "", browser, axe, shots)
                yield Pair(site, world, clock, client)
            finally:
                browser.close()


def signed_in(pair: Pair, participant_id: str) -> tuple[Any, Any]:
    """A phone-sized browser profile where the participant signed in with the code they were e-mailed."""
    code = invitation_code(pair.client, pair.world.coordinator, participant_id, pair.site.app)
    browser = context(pair.site)
    page = browser.new_page()
    page.goto(f"{pair.site.base}/sign-in")
    page.get_by_label("Votre code de connexion").fill(code)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{pair.site.base}/mentorships")
    return browser, page


def journal(pair: Pair) -> dict[str, Any]:
    answer = pair.client.get(f"/v1/mentorships/{pair.world.mentorship_id}/journal", headers=pair.world.mentee)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_the_mentee_schedules_sends_the_agenda_records_the_meeting_held_and_cancels_one(pair: Pair) -> None:
    world, base = pair.world, pair.site.base
    meetings = f"{base}/mentorships/{world.mentorship_id}/meetings"
    browser, page = signed_in(pair, world.mentee_id)
    page.goto(meetings)
    checked(pair.site, page, "meetings-fr")
    assert page.get_by_role("heading", level=1).inner_text() == "Rencontres"

    # A meeting typed in the programme's local time (Toronto): 18:30 is 23:30 UTC in February
    page.get_by_label("Date et heure", exact=True).fill("2026-02-10T18:30")
    page.get_by_role("button", name="Planifier la rencontre").click()
    page.wait_for_url(meetings)
    second = next(m for m in journal(pair)["meetings"] if m["id"] != world.meeting_id)
    assert datetime.fromisoformat(second["scheduled_for"]) == datetime(2026, 2, 10, 23, 30, tzinfo=UTC)

    # The agenda of the first meeting, before it starts
    agenda = f"Parler du projet {uuid4().hex[:8]}"
    page.locator(f"#agenda-{world.meeting_id}").fill(agenda)
    page.locator(f"form[action$='/{world.meeting_id}/agenda']").get_by_role("button").click()
    page.wait_for_url(meetings)
    assert agenda in checked(pair.site, page, "meetings-agenda-fr")

    # After its time: recorded held, with notes and the next meeting
    pair.clock.now = datetime(2026, 1, 20, 16, 0, tzinfo=UTC)
    page.reload()
    held = page.locator(f"form[action$='/{world.meeting_id}/held']")
    checked(pair.site, page, "meetings-held-form-fr")
    held.get_by_label("Durée en minutes").fill("75")
    notes = f"Bonne rencontre {uuid4().hex[:8]}"
    held.get_by_label("Notes de la rencontre").fill(notes)
    held.get_by_label("Prochaine rencontre (date et heure)").fill("2026-03-03T09:15")
    held.get_by_role("button", name="Inscrire comme tenue").click()
    page.wait_for_url(meetings)
    html = checked(pair.site, page, "meetings-held-fr")
    assert notes in html and "75 minutes" in html and "Tenue" in html

    # The meeting of February cancelled, unavoidably, with a note
    cancel = page.locator(f"form[action$='/{second['id']}/cancellation']")
    assert "ne peut pas l\u2019éviter" in cancel.inner_text()
    cancel.get_by_label("Cette annulation ne pouvait pas être évitée").check()
    cancel.get_by_label("Note sur l\u2019annulation").fill("Malade")
    cancel.get_by_role("button", name="Annuler la rencontre").click()
    page.wait_for_url(meetings)
    assert "Annulée" in checked(pair.site, page, "meetings-cancelled-fr")
    assert next(m for m in journal(pair)["meetings"] if m["id"] == second["id"])["status"] == "cancelled"
    browser.close()


def test_the_mentor_raises_a_dispute(pair: Pair) -> None:
    world, base = pair.world, pair.site.base
    disputes = f"{base}/mentorships/{world.mentorship_id}/disputes"
    browser, page = signed_in(pair, world.mentor_id)
    page.goto(disputes)
    html = checked(pair.site, page, "disputes-fr")
    assert "entre vous deux" in html and page.get_by_role("heading", level=1).inner_text() == "Différends"
    summary = f"Horaires {uuid4().hex[:8]}"
    page.get_by_label("Sur quoi porte le désaccord").fill(summary)
    page.get_by_role("button", name="Soulever le différend").click()
    page.wait_for_url(disputes)
    assert summary in checked(pair.site, page, "disputes-raised-fr")
    # A blank summary: refused, announced, and the field tied to its reason
    page.get_by_label("Sur quoi porte le désaccord").fill(" ")
    page.get_by_role("button", name="Soulever le différend").click()
    assert page.locator("[role=alert]").count() == 1
    assert page.get_by_label("Sur quoi porte le désaccord").get_attribute("aria-invalid") == "true"
    checked(pair.site, page, "disputes-refused-fr")
    browser.close()
