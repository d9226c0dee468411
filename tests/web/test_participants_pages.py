"""The coordinator's participants page on both stores: the list, register, invite (the code never shown), deactivate.

Every form is posted as a browser posts it (CSRF field, URL-encoded); what is stored is checked through the API and
the store's position: a refused, forged or forbidden form stores nothing.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import World, mailed, service_of
from tests.web.conftest import csrf_of, sign_in

PAGE = "/programme/participants"


def position(client: TestClient) -> int:
    """The store's position: unchanged when nothing was stored."""
    return service_of(client).store.position()


def post(client: TestClient, path: str, data: dict[str, str], csrf: str | None = None) -> Any:
    """Post a form from the participants page (its CSRF token unless one is given)."""
    token = csrf if csrf is not None else csrf_of(client.get(PAGE).text)
    return client.post(path, data={"csrf": token, **data}, follow_redirects=False)


def listed(client: TestClient, world: World) -> dict[str, dict[str, Any]]:
    """The programme's participants as the API lists them, by id."""
    answer = client.get(f"/v1/programmes/{world.programme_id}/participants?limit=100", headers=world.coordinator)
    assert answer.status_code == 200, answer.text
    return {item["id"]: item for item in answer.json()["items"]}


def test_the_coordinator_sees_the_programme_s_participants_with_names_and_roles(
    app_client: TestClient, world: World
) -> None:
    sign_in(app_client, world.coordinator, world.coordinator_id)
    page = app_client.get(f"{PAGE}?lang=en")
    assert page.status_code == 200
    for name in ("Mentor", "Mentee", "Othermentor", "Othermentee", "Coordinator"):
        assert f">{name}</th>" in page.text
    assert "Other coordinator" not in page.text  # another programme's
    assert f"/programme/participants/{world.mentor_id}/invitation" in page.text
    assert f"/programme/participants/{world.auditor_id}/invitation" not in page.text  # the operator's to invite
    assert "<caption" in page.text and 'scope="col"' in page.text
    assert f"/programme/participants/{world.coordinator_id}/deactivation" not in page.text  # not oneself


def test_registering_a_participant_stores_them_and_redirects(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world.coordinator, world.coordinator_id)
    data = {"name": "Nouvelle", "email": "nouvelle@example.org", "role": "mentee", "language": "en"}
    answer = post(app_client, PAGE, data)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith(PAGE)
    people = [p for p in listed(app_client, world).values() if p["name"] == "Nouvelle"]
    assert len(people) == 1 and people[0]["role"] == "mentee" and people[0]["email"] == "nouvelle@example.org"
    assert ">Nouvelle</th>" in app_client.get(answer.headers["location"]).text


def test_a_refused_registration_shows_its_reason_translated_and_stores_nothing(
    app_client: TestClient, world: World
) -> None:
    sign_in(app_client, world.coordinator, world.coordinator_id)
    token = csrf_of(app_client.get(f"{PAGE}?lang=fr").text)
    before = position(app_client)
    data = {"name": "   ", "email": "vide@example.org", "role": "mentor", "language": "fr"}
    answer = post(app_client, PAGE, data, token)
    assert answer.status_code == 422
    assert "Ce champ ne peut pas être vide." in answer.text
    assert 'aria-invalid="true"' in answer.text
    bad_email = post(app_client, PAGE, {**data, "name": "Nom", "email": "sans-arobase"}, token)
    assert bad_email.status_code == 422
    auditor = post(app_client, PAGE, {**data, "name": "Nom", "role": "auditor"}, token)
    assert auditor.status_code == 403  # an auditor is the operator's to register
    assert position(app_client) == before


def test_an_invitation_is_mailed_and_its_code_never_shown(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world.coordinator, world.coordinator_id)
    before = position(app_client)
    answer = post(app_client, f"{PAGE}/{world.other_mentee_id}/invitation", {})
    assert answer.status_code == 303
    assert position(app_client) > before
    code = mailed(app_client, "othermentee@example.org")
    shown = app_client.get(answer.headers["location"] + "&lang=en")
    assert "The invitation was sent by e-mail." in shown.text
    assert code not in shown.text
    assert code not in answer.text


def test_deactivation_needs_its_confirmation(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world.coordinator, world.coordinator_id)
    path = f"{PAGE}/{world.other_mentor_id}/deactivation"
    app_client.get(PAGE)  # the page's names are a personal-data read, recorded once: not the form's doing
    before = position(app_client)
    unconfirmed = post(app_client, path, {})
    assert unconfirmed.status_code == 422
    assert position(app_client) == before
    assert listed(app_client, world)[world.other_mentor_id]["active"] is True
    answer = post(app_client, path, {"confirm": "yes"})
    assert answer.status_code == 303
    assert listed(app_client, world)[world.other_mentor_id]["active"] is False
    again = post(app_client, f"{PAGE}/{world.other_mentor_id}/invitation", {})
    assert again.status_code == 409  # an inactive person is not invited


def test_every_form_refuses_a_missing_csrf_token(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world.coordinator, world.coordinator_id)
    before = position(app_client)
    forms: tuple[tuple[str, dict[str, str]], ...] = (
        (PAGE, {"name": "X", "email": "x@example.org", "role": "mentor", "language": "fr"}),
        (f"{PAGE}/{world.other_mentee_id}/invitation", {}),
        (f"{PAGE}/{world.other_mentee_id}/deactivation", {"confirm": "yes"}),
    )
    for path, data in forms:
        assert post(app_client, path, data, csrf="forged").status_code == 403
        assert app_client.post(path, data=data, follow_redirects=False).status_code == 403
    assert position(app_client) == before


def test_a_mentor_gets_403_and_stores_nothing(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world.coordinator, world.mentor_id)
    assert app_client.get(PAGE).status_code == 403
    token = csrf_of(app_client.get("/mentorships").text)
    before = position(app_client)
    forms: tuple[tuple[str, dict[str, str]], ...] = (
        (PAGE, {"name": "X", "email": "x@example.org", "role": "mentor", "language": "fr"}),
        (f"{PAGE}/{world.other_mentee_id}/invitation", {}),
        (f"{PAGE}/{world.other_mentee_id}/deactivation", {"confirm": "yes"}),
    )
    for path, data in forms:
        answer = post(app_client, path, data, token)
        assert answer.status_code == 403
        assert "Othermentee" not in answer.text
    assert position(app_client) == before


def test_an_unknown_participant_is_not_found(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world.coordinator, world.coordinator_id)
    app_client.get(PAGE)  # the page's names are a personal-data read, recorded once: not the form's doing
    before = position(app_client)
    assert post(app_client, f"{PAGE}/not-an-id/invitation", {}).status_code == 404
    assert post(app_client, f"{PAGE}/00000000-0000-4000-8000-000000000000/invitation", {}).status_code == 404
    assert position(app_client) == before
