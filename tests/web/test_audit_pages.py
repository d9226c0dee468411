"""The auditor's pages on both stores: the access log a page at a time, the timelines, the state of the history.

Who acted is shown by role and never by name; a timeline never shows content (a unique marker in every
content field and every name never reaches a page); `mentorat audit verify`'s outcome shows on `/audit/history`,
a tampered store's as failed; the roles the permission table leaves out get 403.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from bootstrap.audit import opened, verify_and_record
from bootstrap.settings import Settings
from domain.catalogue import SECTION_2_EVENTS, SIGN_IN_EVENTS
from projections import timeline
from tests.api.conftest import World, service_of
from tests.integration.confidential import Marks, before_erasure
from tests.integration.tampering import Raw, flipped
from tests.support import FakeClock
from tests.web.conftest import csrf_of, sign_in
from web.event_words import EVENT_TYPES
from web.formats import Formats
from web.routes import audit

NEXT = re.compile(r'href="/audit\?cursor=([^"]+)" rel="next"')
ROW = re.compile(r"<tr>\s*<td>(.*?)</td>", re.S)
MODELS = ("summary", "access", "timeline", "directory")


def caught_up(client: TestClient) -> None:
    """The read models include everything stored now."""
    read_side = client.app.state.read_side  # type: ignore[attr-defined]
    assert read_side.wait_for(service_of(client).store.position(), MODELS, 20)


def auditor_signs_in(client: TestClient, auditor_id: str | UUID) -> None:
    """The operator invites the auditor (a coordinator may not); they sign in with the code."""
    code = service_of(client).participants.invite_as_operator(UUID(str(auditor_id))).data["code"]
    page = client.get("/sign-in")
    answer = client.post("/sign-in", data={"csrf": csrf_of(page.text), "code": code}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    caught_up(client)


def get(client: TestClient, path: str, **params: Any) -> Any:
    return client.get(path, params=params, follow_redirects=False)


def test_the_access_log_pages_by_cursor_with_actions_roles_and_dates_in_words(
    app_client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    auditor_signs_in(app_client, world.auditor_id)
    every = app_client.get(f"/v1/programmes/{world.programme_id}/access-log?limit=100", headers=world.auditor).json()
    assert len(every["items"]) > 5 and every["next_cursor"] is None
    whole = get(app_client, "/audit").text  # every entry fits the first page of 50
    assert "Invitation envoyée" in whole and "Invitation utilisée" in whole and "Coordonnateur" in whole
    assert "Page suivante" not in whole and "@example.org" not in whole  # by role, never an address or a name
    monkeypatch.setattr(audit, "ACCESS_ROWS", 2)
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = get(app_client, "/audit", **({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200
        seen += ROW.findall(page.text)
        found = NEXT.search(page.text)
        if found is None:
            break
        cursor = found[1]
    # Every entry once, oldest first, on pages of two (the last page may be empty when the log is even)
    french = Formats("fr", "America/Toronto")  # the programme's zone: the default
    assert seen == [french.moment(item["at"]) for item in every["items"]]
    first = get(app_client, "/audit").text
    assert "Page suivante" in first and "Première page" not in first
    assert "Première page" in get(app_client, "/audit", cursor=cursor).text
    # A cursor that is not one of ours: 400, in words
    assert get(app_client, "/audit", cursor="not-a-cursor").status_code == 400


def test_the_programmes_mentorships_link_to_their_timelines_in_words(app_client: TestClient, world: World) -> None:
    auditor_signs_in(app_client, world.auditor_id)
    listed = get(app_client, "/audit/mentorships")
    assert listed.status_code == 200
    assert f'href="/audit/mentorships/{world.mentorship_id}"' in listed.text
    assert f'href="/audit/mentorships/{world.other_mentorship_id}"' in listed.text
    assert "En cours" in listed.text and "En attente des signatures" in listed.text
    page = get(app_client, f"/audit/mentorships/{world.mentorship_id}")
    assert page.status_code == 200
    history = app_client.get(f"/v1/mentorships/{world.mentorship_id}/history", headers=world.auditor).json()["items"]
    for words in ("Convention rédigée", "Objectif ajouté", "Une partie a signé", "Rencontre planifiée"):
        assert words in page.text
    assert "Différend soulevé" in page.text and "Mentor" in page.text and "Mentoré" in page.text
    assert page.text.count("<tr>") == len(history) + 1  # one row per event, and the head
    for entry in history:
        assert entry["type"] not in page.text  # the class name is never shown, its words are
    person = get(app_client, f"/audit/participants/{world.mentor_id}")
    assert person.status_code == 200
    assert "Personne participante inscrite" in person.text and "Invitation utilisée" in person.text
    # Unknown, malformed or out-of-scope ids: 404
    for path in (f"/audit/mentorships/{uuid4()}", "/audit/mentorships/not-an-id", f"/audit/participants/{uuid4()}",
                 f"/audit/participants/{world.other_coordinator_id}"):  # fmt: skip
        assert get(app_client, path).status_code == 404, path


def test_every_event_type_of_a_timeline_has_its_words() -> None:
    kept = {cls.__name__ for cls in timeline.HANDLERS}
    assert kept == {cls.__name__ for cls in SECTION_2_EVENTS + SIGN_IN_EVENTS}
    assert set(EVENT_TYPES) == kept


def test_no_audit_page_shows_content_or_a_name(app_client: TestClient, clock: FakeClock) -> None:
    service, marks = service_of(app_client), Marks()
    cast = before_erasure(service, clock, marks)
    auditor = service.participants.register_as_operator(
        cast.coordinator.programme_id, "auditor", marks.name("auditor"), marks.email("auditor"), "fr"
    )
    auditor_signs_in(app_client, str(auditor.aggregate_id))
    journal = app_client.get(
        f"/v1/mentorships/{cast.mentorship_id}/journal", headers={"Authorization": f"Bearer {cast.tokens['mentor']}"}
    )
    assert journal.status_code == 200 and marks.run in journal.text  # the markers are there to be leaked
    caught_up(app_client)
    paths = [
        "/audit", "/audit?lang=en", "/audit/mentorships", "/audit/history",
        f"/audit/mentorships/{cast.mentorship_id}", f"/audit/mentorships/{cast.mentorship_id}?lang=en",
        *(f"/audit/participants/{who.id}" for who in (cast.mentor, cast.mentee, cast.coordinator)),
    ]  # fmt: skip
    for path in paths:
        page = get(app_client, path)
        assert page.status_code == 200, path
        assert marks.run not in page.text, path
    timeline_page = get(app_client, f"/audit/mentorships/{cast.mentorship_id}").text
    assert "Ordre du jour soumis" in timeline_page and "Rencontre tenue" in timeline_page
    assert "Journal de bord consulté" in get(app_client, "/audit").text  # the journal read above, by role


def test_pages_replay_no_aggregate(app_client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    auditor_signs_in(app_client, world.auditor_id)
    store = service_of(app_client).store
    loaded: list[Any] = []
    replay = store.repository.get

    def counting(*args: Any, **kwargs: Any) -> Any:
        loaded.append(args)
        return replay(*args, **kwargs)

    monkeypatch.setattr(store.repository, "get", counting)
    for path in ("/audit", "/audit/mentorships", f"/audit/mentorships/{world.mentorship_id}", "/audit/history",
                 f"/audit/participants/{world.mentee_id}"):  # fmt: skip
        assert get(app_client, path).status_code == 200, path
    assert loaded == []


def test_the_history_page_shows_the_last_verification_and_a_tampered_store_as_failed(
    app_client: TestClient, world: World, settings: Settings, clock: FakeClock
) -> None:
    auditor_signs_in(app_client, world.auditor_id)
    never = get(app_client, "/audit/history").text
    assert "n\u2019a jamais été vérifié" in never and "Aucun point de contrôle" in never
    french = Formats("fr", "America/Toronto")
    # `mentorat audit verify` (what the CLI calls): intact, its time and events shown
    first_run = clock() + timedelta(hours=1)
    with opened(settings) as store:
        report = verify_and_record(store, None, first_run)
    assert report.intact and report.head is not None
    page = get(app_client, "/audit/history").text
    assert french.moment(first_run) in page and "Intègre" in page and "Non intègre" not in page
    assert f"<dd>{report.head.position}</dd>" in page and f"<dd>{report.events}</dd>" in page
    # Then someone changes one stored byte: the next verification fails, and the page says so
    raw = Raw(settings)
    try:
        row = raw.rows()[5]
        raw.set(row.position, "state", flipped(row.state, 5, 1))
    finally:
        raw.close()
    second_run = first_run + timedelta(days=1)
    with opened(settings) as store:
        failed = verify_and_record(store, None, second_run)
    assert not failed.intact and failed.failure is not None
    page = get(app_client, "/audit/history").text
    assert french.moment(second_run) in page and french.moment(first_run) not in page
    assert "Non intègre" in page and "un événement a été modifié" in page
    assert f"position {failed.failure.position}" in page and row.aggregate_id in page


def test_the_history_page_shows_the_last_checkpoint(
    app_client: TestClient, world: World, settings: Settings, tmp_path: Any
) -> None:
    from bootstrap.audit import signing_key
    from infrastructure.audit.checkpoint_writer import write_checkpoint
    from infrastructure.audit.signing_key import generate

    auditor_signs_in(app_client, world.auditor_id)
    generate(tmp_path / "key.pem")
    key = signing_key(settings.model_copy(update={"audit_key_file": tmp_path / "key.pem"}))
    moment = service_of(app_client).ports.clock()
    with opened(settings) as store:
        written = write_checkpoint(store, key, tmp_path / "checkpoints" / "one.jsonl", moment)
    page = get(app_client, "/audit/history").text
    assert Formats("fr", "America/Toronto").moment(moment) in page
    assert f"<dd>{written.head}</dd>" in page and "Événements signés" in page


def test_the_roles_the_table_leaves_out_are_refused(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world.coordinator, world.mentor_id)
    caught_up(app_client)
    for path in ("/audit", "/audit/mentorships", f"/audit/mentorships/{world.mentorship_id}", "/audit/history",
                 f"/audit/participants/{world.mentor_id}"):  # fmt: skip
        assert get(app_client, path).status_code == 403, path
    # A coordinator looks across the programme (the table lets them), but neither the log nor the history's state
    sign_in(app_client, world.coordinator, world.coordinator_id)
    assert get(app_client, "/audit/history").status_code == 403
    overview = get(app_client, "/audit")
    assert overview.status_code == 200 and "Journal des accès" not in overview.text
    assert get(app_client, f"/audit/mentorships/{world.mentorship_id}").status_code == 200
    assert get(app_client, "/audit/mentorships").status_code == 200


def test_the_cli_verify_keeps_its_outcome_for_the_page(
    app_client: TestClient, world: World, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from cli.main import app as cli
    from tests.integration.test_cli import settings_env

    settings_env(settings, monkeypatch)
    ran = CliRunner().invoke(cli, ["audit", "verify", "--json"])
    assert ran.exit_code == 0, ran.output
    auditor_signs_in(app_client, world.auditor_id)
    page = get(app_client, "/audit/history").text
    assert "Intègre" in page and f"<dd>{json.loads(ran.stdout)['events']}</dd>" in page
