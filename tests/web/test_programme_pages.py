"""The coordinator's mentorship pages on both stores: the list and its filter, drafting, one mentorship's page.

Every form is posted as a browser posts it (CSRF field, URL-encoded); what is stored is checked through the API and
the store's position: a refused, forged or forbidden form stores nothing. A consultation's note never shows.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from tests.api.conftest import START, World, created, enrol, service_of
from tests.integration.confidential import Marks
from tests.web.conftest import csrf_of, sign_in
from tests.web.test_convention_pages import sign_in_as

LIST = "/programme/mentorships"
NEW = "/programme/mentorships/new"


def position(client: TestClient) -> int:
    """The store's position: unchanged when nothing was stored."""
    return service_of(client).store.position()


def post(client: TestClient, path: str, data: dict[str, str], csrf: str | None = None) -> Any:
    """Post a form (the session's CSRF token, read from the list, unless one is given)."""
    token = csrf if csrf is not None else csrf_of(client.get(NEW).text)
    return client.post(path, data={"csrf": token, **data}, follow_redirects=False)


def summary_of(client: TestClient, world: World, mid: str) -> dict[str, Any]:
    """A mentorship's summary as the API gives the coordinator."""
    answer = client.get(f"/v1/mentorships/{mid}", headers=world.coordinator)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_the_list_shows_names_statuses_and_filters(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world.coordinator, world.coordinator_id)
    page = app_client.get(f"{LIST}?lang=en")
    assert page.status_code == 200
    assert f"{LIST}/{world.mentorship_id}" in page.text and f"{LIST}/{world.other_mentorship_id}" in page.text
    assert "Othermentor" in page.text and "Active" in page.text and "Awaiting signatures" in page.text
    active = app_client.get(f"{LIST}?status=active&lang=en")
    assert f"{LIST}/{world.mentorship_id}" in active.text
    assert f"{LIST}/{world.other_mentorship_id}" not in active.text
    ended = app_client.get(f"{LIST}?status=ended&lang=en")
    assert world.mentorship_id not in ended.text and "No mentorship to show." in ended.text
    assert app_client.get(f"{LIST}?cursor=%%%").status_code == 400


def test_the_auditor_lists_without_names_and_a_mentor_is_refused(app_client: TestClient, world: World) -> None:
    sign_in_as(app_client, world, world.auditor_id)
    page = app_client.get(f"{LIST}?lang=en")
    assert page.status_code == 200
    assert f"/audit/mentorships/{world.mentorship_id}" in page.text
    assert "Othermentor" not in page.text and "Othermentee" not in page.text
    assert app_client.get(f"{LIST}/{world.mentorship_id}").status_code == 403
    sign_in(app_client, world.coordinator, world.mentor_id)
    assert app_client.get(LIST).status_code == 403
    assert app_client.get(NEW).status_code == 403
    assert app_client.get(f"{LIST}/{world.mentorship_id}").status_code == 403


def test_drafting_offers_the_active_people_of_each_role_and_stores_the_convention(
    app_client: TestClient, world: World
) -> None:
    mentee_id, _ = enrol(app_client, world.coordinator, world.programme_id, "mentee", "Freementee")
    sign_in(app_client, world.coordinator, world.coordinator_id)
    form = app_client.get(f"{NEW}?lang=en")
    assert form.status_code == 200
    mentors, mentees = form.text.split('id="mentee_id"')
    assert f'value="{world.mentor_id}"' in mentors and f'value="{world.mentee_id}"' not in mentors
    assert f'value="{mentee_id}"' in mentees and f'value="{world.mentor_id}"' not in mentees
    data = {"mentor_id": world.other_mentor_id, "mentee_id": mentee_id, "starts_on": START, "months": "6"}
    answer = post(app_client, NEW, data)
    assert answer.status_code == 303
    mid = answer.headers["location"].rsplit("/", 1)[1]
    assert summary_of(app_client, world, mid)["status"] == "awaiting_signatures"
    page = app_client.get(f"{answer.headers['location']}?lang=en")
    assert page.status_code == 200
    assert "Freementee" in page.text and "Convention drafted" in page.text


def test_a_refused_draft_shows_its_translated_reason_and_stores_nothing(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world.coordinator, world.coordinator_id)
    token = csrf_of(app_client.get(f"{NEW}?lang=fr").text)
    before = position(app_client)
    base = {"mentor_id": world.mentor_id, "mentee_id": world.mentee_id, "starts_on": START, "months": ""}
    taken = post(app_client, NEW, base, token)
    assert taken.status_code == 409
    assert "Ce mentoré a déjà une convention en cours." in taken.text
    same = post(app_client, NEW, {**base, "mentee_id": world.mentor_id}, token)
    assert same.status_code == 422
    assert "Le mentor et le mentoré doivent être deux personnes différentes." in same.text
    bad_date = post(app_client, NEW, {**base, "starts_on": "31/02/2026"}, token)
    assert bad_date.status_code == 422 and 'aria-invalid="true"' in bad_date.text
    assert position(app_client) == before


def test_an_inactive_participant_is_refused(app_client: TestClient, world: World) -> None:
    mentee_id, _ = enrol(app_client, world.coordinator, world.programme_id, "mentee", "Freementee")
    created(app_client.post(f"/v1/participants/{world.other_mentor_id}/deactivation", headers=world.coordinator))
    sign_in(app_client, world.coordinator, world.coordinator_id)
    form = app_client.get(NEW)
    assert f'value="{world.other_mentor_id}"' not in form.text  # not offered
    before = position(app_client)
    data = {"mentor_id": world.other_mentor_id, "mentee_id": mentee_id, "starts_on": START}
    answer = post(app_client, NEW, data, csrf_of(form.text))
    assert answer.status_code == 409
    assert position(app_client) == before


def test_the_mentorship_page_shows_summary_timeline_and_the_actions_of_its_status(
    app_client: TestClient, world: World
) -> None:
    sign_in(app_client, world.coordinator, world.coordinator_id)
    active = app_client.get(f"{LIST}/{world.mentorship_id}?lang=en")
    assert active.status_code == 200
    assert "Mentor" in active.text and "Convention signed by both parties" in active.text
    assert "/consultation" in active.text and f"{world.mentorship_id}/end" in active.text
    assert "/withdrawal" not in active.text
    assert "Objective" not in active.text.replace("Objective added", "")  # the objective's text is the pair's
    draft = app_client.get(f"{LIST}/{world.other_mentorship_id}?lang=en")
    assert "/withdrawal" in draft.text and "/consultation" not in draft.text
    assert app_client.get(f"{LIST}/not-an-id").status_code == 404
    assert app_client.get(f"{LIST}/00000000-0000-4000-8000-000000000000").status_code == 404


def test_another_programme_s_coordinator_does_not_see_it(app_client: TestClient, world: World) -> None:
    other = service_of(app_client).participants
    code = other.invite_as_operator(UUID(world.other_coordinator_id)).data["code"]
    form = app_client.get("/sign-in")
    signed = app_client.post("/sign-in", data={"csrf": csrf_of(form.text), "code": code}, follow_redirects=False)
    assert signed.status_code == 303
    assert app_client.get(f"{LIST}/{world.mentorship_id}").status_code == 404
    assert world.mentorship_id not in app_client.get(LIST).text


def test_withdrawing_a_draft(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world.coordinator, world.coordinator_id)
    answer = post(app_client, f"{LIST}/{world.other_mentorship_id}/withdrawal", {})
    assert answer.status_code == 303
    assert summary_of(app_client, world, world.other_mentorship_id)["status"] == "withdrawn"
    before = position(app_client)
    again = post(app_client, f"{LIST}/{world.other_mentorship_id}/withdrawal", {})
    assert again.status_code == 409
    assert position(app_client) == before


def test_a_consultation_is_recorded_and_its_note_never_shown(app_client: TestClient, world: World) -> None:
    marks = Marks()
    note = marks.text("coordinator", "consultation-note")
    sign_in(app_client, world.coordinator, world.coordinator_id)
    path = f"{LIST}/{world.mentorship_id}"
    token = csrf_of(app_client.get(path).text)
    before = position(app_client)
    unnamed = {"topic": "dispute", "outcome": "reconciled", "note": note}
    refused = post(app_client, f"{path}/consultation", unnamed, token)
    assert refused.status_code == 422  # a dispute consultation names its dispute
    assert note not in refused.text
    assert position(app_client) == before
    data = {"topic": "dispute", "dispute_id": world.dispute_id, "outcome": "reconciled", "note": note}
    answer = post(app_client, f"{path}/consultation", data, token)
    assert answer.status_code == 303
    assert summary_of(app_client, world, world.mentorship_id)["consultations"] == 1
    for shown in (path, f"{path}?lang=en", LIST, "/programme/participants", "/worklist"):
        assert note not in app_client.get(shown).text
    early = post(app_client, f"{path}/consultation", {"topic": "early_end", "outcome": "ending_agreed"}, token)
    assert early.status_code == 303
    ended = post(app_client, f"{path}/end", {"reason": "no_longer_needed", "end_note": note}, token)
    assert ended.status_code == 303
    assert summary_of(app_client, world, world.mentorship_id)["status"] == "ended"
    after = app_client.get(f"{path}?lang=en")
    assert "Relationship ended" in after.text and note not in after.text
    assert "/consultation" not in after.text and f"{world.mentorship_id}/end" not in after.text


def test_an_early_end_without_consultation_is_refused(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world.coordinator, world.coordinator_id)
    app_client.get(NEW)  # the drafting form names the candidates: a personal-data read, recorded once
    before = position(app_client)
    answer = post(app_client, f"{LIST}/{world.mentorship_id}/end?lang=fr", {"reason": "other"})
    assert answer.status_code == 409
    assert "consultation" in answer.text
    missing = post(app_client, f"{LIST}/{world.mentorship_id}/end", {"reason": ""})
    assert missing.status_code == 422
    assert position(app_client) == before


def test_every_form_refuses_a_missing_csrf_token(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world.coordinator, world.coordinator_id)
    before = position(app_client)
    mid, draft = world.mentorship_id, world.other_mentorship_id
    forms: tuple[tuple[str, dict[str, str]], ...] = (
        (NEW, {"mentor_id": world.mentor_id, "mentee_id": world.other_mentee_id, "starts_on": START}),
        (f"{LIST}/{draft}/withdrawal", {}),
        (f"{LIST}/{mid}/consultation", {"topic": "early_end", "outcome": "ending_agreed"}),
        (f"{LIST}/{mid}/end", {"reason": "completed"}),
    )
    for path, data in forms:
        assert post(app_client, path, data, csrf="forged").status_code == 403
        assert app_client.post(path, data=data, follow_redirects=False).status_code == 403
    assert position(app_client) == before


def test_a_mentor_gets_403_on_every_form_and_stores_nothing(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world.coordinator, world.mentor_id)
    token = csrf_of(app_client.get("/mentorships").text)
    before = position(app_client)
    mid, draft = world.mentorship_id, world.other_mentorship_id
    forms: tuple[tuple[str, dict[str, str]], ...] = (
        (NEW, {"mentor_id": world.mentor_id, "mentee_id": world.other_mentee_id, "starts_on": START}),
        (f"{LIST}/{draft}/withdrawal", {}),
        (f"{LIST}/{mid}/consultation", {"topic": "early_end", "outcome": "ending_agreed"}),
        (f"{LIST}/{mid}/end", {"reason": "completed"}),
    )
    for path, data in forms:
        assert post(app_client, path, data, token).status_code == 403
    assert position(app_client) == before
