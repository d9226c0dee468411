"""A whole convention walked through the pages in a real Chromium, in French, by a coordinator, a mentor, a mentee.

Each signs in from the link their invitation e-mail carries; the coordinator registers and invites the pair and
drafts their convention; the pair add objectives and sign; the mentee schedules a meeting and sends its agenda;
the mentor records it held with notes and the next date; the mentee cancels that next one; both report their
satisfaction; the mentee raises a dispute; the coordinator records the consultation about it, then one about an
early end; the mentor ends the relationship early. Then the coordinator's dashboard shows the figures the API
gives, and the key pages are shown in English. Every page: axe-core, 360 px, screenshots (`checked`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import pytest

from api.app import create_app
from bootstrap.settings import Settings
from tests.api.conftest import bearer, serve
from tests.integration.confidential import Marks, before_erasure
from tests.support import FakeClock, code_in, mail_directory, messages_to, ports
from tests.web.test_browser import CHROMIUM, Site, axe_script, checked, context, missing, playwright_sync

Q = "\u2019"  # the typographic apostrophe of the French strings


@dataclass(frozen=True)
class Walk(Site):
    """The site, its clock, and a new programme whose coordinator walks the convention."""

    clock: FakeClock
    coordinator_token: str
    coordinator_id: UUID


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    """The app on a free port over SQLite, a new programme (the marked history in another), and Chromium."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing: `apt-get install -y chromium`")
    axe = axe_script()
    settings = Settings(data_dir=tmp_path_factory.mktemp("walk") / "var", database_url=None)
    clock, marks = FakeClock(), Marks()
    app = create_app(settings, ports(clock))
    with serve(app) as base:
        service = app.state.service
        cast = before_erasure(service, clock, marks)
        launched = service.participants.create_programme("Programme Boréal", "Coordonnatrice", "coord@example.org")
        assert app.state.read_side.wait_for(service.store.position(), app.state.read_side.views, 20)
        with playwright_sync.sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
            try:
                shots = tmp_path_factory.mktemp("walk-screenshots")
                yield Walk(
                    base, app, settings, marks, cast, "", browser, axe, shots,
                    clock, launched["coordinator_token"], UUID(launched["coordinator_id"]),
                )  # fmt: skip
            finally:
                browser.close()


def mailed_link(walk: Walk, address: str) -> str:
    """The sign-in link of the latest e-mail the outbox delivered to an address, on this server."""
    walk.app.state.delivery.deliver_due()
    message = messages_to(mail_directory(walk.settings), address)[-1]
    return f"{walk.base}/sign-in#code={code_in(message)}"


def signed_in(walk: Walk, link: str, home: str) -> tuple[Any, Any]:
    """A phone's browser where someone opened their e-mailed link and clicked to sign in."""
    browser = context(walk)
    page = browser.new_page()
    page.goto(link)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{walk.base}{home}")
    return browser, page


def sent(page: Any, button: str, url: str) -> None:
    """Click a form's button and wait for the page it leads to."""
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_url(url)


def api(walk: Walk, path: str) -> Any:
    """A read of the API as the coordinator."""
    answer = httpx.get(f"{walk.base}{path}", headers=bearer(walk.coordinator_token), timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_whole_convention_walked_in_french_then_its_figures_and_key_pages_in_english(walk: Walk) -> None:
    base, service = walk.base, walk.app.state.service
    coordinator = service.participants.authenticate(walk.coordinator_token)
    service.participants.invite(coordinator, walk.coordinator_id)
    _, coord = signed_in(walk, mailed_link(walk, "coord@example.org"), "/programme")
    checked(walk, coord, "walk-01-dashboard-empty")

    # The coordinator registers and invites the pair
    coord.goto(f"{base}/programme/participants")
    for name, role in (("Aline Tremblay", "mentor"), ("Benoît Gagnon", "mentee")):
        coord.get_by_label("Nom", exact=True).fill(name)
        coord.get_by_label("Adresse courriel").fill(f"{role}@example.org")
        coord.locator("#role").select_option(role)
        sent(coord, "Inscrire", "**/programme/participants?done=registered")
        sent(coord, f"Envoyer une invitation à {name}", "**/programme/participants?done=invited")
    checked(walk, coord, "walk-02-participants")

    # Each signs in from the link of their e-mail
    _, mentor = signed_in(walk, mailed_link(walk, "mentor@example.org"), "/mentorships")
    _, mentee = signed_in(walk, mailed_link(walk, "mentee@example.org"), "/mentorships")

    # The coordinator drafts their convention
    coord.goto(f"{base}/programme/mentorships/new")
    coord.get_by_label("Mentor", exact=True).select_option(label="Aline Tremblay")
    coord.get_by_label("Mentoré", exact=True).select_option(label="Benoît Gagnon")
    coord.get_by_label("Débute le").fill("2026-01-01")
    sent(coord, "Rédiger", "**/programme/mentorships/*-*")
    mid = coord.url.rsplit("/", 1)[-1].split("?")[0]
    checked(walk, coord, "walk-03-drafted")
    convention = f"{base}/mentorships/{mid}"

    # Objectives, then both signatures
    for page, objective in ((mentee, "Élargir mon réseau"), (mentor, "Prendre la parole en public")):
        page.goto(convention)
        page.get_by_label("Un nouvel objectif").fill(objective)
        sent(page, f"Ajouter l{Q}objectif", f"{convention}*")
        sent(page, "Signer la convention", f"{convention}*")
    html = checked(walk, mentor, "walk-04-convention-signed")
    assert html.count("Signée le") == 2 and "Élargir mon réseau" in html

    # A meeting: scheduled by the mentee, its agenda, held with notes and the next date, the next one cancelled
    meetings = f"{convention}/meetings"
    mentee.goto(meetings)
    mentee.get_by_label("Date et heure", exact=True).fill("2026-01-12T18:00")
    sent(mentee, "Planifier la rencontre", meetings)
    meeting_id = next(m["id"] for m in service.journal.read(UUID(mid))["meetings"])
    mentee.locator(f"#agenda-{meeting_id}").fill("Mes questions sur le réseautage")
    mentee.locator(f"form[action$='/{meeting_id}/agenda']").get_by_role("button").click()
    mentee.wait_for_url(meetings)
    walk.clock.advance(days=8)  # the meeting's evening has passed
    mentor.goto(meetings)
    held = mentor.locator(f"form[action$='/{meeting_id}/held']")
    held.get_by_label("Durée en minutes").fill("75")
    held.get_by_label("Notes de la rencontre").fill("Plan pour le mois prochain")
    held.get_by_label("Prochaine rencontre (date et heure)").fill("2026-02-09T18:00")
    held.get_by_role("button", name="Inscrire comme tenue").click()
    mentor.wait_for_url(meetings)
    html = checked(walk, mentor, "walk-05-meeting-held")
    assert "Plan pour le mois prochain" in html and "Tenue" in html
    following = next(m["id"] for m in service.journal.read(UUID(mid))["meetings"] if m["id"] != meeting_id)
    mentee.goto(meetings)
    cancel = mentee.locator(f"form[action$='/{following}/cancellation']")
    cancel.get_by_label("Cette annulation ne pouvait pas être évitée").check()
    cancel.get_by_role("button", name="Annuler la rencontre").click()
    mentee.wait_for_url(meetings)
    assert "Annulée" in checked(walk, mentee, "walk-06-meeting-cancelled")

    # Satisfaction of each, then a dispute raised by the mentee
    for page, score in ((mentor, "4"), (mentee, "5")):
        page.goto(convention)
        page.get_by_label("Votre satisfaction, de 1 (faible) à 5 (élevée)").select_option(score)
        sent(page, "Indiquer ma satisfaction", f"{convention}*")
    disputes = f"{convention}/disputes"
    mentee.goto(disputes)
    mentee.get_by_label("Sur quoi porte le désaccord").fill("Les horaires des rencontres")
    sent(mentee, "Soulever le différend", disputes)

    # The coordinator's consultations: about the dispute, then about an early end
    page = f"{base}/programme/mentorships/{mid}"
    # the coordinator's page reads the summary: the dispute is there once the read model has caught up (at once here)
    assert walk.app.state.read_side.wait_for(service.store.position(), ("summary", "timeline"), 20)
    coord.goto(page)
    html = checked(walk, coord, "walk-07-coordinator-mentorship")
    assert "Les horaires des rencontres" not in html and "Plan pour le mois prochain" not in html
    for topic, outcome in (("dispute", "not_reconciled"), ("early_end", "ending_agreed")):
        coord.goto(page)
        form = coord.locator(f"form[action$='/{mid}/consultation']")
        form.locator("[name=topic]").select_option(topic)
        if topic == "dispute":
            form.locator("[name=dispute_id]").select_option(index=1)
        form.locator("[name=outcome]").select_option(outcome)
        form.get_by_role("button", name="Consigner la consultation").click()
        coord.wait_for_url(f"{page}*")

    # The mentor ends the relationship early, after the consultation
    mentor.goto(convention)
    mentor.locator("[name=reason]").select_option("relational_difficulties")
    sent(mentor, "Mettre fin à la relation", f"{convention}*")
    assert "Terminé" in checked(walk, mentor, "walk-08-ended")

    # The dashboard shows the API's figures, number by number
    pid = str(coordinator.programme_id)
    assert walk.app.state.read_side.wait_for(service.store.position(), ("report", "summary"), 20)
    coord.goto(f"{base}/programme")
    html = checked(walk, coord, "walk-09-dashboard")
    report = api(walk, f"/v1/programmes/{pid}/report")
    cells = dict(re.findall(r'data-metric="([^"]+)"[^>]*>.*?<td[^>]*>([^<]*)</td>', html, flags=re.S))
    assert cells, "the dashboard's table names its metrics"
    flat = dict(flatten(report))
    compared = 0
    for metric, shown in cells.items():
        if metric in flat and isinstance(flat[metric], int) and not isinstance(flat[metric], bool):
            assert digits(shown) == str(flat[metric]), (metric, shown, flat[metric])
            compared += 1
    assert compared >= 5, cells

    # The key pages in English
    for who, page_, path, heading in (
        ("coordinator", coord, "/programme", "Programme dashboard"),
        ("mentor", mentor, f"/mentorships/{mid}", None),
        ("mentee", mentee, f"/mentorships/{mid}/meetings", "Meetings"),
    ):
        page_.goto(f"{base}{path}?lang=en")
        html = checked(walk, page_, f"walk-10-{who}-en")
        assert 'lang="en"' in html
        if heading:
            assert page_.get_by_role("heading", level=1).inner_text() == heading


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """A report's figures as (dotted name, value)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from flatten(inner, f"{prefix}{key}.")
    else:
        yield prefix.rstrip("."), value


def digits(shown: str) -> str:
    """A number as the page spells it in French (spaces between thousands), as digits."""
    return re.sub(r"[^\d-]", "", shown)
