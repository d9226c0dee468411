"""The pair's convention and journal pages on both stores: terms, signatures, objectives, satisfaction, disclosure, end.

Every form is posted as a browser posts it (CSRF field, URL-encoded), and what is stored is checked through the API
and the store's position: a refused form, a forged one or one from outside the pair stores nothing.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from fastapi.testclient import TestClient

from tests.api.conftest import World, created, service_of
from tests.web.conftest import csrf_of, sign_in

APOSTROPHE = "\u2019"  # French typography's apostrophe, as the catalogue writes it


def position(client: TestClient) -> int:
    """The store's position: unchanged when nothing was stored."""
    return service_of(client).store.position()


def page_of(client: TestClient, path: str) -> Any:
    """A page, without following redirects."""
    return client.get(path, follow_redirects=False)


def post(client: TestClient, path: str, data: dict[str, str], csrf: str | None = None) -> Any:
    """Post a form from its page (its CSRF token unless one is given)."""
    token = csrf if csrf is not None else csrf_of(page_of(client, "/mentorships").text)
    return client.post(path, data={"csrf": token, **data}, follow_redirects=False)


def sign_in_as(client: TestClient, world: World, participant_id: str) -> None:
    """Sign a participant in; the auditor with the operator's code (the coordinator never invites them)."""
    if participant_id != world.auditor_id:
        sign_in(client, world.coordinator, participant_id)
        return
    code = service_of(client).participants.invite_as_operator(UUID(participant_id)).data["code"]
    form = client.get("/sign-in")
    answer = client.post("/sign-in", data={"csrf": csrf_of(form.text), "code": code}, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def journal_of(client: TestClient, world: World, mid: str | None = None, who: str = "mentor") -> dict[str, Any]:
    """The pair's journal as the API gives it."""
    answer = client.get(f"/v1/mentorships/{mid or world.mentorship_id}/journal", headers=getattr(world, who))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def summary_of(client: TestClient, world: World, mid: str | None = None) -> dict[str, Any]:
    """The mentorship's summary as the API gives it (to the coordinator)."""
    answer = client.get(f"/v1/mentorships/{mid or world.mentorship_id}", headers=world.coordinator)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def forms_of(world: World, mid: str | None = None) -> list[tuple[str, dict[str, str]]]:
    """Every form of the convention's page, with values it would accept (path, fields)."""
    base = f"/mentorships/{mid or world.mentorship_id}"
    return [
        (f"{base}/signature", {}),
        (f"{base}/objectives", {"text": "A new objective"}),
        (f"{base}/objectives/{world.objective_id}/assessment", {f"status-{world.objective_id}": "in_progress"}),
        (f"{base}/satisfaction", {"score": "4", "comment": "A comment"}),
        (f"{base}/disclosure", {"basis": "required_by_law", "authority": "court"}),
        (f"{base}/end", {"reason": "completed", "note": "A note"}),
    ]


def test_the_party_reads_the_terms_both_signatures_and_only_what_they_may_do_now(
    app_client: TestClient, world: World
) -> None:
    sign_in(app_client, world.coordinator, world.mentee_id)
    answer = page_of(app_client, f"/mentorships/{world.mentorship_id}")
    assert answer.status_code == 200, answer.text
    html = answer.text
    # The terms as the agreement states them, with the programme's settings and the convention's dates
    assert "<h1>Convention entre mentor et mentoré</h1>" in html
    assert "durée approximative de 10 mois" in html and "1 janvier 2026" in html and "1 novembre 2026" in html
    assert "de 60 à 90 minutes" in html and "ordre du jour" in html and "inévitable" in html
    assert "coordonnateur" in html and "confidentialité" in html.lower()
    assert "En cours" in html  # the status in words
    # Both signatures, and no sign button once signed; the other forms of an active convention
    assert html.count("Signée le") == 2 and "Pas encore signée" not in html
    assert "/signature" not in html
    for action in ("objectives", f"objectives/{world.objective_id}/assessment", "satisfaction", "disclosure", "end"):
        assert f'action="/mentorships/{world.mentorship_id}/{action}"' in html, action
    # The danger basis is the mentor's alone: not offered to the mentee
    assert "danger_to_self_or_others" not in html
    for link in ("meetings", "disputes", "journal"):
        assert f'href="/mentorships/{world.mentorship_id}/{link}"' in html
    # The objective's text, from the journal; reading it is recorded in the access log
    assert ">Objective</p>" in html
    after = position(app_client)
    read = app_client.get(f"/v1/programmes/{world.programme_id}/access-log?after={after}", headers=world.auditor)
    log = read.json()["items"]
    assert any(e["action"] == "journal_read" and e["actor_id"] == world.mentee_id for e in log), log


def test_an_awaiting_convention_offers_objectives_and_the_signature_then_the_signature_goes(
    app_client: TestClient, world: World
) -> None:
    mid = world.other_mentorship_id
    sign_in(app_client, world.coordinator, world.other_mentor_id)
    html = page_of(app_client, f"/mentorships/{mid}").text
    assert "En attente des signatures" in html and html.count("Pas encore signée") == 2
    assert f'action="/mentorships/{mid}/signature"' in html and f'action="/mentorships/{mid}/objectives"' in html
    for absent in ("satisfaction", "disclosure", "end"):  # only once signed (active for the end)
        assert f'action="/mentorships/{mid}/{absent}"' not in html
    # Signing without an objective: refused in words, nothing stored
    before = position(app_client)
    refused = post(app_client, f"/mentorships/{mid}/signature", {})
    assert refused.status_code == 409
    assert f"La convention doit compter au moins un objectif avant d{APOSTROPHE}être signée." in refused.text
    assert position(app_client) == before
    # An objective, then the signature: each redirects to the page, which no longer offers the signature
    added = post(app_client, f"/mentorships/{mid}/objectives", {"text": "Learn to delegate"})
    assert added.status_code == 303 and added.headers["location"] == f"/mentorships/{mid}#objectives"
    signed = post(app_client, f"/mentorships/{mid}/signature", {})
    assert signed.status_code == 303 and signed.headers["location"] == f"/mentorships/{mid}#signatures"
    html = page_of(app_client, f"/mentorships/{mid}").text
    assert f'action="/mentorships/{mid}/signature"' not in html
    assert html.count("Signée le") == 1 and html.count("Pas encore signée") == 1 and "Learn to delegate" in html
    assert [o["text"] for o in journal_of(app_client, world, mid, "other_mentor")["objectives"]] == [
        "Learn to delegate"
    ]


def test_each_form_of_an_active_convention_is_stored_and_redirects(app_client: TestClient, world: World) -> None:
    mid = world.mentorship_id
    sign_in(app_client, world.coordinator, world.mentor_id)
    added = post(app_client, f"/mentorships/{mid}/objectives", {"text": "Speak in public"})
    assert added.status_code == 303
    oid = world.objective_id
    assessed = post(app_client, f"/mentorships/{mid}/objectives/{oid}/assessment", {f"status-{oid}": "attained"})
    assert assessed.status_code == 303 and assessed.headers["location"] == f"/mentorships/{mid}#objectives"
    reported = post(app_client, f"/mentorships/{mid}/satisfaction", {"score": "5", "comment": "Going well"})
    assert reported.status_code == 303 and reported.headers["location"] == f"/mentorships/{mid}#satisfaction"
    disclosed = post(
        app_client, f"/mentorships/{mid}/disclosure", {"basis": "danger_to_self_or_others", "authority": ""}
    )
    assert disclosed.status_code == 303 and disclosed.headers["location"] == f"/mentorships/{mid}#disclosure"
    journal = journal_of(app_client, world)
    assert {o["text"]: o["status"] for o in journal["objectives"]} == {
        "Objective": "attained",
        "Speak in public": "not_started",
    }
    assert any(e["type"] == "SatisfactionReported" and e["text"] == "Going well" for e in journal["entries"])
    facts = summary_of(app_client, world)
    assert facts["satisfaction_mentor"] == 5 and facts["objectives_attained"] == 1
    history = app_client.get(f"/v1/mentorships/{mid}/history", headers=world.auditor).json()["items"]
    assert "DisclosureRecorded" in [e["type"] for e in history]
    html = page_of(app_client, f"/mentorships/{mid}").text  # the page shows it at once (it waited for the models)
    assert "Speak in public" in html and "Où il en est : <strong>Atteint</strong>" in html
    # An early end after the coordinator's consultation: stored, and the page offers no end any more
    body = {"topic": "early_end", "outcome": "ending_agreed"}
    created(app_client.post(f"/v1/mentorships/{mid}/consultations", json=body, headers=world.coordinator))
    ended = post(app_client, f"/mentorships/{mid}/end", {"reason": "no_longer_needed", "note": ""})
    assert ended.status_code == 303, ended.text
    assert summary_of(app_client, world)["status"] == "ended"
    html = page_of(app_client, f"/mentorships/{mid}").text
    assert "Terminé" in html and f'action="/mentorships/{mid}/end"' not in html
    assert f'action="/mentorships/{mid}/objectives"' not in html  # no objective added once ended
    assert f'action="/mentorships/{mid}/satisfaction"' in html  # satisfaction still, after the end


def test_a_refused_form_shows_its_reason_in_words_and_stores_nothing(app_client: TestClient, world: World) -> None:
    mid, oid, unknown = world.mentorship_id, world.objective_id, uuid4()
    sign_in(app_client, world.coordinator, world.mentee_id)
    cases = [
        # an early end without a consultation (the rule shown beside the form)
        (f"/mentorships/{mid}/end", {"reason": "completed"}, 409,
         f"Une fin anticipée exige d{APOSTROPHE}abord une consultation avec le coordonnateur."),
        (f"/mentorships/{mid}/objectives", {"text": "   "}, 422, "Ce champ ne peut pas être vide."),
        (f"/mentorships/{mid}/satisfaction", {"score": "9"}, 422, "Cette valeur est hors des limites permises."),
        (f"/mentorships/{mid}/satisfaction", {"score": "beaucoup"}, 422, None),
        (f"/mentorships/{mid}/satisfaction", {"score": ""}, 422, "Ce champ est obligatoire."),
        (f"/mentorships/{mid}/objectives/{oid}/assessment", {f"status-{oid}": "done"}, 422, "Veuillez choisir l"),
        (f"/mentorships/{mid}/disclosure", {"basis": ""}, 422, "Ce champ est obligatoire."),
        # the danger basis from a mentee (not offered, posted anyway): the domain's refusal
        (f"/mentorships/{mid}/disclosure", {"basis": "danger_to_self_or_others"}, 403,
         "Votre rôle ne permet pas de faire ceci."),
        (f"/mentorships/{mid}/objectives/{unknown}/assessment", {f"status-{unknown}": "attained"}, 404, None),
    ]  # fmt: skip
    page_of(app_client, f"/mentorships/{mid}")  # the journal's read is recorded once (then not again for a while)
    for path, data, status, words in cases:
        before = position(app_client)
        answer = post(app_client, path, data)
        assert answer.status_code == status, (path, data, answer.status_code)
        assert position(app_client) == before, (path, data)
        assert 'role="alert"' in answer.text, (path, data)
        if words is not None:
            assert words in answer.text, (path, data)
    # A value refused is kept in its field, which says why
    answer = post(app_client, f"/mentorships/{mid}/objectives", {"text": "   "})
    assert 'aria-invalid="true"' in answer.text and 'aria-describedby="text-hint text-error"' in answer.text
    assert summary_of(app_client, world)["status"] == "active"


def test_every_form_without_its_csrf_token_is_refused_and_stores_nothing(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world.coordinator, world.mentor_id)
    for path, data in forms_of(world):
        before = position(app_client)
        for token in ("forged", ""):
            answer = post(app_client, path, data, csrf=token)
            assert answer.status_code == 403, (path, token)
        answer = app_client.post(path, data=data, follow_redirects=False)  # no field at all
        assert answer.status_code == 403, path
        assert position(app_client) == before, path


def test_outside_the_pair_the_pages_are_not_found_or_forbidden_and_nothing_is_stored(
    app_client: TestClient, world: World
) -> None:
    mid = world.mentorship_id
    pages = (f"/mentorships/{mid}", f"/mentorships/{mid}/journal")
    # The other pair's mentor (same programme): not found, page and forms alike; a malformed id too
    sign_in(app_client, world.coordinator, world.other_mentor_id)
    for path in (*pages, "/mentorships/not-an-id", f"/mentorships/{mid.upper()}", f"/mentorships/{uuid4()}"):
        answer = page_of(app_client, path)
        assert answer.status_code == 404, path
        assert "Objective" not in answer.text and "Dispute<" not in answer.text
    for path, data in forms_of(world):
        before = position(app_client)
        answer = post(app_client, path, data)
        assert answer.status_code == 404, path
        assert position(app_client) == before, path
    # The coordinator and the auditor of the programme: forbidden (the coordinator's page is /programme/…)
    for overseer in (world.coordinator_id, world.auditor_id):
        sign_in_as(app_client, world, overseer)
        for path in pages:
            answer = page_of(app_client, path)
            assert answer.status_code == 403, (overseer, path)
            pages_of_role = ("/programme/mentorships/", "/audit/mentorships/")
            assert any(f'href="{place}{mid}"' in answer.text for place in pages_of_role), (overseer, path)
            assert ">Objective<" not in answer.text
        for path, data in forms_of(world):
            before = position(app_client)
            answer = post(app_client, path, data)
            assert answer.status_code in (403, 404), (overseer, path)
            assert position(app_client) == before, (overseer, path)
    assert summary_of(app_client, world)["status"] == "active"
    assert [o["text"] for o in journal_of(app_client, world)["objectives"]] == ["Objective"]


def test_an_objectives_text_shows_on_the_pairs_pages_only(app_client: TestClient, world: World) -> None:
    marker = f"marker-{uuid4()}"
    mid = world.mentorship_id
    sign_in(app_client, world.coordinator, world.mentee_id)
    assert post(app_client, f"/mentorships/{mid}/objectives", {"text": marker}).status_code == 303
    assert marker in page_of(app_client, f"/mentorships/{mid}").text
    assert marker in page_of(app_client, f"/mentorships/{mid}/journal").text
    assert marker not in page_of(app_client, "/mentorships").text
    sign_in(app_client, world.coordinator, world.mentor_id)
    assert marker in page_of(app_client, f"/mentorships/{mid}").text
    sign_in(app_client, world.coordinator, world.other_mentor_id)
    for path in (f"/mentorships/{world.other_mentorship_id}", f"/mentorships/{world.other_mentorship_id}/journal",
                 f"/mentorships/{mid}", f"/mentorships/{mid}/journal", "/mentorships"):  # fmt: skip
        assert marker not in page_of(app_client, path).text, path
    for overseer, paths in ((world.coordinator_id, ("/worklist",)), (world.auditor_id, ("/audit",))):
        sign_in_as(app_client, world, overseer)
        for path in (*paths, f"/mentorships/{mid}", f"/mentorships/{mid}/journal"):
            assert marker not in page_of(app_client, path).text, (overseer, path)


def test_the_journal_page_shows_the_pairs_texts_and_process_facts(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world.coordinator, world.mentor_id)
    answer = page_of(app_client, f"/mentorships/{world.mentorship_id}/journal")
    assert answer.status_code == 200
    html = answer.text
    journal = journal_of(app_client, world)
    assert len(journal["meetings"]) == 1 and len(journal["disputes"]) == 1
    assert "<h1>Notre journal</h1>" in html and "Objective" in html and "Dispute" in html
    assert "Ouvert" in html and "Prévue" in html  # the dispute's and the meeting's statuses in words
