"""A pair's meetings and disputes pages on both stores: forms, CSRF, scope, refusals, local times, confidentiality."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import World, service_of
from tests.support import FakeClock
from tests.web.conftest import csrf_of, sign_in

AFTER_THE_MEETING = datetime(2026, 1, 20, 16, 0, tzinfo=UTC)  # the world's meeting is at 15:00 UTC that day


def version(client: TestClient, mentorship_id: str) -> int:
    """The mentorship's version in the store: it moves with each event stored."""
    return int(service_of(client).mentorships.get(UUID(mentorship_id)).version)


def journal(client: TestClient, world: World) -> dict[str, Any]:
    """The pair's journal as the API answers it to the mentee."""
    answer = client.get(f"/v1/mentorships/{world.mentorship_id}/journal", headers=world.mentee)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def meeting(body: dict[str, Any], meeting_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(m for m in body["meetings"] if m["id"] == meeting_id)
    return found


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def caught_up(client: TestClient) -> None:
    """The read models have read every stored event."""
    read_side = client.app.state.read_side  # type: ignore[attr-defined]
    assert read_side.wait_for(service_of(client).store.position(), ("summary", "access"), 20)


def opened(client: TestClient, path: str, status: int = 200) -> str:
    """A page's HTML, checking its status."""
    page = client.get(path, follow_redirects=False)
    assert page.status_code == status, (path, page.status_code, page.text[:500])
    return str(page.text)


def sent(client: TestClient, path: str, data: dict[str, str], status: int = 303) -> Any:
    """A form posted without following the redirect, checking the status."""
    answer = client.post(path, data=data, follow_redirects=False)
    assert answer.status_code == status, (path, answer.status_code, answer.text[:2000])
    return answer


def test_the_pair_schedules_sends_the_agenda_records_the_meeting_held_and_cancels(
    app_client: TestClient, world: World, clock: FakeClock
) -> None:
    mid, first = world.mentorship_id, world.meeting_id
    meetings = f"/mentorships/{mid}/meetings"
    sign_in(app_client, world.coordinator, world.mentee_id)
    html = opened(app_client, meetings)
    assert "<h1>Rencontres</h1>" in html and "America/Toronto" in html
    assert f'action="{meetings}/{first}/agenda"' in html  # the mentee's, before the meeting
    assert f'action="{meetings}/{first}/held"' not in html  # not before its time
    assert 'type="datetime-local"' in html and "2026-01-20T10:00" in html  # the move form: local time
    csrf = csrf_of(html)

    # Scheduled at 18:30 in Toronto (EST, UTC-5): 23:30 UTC, as the API's journal reads it
    answer = sent(app_client, meetings, {"csrf": csrf, "scheduled_for": "2026-02-10T18:30"})
    assert answer.headers["location"] == meetings
    body = journal(app_client, world)
    second = next(m for m in body["meetings"] if m["id"] != first)
    assert moment(second["scheduled_for"]) == datetime(2026, 2, 10, 23, 30, tzinfo=UTC)
    # Summer time: 09:15 in Toronto in July is 13:15 UTC
    sent(
        app_client,
        f"{meetings}/{second['id']}/reschedule",
        {"csrf": csrf, f"scheduled_for-{second['id']}": "2026-07-07T09:15"},
    )
    assert moment(meeting(journal(app_client, world), second["id"])["scheduled_for"]) == datetime(
        2026, 7, 7, 13, 15, tzinfo=UTC
    )

    # The mentee's agenda, before the meeting
    agenda = f"agenda-{uuid4()}"
    sent(app_client, f"{meetings}/{first}/agenda", {"csrf": csrf, f"agenda-{first}": agenda})
    assert meeting(journal(app_client, world), first)["agenda"] == agenda
    assert agenda in opened(app_client, meetings)

    # The meeting's time has come: no agenda form now, the held form instead
    clock.now = AFTER_THE_MEETING
    caught_up(app_client)  # the programme's meeting target is read from its read model
    html = opened(app_client, meetings)
    assert f'action="{meetings}/{first}/agenda"' not in html
    assert f'action="{meetings}/{first}/held"' in html, html[html.find("<main") :]
    assert "60 à 90 minutes" in html, html[html.find("<main") :]
    notes = f"notes-{uuid4()}"
    held = {
        "csrf": csrf, f"held_at-{first}": "", f"duration_minutes-{first}": "75", f"notes-{first}": notes,
        f"next_meeting_for-{first}": "2026-03-03T09:15",
    }  # fmt: skip
    sent(app_client, f"{meetings}/{first}/held", held)
    body = journal(app_client, world)
    done = meeting(body, first)
    assert (done["status"], done["duration_minutes"], done["notes"]) == ("held", 75, notes)
    assert moment(done["held_at"]) == datetime(2026, 1, 20, 15, 0, tzinfo=UTC)  # blank: the scheduled time
    nexts = [m for m in body["meetings"] if moment(m["scheduled_for"]) == datetime(2026, 3, 3, 14, 15, tzinfo=UTC)]
    assert len(nexts) == 1 and nexts[0]["status"] == "scheduled"

    # The mentor reads the pair's texts, and has no agenda form (the mentee's alone)
    sign_in(app_client, world.coordinator, world.mentor_id)
    html = opened(app_client, meetings)
    assert agenda in html and notes in html and "75 minutes" in html
    assert "/agenda" not in html
    assert "ne peut pas l\u2019éviter" in html  # the cancellation form states the convention's rule
    csrf = csrf_of(html)
    note = f"note-{uuid4()}"
    cancelled = {"csrf": csrf, f"unavoidable-{second['id']}": "yes", f"note-{second['id']}": note}
    sent(app_client, f"{meetings}/{second['id']}/cancellation", cancelled)
    body = journal(app_client, world)
    assert meeting(body, second["id"])["status"] == "cancelled"
    assert any(e["type"] == "MeetingCancelled" and e["text"] == note for e in body["entries"])
    html = opened(app_client, meetings)
    assert "Annulée" in html and f"{meetings}/{second['id']}/cancellation" not in html
    # A closed meeting's forms are refused with the slug's words, and nothing is stored
    before = version(app_client, mid)
    refused = sent(app_client, f"{meetings}/{second['id']}/cancellation", cancelled, status=409)
    assert "Cette rencontre a déjà eu lieu ou a été annulée." in refused.text and 'role="alert"' in refused.text
    assert version(app_client, mid) == before


def test_an_agenda_after_the_meeting_starts_is_refused_in_words_and_nothing_is_stored(
    app_client: TestClient, world: World, clock: FakeClock
) -> None:
    meetings = f"/mentorships/{world.mentorship_id}/meetings"
    sign_in(app_client, world.coordinator, world.mentee_id)
    csrf = csrf_of(opened(app_client, meetings))  # the form, as the mentee opened it in time
    clock.now = AFTER_THE_MEETING
    before = version(app_client, world.mentorship_id)
    late = f"late-{uuid4()}"
    answer = sent(
        app_client, f"{meetings}/{world.meeting_id}/agenda", {"csrf": csrf, f"agenda-{world.meeting_id}": late}, 409
    )
    assert "L\u2019ordre du jour ne peut être envoyé qu\u2019avant la rencontre." in answer.text
    assert version(app_client, world.mentorship_id) == before
    assert meeting(journal(app_client, world), world.meeting_id)["agenda"] is None
    assert late not in opened(app_client, meetings)


@pytest.mark.parametrize(
    ("form", "field", "value", "reason"),
    [
        ("schedule", "scheduled_for", "mardi prochain", "Cette valeur n\u2019est pas dans le format attendu."),
        ("schedule", "scheduled_for", "", "Ce champ est obligatoire."),
        ("schedule", "scheduled_for", "2025-12-01T10:00", "Cette date précède le début de la convention."),
        ("agenda", "agenda", "   ", "Ce champ ne peut pas être vide."),
    ],
)
def test_a_refused_value_shows_its_reason_beside_its_field_and_stores_nothing(
    app_client: TestClient, world: World, form: str, field: str, value: str, reason: str
) -> None:
    meetings = f"/mentorships/{world.mentorship_id}/meetings"
    sign_in(app_client, world.coordinator, world.mentee_id)
    csrf = csrf_of(opened(app_client, meetings))
    path, name = (meetings, field) if form == "schedule" else (
        f"{meetings}/{world.meeting_id}/agenda", f"{field}-{world.meeting_id}"
    )  # fmt: skip
    before = version(app_client, world.mentorship_id)
    answer = sent(app_client, path, {"csrf": csrf, name: value}, 422)
    assert reason in answer.text, answer.text
    assert f'id="{name}-error"' in answer.text and 'aria-invalid="true"' in answer.text
    assert version(app_client, world.mentorship_id) == before


def test_a_held_meeting_needs_a_duration_within_bounds(app_client: TestClient, world: World, clock: FakeClock) -> None:
    meetings, first = f"/mentorships/{world.mentorship_id}/meetings", world.meeting_id
    sign_in(app_client, world.coordinator, world.mentor_id)
    clock.now = AFTER_THE_MEETING
    csrf = csrf_of(opened(app_client, meetings))
    before = version(app_client, world.mentorship_id)
    for minutes, reason in (("600", "hors des limites permises"), ("une heure", "format attendu"), ("", "obligatoire")):
        answer = sent(app_client, f"{meetings}/{first}/held", {"csrf": csrf, f"duration_minutes-{first}": minutes}, 422)
        assert reason in answer.text and f'id="duration_minutes-{first}-error"' in answer.text
    assert version(app_client, world.mentorship_id) == before


def test_disputes_are_raised_and_settled_by_the_pair_under_the_agreement_rule(
    app_client: TestClient, world: World
) -> None:
    disputes = f"/mentorships/{world.mentorship_id}/disputes"
    sign_in(app_client, world.coordinator, world.mentee_id)
    html = opened(app_client, disputes)
    assert "<h1>Différends</h1>" in html and "entre vous deux" in html and "coordonnateur" in html
    assert "Ouvert" in html and f'action="{disputes}/{world.dispute_id}/settlement"' in html
    csrf = csrf_of(html)
    summary = f"summary-{uuid4()}"
    assert sent(app_client, disputes, {"csrf": csrf, "summary": summary}).headers["location"] == disputes
    raised = [d for d in journal(app_client, world)["disputes"] if d["summary"] == summary]
    assert len(raised) == 1 and raised[0]["status"] == "open"
    assert summary in opened(app_client, disputes)
    sent(app_client, f"{disputes}/{world.dispute_id}/settlement", {"csrf": csrf})
    statuses = {d["id"]: d["status"] for d in journal(app_client, world)["disputes"]}
    assert statuses == {world.dispute_id: "settled", raised[0]["id"]: "open"}
    html = opened(app_client, disputes)
    assert "Réglé entre les parties" in html and f"{world.dispute_id}/settlement" not in html
    # Settled once: a second word is refused in words, nothing stored
    before = version(app_client, world.mentorship_id)
    again = sent(app_client, f"{disputes}/{world.dispute_id}/settlement", {"csrf": csrf}, 409)
    assert "Ce différend n\u2019est plus ouvert." in again.text
    blank = sent(app_client, disputes, {"csrf": csrf, "summary": " "}, 422)
    assert "Ce champ ne peut pas être vide." in blank.text
    assert version(app_client, world.mentorship_id) == before


def every_form(world: World) -> list[tuple[str, dict[str, str]]]:
    """Each form of the two pages, with values it would accept (the clock after the world's meeting)."""
    meetings, disputes, first = (
        f"/mentorships/{world.mentorship_id}/meetings", f"/mentorships/{world.mentorship_id}/disputes",
        world.meeting_id,
    )  # fmt: skip
    return [
        (meetings, {"scheduled_for": "2026-02-10T18:30"}),
        (f"{meetings}/{first}/reschedule", {f"scheduled_for-{first}": "2026-02-10T18:30"}),
        (f"{meetings}/{first}/agenda", {f"agenda-{first}": "Agenda"}),
        (f"{meetings}/{first}/held", {f"duration_minutes-{first}": "60"}),
        (f"{meetings}/{first}/cancellation", {f"unavoidable-{first}": "yes"}),
        (disputes, {"summary": "Summary"}),
        (f"{disputes}/{world.dispute_id}/settlement", {}),
    ]


def test_every_form_without_its_csrf_token_is_refused_and_stores_nothing(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world.coordinator, world.mentee_id)
    before = version(app_client, world.mentorship_id)
    for path, data in every_form(world):
        for token in ({"csrf": "forged"}, {}):
            answer = sent(app_client, path, {**data, **token}, 403)
            assert "Refusé" in answer.text, path
    assert version(app_client, world.mentorship_id) == before


def test_another_pairs_party_finds_nothing_and_stores_nothing(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world.coordinator, world.other_mentor_id)
    own = opened(app_client, f"/mentorships/{world.other_mentorship_id}/meetings")  # theirs, awaiting signatures
    assert "pas encore en vigueur" in own and 'method="post" action="/mentorships' not in own
    csrf = csrf_of(own)
    before = version(app_client, world.mentorship_id)
    for path in ("meetings", "disputes"):
        assert "Introuvable" in opened(app_client, f"/mentorships/{world.mentorship_id}/{path}", 404)
    for path in ("/mentorships/not-an-id/meetings", f"/mentorships/{uuid4()}/disputes"):
        opened(app_client, path, 404)
    for path, data in every_form(world):
        sent(app_client, path, {**data, "csrf": csrf}, 404)
    assert version(app_client, world.mentorship_id) == before
    # A coordinator of the programme: forbidden (the journal is the pair's), as in the API
    sign_in(app_client, world.coordinator, world.coordinator_id)
    for path in ("meetings", "disputes"):
        opened(app_client, f"/mentorships/{world.mentorship_id}/{path}", 403)


def test_the_pairs_texts_never_show_on_another_pairs_pages(app_client: TestClient, world: World) -> None:
    agenda, summary = f"agenda-{uuid4()}", f"summary-{uuid4()}"
    sign_in(app_client, world.coordinator, world.mentee_id)
    meetings = f"/mentorships/{world.mentorship_id}/meetings"
    csrf = csrf_of(opened(app_client, meetings))
    sent(app_client, f"{meetings}/{world.meeting_id}/agenda", {"csrf": csrf, f"agenda-{world.meeting_id}": agenda})
    sent(app_client, f"/mentorships/{world.mentorship_id}/disputes", {"csrf": csrf, "summary": summary})
    assert agenda in opened(app_client, meetings)
    assert summary in opened(app_client, f"/mentorships/{world.mentorship_id}/disputes")
    sign_in(app_client, world.coordinator, world.other_mentor_id)
    for path in (
        f"/mentorships/{world.other_mentorship_id}/meetings", f"/mentorships/{world.other_mentorship_id}/disputes",
        f"/mentorships/{world.mentorship_id}/meetings", f"/mentorships/{world.mentorship_id}/disputes", "/mentorships",
    ):  # fmt: skip
        html = app_client.get(path).text
        assert agenda not in html and summary not in html, path


def test_the_pages_record_their_journal_reads(app_client: TestClient, world: World, clock: FakeClock) -> None:
    def reads() -> int:
        caught_up(app_client)
        log = app_client.get(f"/v1/programmes/{world.programme_id}/access-log", headers=world.auditor).json()
        return sum(
            e["action"] == "journal_read"
            and e["subject_id"] == world.mentorship_id
            and e["actor_id"] == world.mentor_id
            for e in log["items"]
        )

    sign_in(app_client, world.coordinator, world.mentor_id)
    before = reads()
    opened(app_client, f"/mentorships/{world.mentorship_id}/meetings")
    opened(app_client, f"/mentorships/{world.mentorship_id}/disputes")
    assert reads() == before + 1  # one record for reads within 10 minutes (application/access_records.py)
    clock.advance(minutes=11)
    opened(app_client, f"/mentorships/{world.mentorship_id}/disputes")
    assert reads() == before + 2


def test_a_role_that_may_not_is_refused_403_and_nothing_is_stored(app_client: TestClient, world: World) -> None:
    meetings = f"/mentorships/{world.mentorship_id}/meetings"
    # The mentor may not send the agenda (the mentee's, R4): no form, and a forged post is refused
    sign_in(app_client, world.coordinator, world.mentor_id)
    csrf = csrf_of(opened(app_client, meetings))
    before = version(app_client, world.mentorship_id)
    path = f"{meetings}/{world.meeting_id}/agenda"
    assert "Refusé" in sent(app_client, path, {"csrf": csrf, f"agenda-{world.meeting_id}": "Agenda"}, 403).text
    # The coordinator may do none of the pair's commands
    sign_in(app_client, world.coordinator, world.coordinator_id)
    csrf = csrf_of(opened(app_client, "/worklist"))
    for path, data in every_form(world):
        sent(app_client, path, {**data, "csrf": csrf}, 403)
    assert version(app_client, world.mentorship_id) == before
    assert meeting(journal(app_client, world), world.meeting_id)["agenda"] is None


def test_an_ended_mentorship_shows_its_meetings_and_disputes_without_a_form(
    app_client: TestClient, world: World
) -> None:
    mid = world.mentorship_id
    consulted = {"topic": "early_end", "outcome": "ending_agreed"}
    answer = app_client.post(f"/v1/mentorships/{mid}/consultations", json=consulted, headers=world.coordinator)
    assert answer.status_code == 201, answer.text
    answer = app_client.post(f"/v1/mentorships/{mid}/end", json={"reason": "other"}, headers=world.mentor)
    assert answer.status_code == 201, answer.text
    sign_in(app_client, world.coordinator, world.mentee_id)
    for path in ("meetings", "disputes"):
        html = opened(app_client, f"/mentorships/{mid}/{path}")
        assert "Ce mentorat est terminé" in html and f'method="post" action="/mentorships/{mid}' not in html, path
    assert "Clos par la fin du mentorat" in opened(app_client, f"/mentorships/{mid}/disputes")
    assert "Prévue" in opened(app_client, f"/mentorships/{mid}/meetings")  # still open, no longer to change
