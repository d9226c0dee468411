"""The coordinator's worklist with the pair's names and a link to each mentorship, on both stores; who sees names."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from application.authorization import Caller
from application.web_sessions import Session
from bootstrap.read_side import NAMES
from domain.access_record import AccessAction
from tests.api.conftest import World, service_of
from tests.web.conftest import sign_in
from web.people import names


def names_for(client: TestClient, caller: Caller, ids: list[str]) -> dict[str, str]:
    """`web.people.names` as a page of that caller calls it."""
    request: Any = SimpleNamespace(app=client.app)
    return asyncio.run(names(request, Session(caller, "csrf", "fr"), ids))


def personal_data_reads(client: TestClient) -> int:
    """How many personal-data reads the store holds."""
    recorder = service_of(client).store.recorder
    found = recorder.select_notifications(1, 100_000)
    wanted = AccessAction.PERSONAL_DATA_READ.value
    return sum(1 for n in found if n.topic.endswith("AccessRecorded") and wanted in str(n.state))


def caught_up(client: TestClient) -> None:
    """Wait for the read models to reach the store."""
    read_side = client.app.state.read_side  # type: ignore[attr-defined]
    assert read_side.wait_for(service_of(client).store.position(), NAMES, 20.0), "the read models lag"


def test_the_worklist_names_the_pair_and_links_to_the_mentorship(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world.coordinator, world.coordinator_id)
    caught_up(app_client)
    page = app_client.get("/worklist")
    assert page.status_code == 200, page.text
    assert f'href="/programme/mentorships/{world.mentorship_id}"' in page.text
    assert "<td>Mentor</td>" in page.text and "<td>Mentee</td>" in page.text
    assert "Ouvrir le mentorat de Mentor et Mentee" in page.text
    assert "Un différend est ouvert" in page.text  # the reason in words


def test_a_mentor_gets_403_on_the_worklist_and_no_name(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world.coordinator, world.mentor_id)
    page = app_client.get("/worklist")
    assert page.status_code == 403
    assert "Mentee" not in page.text and world.mentorship_id not in page.text


def test_only_the_person_and_the_coordinators_see_names_and_a_coordinators_read_is_recorded(
    app_client: TestClient, world: World
) -> None:
    pid = UUID(world.programme_id)
    pair = [world.mentor_id, world.mentee_id]
    # A mentor sees their own name only, an auditor nothing of the pair
    assert names_for(app_client, Caller(UUID(world.mentor_id), "mentor", pid), pair) == {world.mentor_id: "Mentor"}
    assert names_for(app_client, Caller(UUID(world.auditor_id), "auditor", pid), pair) == {}
    # Another programme's coordinator sees none of them
    other = Caller(UUID(world.coordinator_id), "coordinator", UUID(world.other_programme_id))
    assert names_for(app_client, other, pair) == {}
    # The programme's coordinator sees both, and the read is in the access log
    coordinator = Caller(UUID(world.coordinator_id), "coordinator", pid)
    assert names_for(app_client, coordinator, pair) == {world.mentor_id: "Mentor", world.mentee_id: "Mentee"}
    assert personal_data_reads(app_client) >= 2
