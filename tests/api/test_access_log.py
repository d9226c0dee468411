"""The programme's access log (MISSION section 5; issue 5, item 4), on both stores.

Journal reads and personal-data reads are events of their own (`AccessRecord`, one per access); invitations,
redemptions and deactivations are the participant's events. The programme's auditor reads them all, oldest first:
the action, who (id and role), the subject and when; never what was read, never a name or an e-mail.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.problems import INTERNAL_DETAIL
from application.service import MentoratService
from bootstrap.read_side import ReadSide
from bootstrap.service import build_service
from bootstrap.settings import Settings
from bootstrap.store_env import SQLITE_FILE
from cli.main import app as cli
from projections.access_log import ENTRIES, PROGRAMME_OF
from tests.api.conftest import PROBLEM_JSON, START, World, bearer, build_world, created, enrol, service_of
from tests.conftest import postgres_url
from tests.integration.test_cli import settings_env
from tests.support import FakeClock, ports

Entry = tuple[str, str | None, str, str, datetime]  # action, actor id, actor role, subject id, at
ACCESS_TOPIC = "domain.access:AccessRecord.AccessRecorded"

INTERNAL_ERROR = {
    "type": "/problems/internal-error",
    "title": "Internal error",
    "status": 500,
    "detail": INTERNAL_DETAIL,
}


@dataclass
class Marks:
    """Unique markers: one in every content text, one in every name and e-mail."""

    content: str = field(default_factory=lambda: "cf" + uuid.uuid4().hex)
    personal: str = field(default_factory=lambda: "pd" + uuid.uuid4().hex)

    def found_in(self, text: str) -> list[str]:
        return [marker for marker in (self.content, self.personal) if marker in text]


def position(client: TestClient) -> int:
    return int(service_of(client).store.position())


def access_log(client: TestClient, programme_id: str, auditor: dict[str, str], limit: int = 100) -> list[Any]:
    """Every page of the programme's access log, once it includes everything stored: the pages' items."""
    pages, params = [], {"limit": limit, "after": position(client)}
    while True:
        response = client.get(f"/v1/programmes/{programme_id}/access-log", params=params, headers=auditor)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"items", "next_cursor"}
        assert len(body["items"]) <= limit
        pages.append(body["items"])
        if body["next_cursor"] is None:
            return pages
        assert len(body["items"]) == limit, "a short page with a next_cursor"
        assert len(pages) <= 200, "the cursor does not move"
        params = {"limit": limit, "cursor": body["next_cursor"]}


def entries(items: list[dict[str, Any]]) -> list[Entry]:
    """The items as comparable tuples, times parsed."""
    assert all(set(item) == {"action", "actor_id", "actor_role", "subject_id", "at"} for item in items), items
    return [
        (item["action"], item["actor_id"], item["actor_role"], item["subject_id"], datetime.fromisoformat(item["at"]))
        for item in items
    ]


def everything(client: TestClient, programme_id: str, auditor: dict[str, str]) -> list[Entry]:
    return entries([item for page in access_log(client, programme_id, auditor) for item in page])


# -- a programme whose every kind of access is known ---------------------------------------------------------------


@dataclass
class Scene:
    """A programme lived through the API, and the access log it must have, built by hand as it went."""

    programme_id: str
    ids: dict[str, str]
    tokens: dict[str, dict[str, str]]
    mentorship_id: str
    expected: list[Entry]


def live(client: TestClient, clock: FakeClock, marks: Marks) -> Scene:
    """Every kind of access once or more, each at a time of its own, and reads that are not recorded."""
    service = service_of(client)
    expected: list[Entry] = []
    # The operator launches the programme: the coordinator's invitation is issued and redeemed by `operator`
    launched = service.participants.create_programme(
        "Programme", f"{marks.personal}Coordinator", f"{marks.personal}@example.org"
    )
    service.participants.create_programme("Other programme", f"{marks.personal}Other", None)  # not in this log
    pid, coordinator_id = launched["programme_id"], launched["coordinator_id"]
    coordinator = bearer(launched["coordinator_token"])
    expected += [
        ("invitation_issued", None, "operator", coordinator_id, clock()),
        ("invitation_redeemed", None, "operator", coordinator_id, clock()),
    ]
    ids, tokens = {"coordinator": coordinator_id}, {"coordinator": coordinator}
    # The operator invites the auditor, the coordinator three people; each redeems their own code (names and
    # e-mails are markers)
    for who, role in (("auditor", "auditor"), ("mentor", "mentor"), ("mentee", "mentee"), ("leaver", "mentee")):
        at = clock.advance(minutes=1)
        ids[who], token = enrol(client, coordinator, pid, role, f"{marks.personal}{who}")
        tokens[who] = bearer(token)
        inviter = (None, "operator") if role == "auditor" else (coordinator_id, "coordinator")
        expected += [
            ("invitation_issued", *inviter, ids[who], at),
            ("invitation_redeemed", ids[who], role, ids[who], at),
        ]
    # A signed mentorship with a confidential objective: commands, not accesses
    clock.advance(minutes=1)
    body = {"mentor_id": ids["mentor"], "mentee_id": ids["mentee"], "starts_on": START}
    mid = created(client.post(f"/v1/programmes/{pid}/mentorships", json=body, headers=coordinator))["id"]
    m = f"/v1/mentorships/{mid}"
    created(client.post(f"{m}/objectives", json={"text": f"{marks.content} objective"}, headers=tokens["mentor"]))
    for party in ("mentor", "mentee"):
        created(client.post(f"{m}/signatures", headers=tokens[party]))
    # Each party reads the journal, which carries the objective's text
    for party in ("mentor", "mentee"):
        at = clock.advance(minutes=1)
        journal = client.get(f"{m}/journal", headers=tokens[party])
        assert journal.status_code == 200 and marks.content in journal.text, journal.text
        expected.append(("journal_read", ids[party], party, mid, at))
    # The coordinator reads the participants in two pages: one personal-data read per participant listed
    at = clock.advance(minutes=1)
    first = client.get(f"/v1/programmes/{pid}/participants?limit=3&after={position(client)}", headers=coordinator)
    assert first.status_code == 200 and marks.personal in first.text, first.text
    expected += [("personal_data_read", coordinator_id, "coordinator", ids[who], at) for who in list(ids)[:3]]
    at = clock.advance(minutes=1)
    cursor = first.json()["next_cursor"]
    second = client.get(f"/v1/programmes/{pid}/participants?limit=3&cursor={cursor}", headers=coordinator)
    assert [item["id"] for item in second.json()["items"]] == [ids["mentee"], ids["leaver"]], second.text
    expected += [("personal_data_read", coordinator_id, "coordinator", ids[who], at) for who in ("mentee", "leaver")]
    # Reads that are not accesses to a journal or to another's data: one's own identity, summaries, histories
    clock.advance(minutes=1)
    after = position(client)
    for who in ("mentor", "mentee", "coordinator", "auditor"):
        assert client.get("/v1/me", headers=tokens[who]).status_code == 200
        assert client.get(f"{m}?after={after}", headers=tokens[who]).status_code == 200
        assert client.get(f"{m}/history?after={after}", headers=tokens[who]).status_code == 200
    assert client.get(f"/v1/programmes/{pid}/report?after={after}", headers=tokens["auditor"]).status_code == 200
    assert position(client) == after, "a read that is no access was recorded"
    # The coordinator deactivates a participant
    at = clock.advance(minutes=1)
    created(client.post(f"/v1/participants/{ids['leaver']}/deactivation", headers=coordinator))
    expected.append(("participant_deactivated", coordinator_id, "coordinator", ids["leaver"], at))
    return Scene(pid, ids, tokens, mid, expected)


def stored_access_records(service: MentoratService) -> list[str]:
    """The stored state of every access record, as the event store holds it."""
    notifications = service.store.recorder.select_notifications(0, 1_000_000)
    return [n.state.decode("utf-8", "replace") for n in notifications if n.topic == ACCESS_TOPIC]


def table_rows(read_side: ReadSide) -> dict[str, list[str]]:
    """Every row of the access log's tables, sorted."""
    view = read_side.view("access")
    return {
        table.name: sorted(json.dumps(row, sort_keys=True) for row in view.query(f"SELECT * FROM {table.name}"))
        for table in (PROGRAMME_OF, ENTRIES)
    }


def test_each_access_appears_once_with_its_actor_role_subject_and_time_and_nothing_read(
    app_client: TestClient, clock: FakeClock
) -> None:
    marks = Marks()
    scene = live(app_client, clock, marks)
    # Then the auditor reads exactly the accesses, oldest first, with who, which role, which subject and when
    response = app_client.get(
        f"/v1/programmes/{scene.programme_id}/access-log?after={position(app_client)}", headers=scene.tokens["auditor"]
    )
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    assert entries(response.json()["items"]) == scene.expected
    # And neither the answer, nor the read model's rows, nor the stored access records hold a name, e-mail or text
    assert not marks.found_in(response.text), response.text
    service = service_of(app_client)
    assert isinstance(app_client.app, FastAPI)
    read_side: ReadSide = app_client.app.state.read_side
    assert not marks.found_in(json.dumps(table_rows(read_side)))
    records = stored_access_records(service)
    assert len(records) == 7  # two journal reads, five participants read
    assert not [record for record in records if marks.found_in(record)]
    # And the other programme's log holds only its own coordinator's credentials
    other = service.participants.create_programme("Third", "Coordinator", None)
    auditor_id, auditor = enrol(app_client, bearer(other["coordinator_token"]), other["programme_id"], "auditor", "A")
    assert [entry[3] for entry in everything(app_client, other["programme_id"], bearer(auditor))] == [
        other["coordinator_id"], other["coordinator_id"], auditor_id, auditor_id,
    ]  # fmt: skip


def test_refused_reads_record_nothing(app_client: TestClient, world: World) -> None:
    journal = f"/v1/mentorships/{world.mentorship_id}/journal"
    participants = f"/v1/programmes/{world.programme_id}/participants"
    refusals: list[tuple[str, dict[str, str], int]] = [
        (journal, {}, 401),
        (journal, bearer("not-a-token-" + "x" * 32), 401),
        (journal, world.coordinator, 403),
        (journal, world.auditor, 403),
        (journal, world.other_mentor, 404),  # the mentor of another pair
        (journal, world.other_coordinator, 404),
        (participants, {}, 401),
        (participants, world.mentor, 403),
        (participants, world.auditor, 403),
        (participants, world.other_coordinator, 404),
    ]
    before = position(app_client)
    for path, headers, status in refusals:
        response = app_client.get(path, headers=headers)
        assert (response.status_code, response.headers["content-type"]) == (status, PROBLEM_JSON), (path, status)
    # And a page that lists nobody reads no one's data
    past_the_end = base64.urlsafe_b64encode(b"1000000000000").decode()
    empty = app_client.get(f"{participants}?cursor={past_the_end}", headers=world.coordinator)
    assert empty.json() == {"items": [], "next_cursor": None}
    assert position(app_client) == before
    # While an accepted read of each is recorded (the same calls are not refused by accident)
    assert app_client.get(journal, headers=world.mentee).status_code == 200
    listed = app_client.get(f"{participants}?limit=1&after={position(app_client)}", headers=world.coordinator)
    assert len(listed.json()["items"]) == 1
    actions = [entry[0] for entry in everything(app_client, world.programme_id, world.auditor)]
    assert actions[-2:] == ["journal_read", "personal_data_read"]
    assert actions.count("journal_read") == actions.count("personal_data_read") == 1


def test_paging_walks_every_entry_once_in_order(app_client: TestClient, world: World, clock: FakeClock) -> None:
    # Given more accesses: the parties read their journal at distinct times (ten minutes apart, each recorded)
    for _ in range(10):
        clock.advance(minutes=10)
        assert app_client.get(f"/v1/mentorships/{world.mentorship_id}/journal", headers=world.mentor).status_code == 200
    whole = everything(app_client, world.programme_id, world.auditor)
    assert len(whole) == 22  # six people's invitations and redemptions, ten journal reads
    default = app_client.get(f"/v1/programmes/{world.programme_id}/access-log", headers=world.auditor).json()
    assert entries(default["items"]) == whole and default["next_cursor"] is None  # default limit 50: one page
    assert [entry[4] for entry in whole] == sorted(entry[4] for entry in whole), "oldest first"
    # When it is walked page by page, Then every entry comes once, in order, in full pages
    for limit in (1, 2, 3, 7, 11, len(whole)):  # 22 entries: 11 divides them, an empty last page follows
        pages = access_log(app_client, world.programme_id, world.auditor, limit)
        assert [entry for page in pages for entry in entries(page)] == whole, limit
        assert all(len(page) == limit for page in pages[:-1])
    # And a cursor names a place: an access recorded after the page was read shows on the next page
    path = f"/v1/programmes/{world.programme_id}/access-log"
    first = app_client.get(f"{path}?limit={len(whole)}", headers=world.auditor).json()
    clock.advance(minutes=1)
    assert app_client.get(f"/v1/mentorships/{world.mentorship_id}/journal", headers=world.mentee).status_code == 200
    rest = app_client.get(
        f"{path}?limit=5&cursor={first['next_cursor']}&after={position(app_client)}", headers=world.auditor
    ).json()
    assert entries(rest["items"]) == [("journal_read", world.mentee_id, "mentee", world.mentorship_id, clock())]


def test_the_access_log_rebuilds_equal(settings: Settings, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    marks = Marks()
    with TestClient(create_app(settings, ports(clock))) as client:
        scene = live(client, clock, marks)
        answered = everything(client, scene.programme_id, scene.tokens["auditor"])
    incremental = rows_now(settings)
    # When the operator runs `mentorat projections rebuild access`
    settings_env(settings, monkeypatch)
    result = CliRunner().invoke(cli, ["projections", "rebuild", "access"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("access: rebuilt through position ")
    # Then its tables are the same, row for row, and the auditor reads the same log
    assert rows_now(settings) == incremental
    assert incremental[ENTRIES.name] and incremental[PROGRAMME_OF.name]
    with TestClient(create_app(settings, ports(clock))) as client:
        assert everything(client, scene.programme_id, scene.tokens["auditor"]) == answered == scene.expected


def rows_now(settings: Settings) -> dict[str, list[str]]:
    """The access log's rows as they are stored now (no catch-up)."""
    service = build_service(settings)
    read_side = ReadSide(service.store, settings)
    try:
        return table_rows(read_side)
    finally:
        read_side.close()
        service.close()


# -- an access that cannot be recorded is not served --------------------------------------------------------------


@contextmanager
def store_refusing_writes(client: TestClient, settings: Settings) -> Iterator[None]:
    """A trigger of the database refuses every insert into the event store, until removed."""
    table = str(vars(service_of(client).store.recorder)["events_table_name"]).rpartition(".")[2]
    if settings.database_url:
        schema = settings.database_schema
        with psycopg.connect(postgres_url(), autocommit=True) as conn:
            conn.execute(
                f"CREATE FUNCTION {schema}.refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"
            )
            conn.execute(
                f"CREATE TRIGGER refuse BEFORE INSERT ON {schema}.{table}"
                f" FOR EACH ROW EXECUTE FUNCTION {schema}.refuse()"
            )
        try:
            yield
        finally:
            with psycopg.connect(postgres_url(), autocommit=True) as conn:
                conn.execute(f"DROP TRIGGER refuse ON {schema}.{table}")
        return
    with closing(sqlite3.connect(settings.data_dir / SQLITE_FILE, isolation_level=None)) as conn:
        conn.execute(f"CREATE TRIGGER refuse BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'refused'); END")
        try:
            yield
        finally:
            conn.execute("DROP TRIGGER refuse")


def test_a_read_whose_access_cannot_be_recorded_fails_and_serves_nothing(
    app_client: TestClient, settings: Settings, clock: FakeClock
) -> None:
    marks = Marks()
    scene = live(app_client, clock, marks)
    journal = f"/v1/mentorships/{scene.mentorship_id}/journal"
    coordinator, mentor = scene.tokens["coordinator"], scene.tokens["mentor"]
    logged = everything(app_client, scene.programme_id, scene.tokens["auditor"])
    before = position(app_client)
    participants = f"/v1/programmes/{scene.programme_id}/participants?after={before}"  # a page of five people
    clock.advance(minutes=10)  # past the reads the scene recorded: these would be recorded again
    # When the store refuses to record, Then the journal and the participants are not served: a bare 500
    with store_refusing_writes(app_client, settings):
        for path, headers in ((journal, mentor), (participants, coordinator)):
            refused = app_client.get(path, headers=headers)
            assert refused.status_code == 500, (path, refused.text)
            assert refused.headers["content-type"] == PROBLEM_JSON
            assert refused.json() == INTERNAL_ERROR
        # And the queries that record nothing still answer
        assert app_client.get(f"/v1/mentorships/{scene.mentorship_id}", headers=mentor).status_code == 200
    assert position(app_client) == before
    assert everything(app_client, scene.programme_id, scene.tokens["auditor"]) == logged
    # When the store records again, Then the same reads are served and recorded
    assert marks.content in app_client.get(journal, headers=mentor).text
    actions = [entry[0] for entry in everything(app_client, scene.programme_id, scene.tokens["auditor"])]
    assert actions[len(logged) :] == ["journal_read"]


def test_a_repeated_read_within_ten_minutes_of_the_last_recorded_one_is_not_recorded_again(
    settings: Settings, clock: FakeClock
) -> None:
    """Reads do not flood the history: one record per actor and subject per ten minutes, across processes."""
    with (
        TestClient(create_app(settings, ports(clock))) as client,
        TestClient(create_app(settings, ports(clock))) as other,
    ):
        world = build_world(client, service_of(client))
        service = service_of(client)
        journal = f"/v1/mentorships/{world.mentorship_id}/journal"
        listing = f"/v1/programmes/{world.programme_id}/participants"

        def recorded() -> int:
            return len(stored_access_records(service))

        start = recorded()
        assert client.get(journal, headers=world.mentor).status_code == 200
        assert recorded() == start + 1
        # Read again at once, through another API process over the same store, and 9 minutes later: not recorded
        assert other.get(journal, headers=world.mentor).status_code == 200
        clock.advance(minutes=9, seconds=59)
        assert client.get(journal, headers=world.mentor).status_code == 200
        assert recorded() == start + 1
        # Another actor's read of the same subject is recorded
        assert client.get(journal, headers=world.mentee).status_code == 200
        assert recorded() == start + 2
        # Ten minutes after the last recorded read, it is recorded again
        clock.advance(seconds=1)
        assert client.get(journal, headers=world.mentor).status_code == 200
        assert recorded() == start + 3
        # A personal-data read: one record per participant listed, then none for the same list again
        people = len(client.get(listing, headers=world.coordinator).json()["items"])
        assert recorded() == start + 3 + people
        assert other.get(listing, headers=world.coordinator).status_code == 200
        assert recorded() == start + 3 + people
