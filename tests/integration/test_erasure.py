"""Erasure mid-history (MISSION section 5: `mentorat participant erase ID`), on both stores.

A mentee writes every kind of text, the operator erases them from the command line (another process, as far as
the running API's key cache knows), and the mentor and the coordinator carry on. Then: the mentee's name reads
`[erased]` and their e-mail null, their texts are null for everyone, the reports keep their counts, the aggregates
load and the read models rebuild, the erasure event holds no personal data, and a full dump of the store and its
key store, plus the master key, recovers every other person's texts but nothing of the mentee's.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from glob import glob
from typing import Any
from uuid import UUID

import psycopg
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from application.service import MentoratService
from bootstrap.read_side import NAMES, ReadSide
from bootstrap.service import build_service
from bootstrap.settings import Settings
from bootstrap.store_env import KEYS_FILE, key_schema
from cli import main as cli
from domain.participant import ERASED_NAME, Participant
from domain.values import Actor
from infrastructure.data_keys import decode_master_key
from infrastructure.field_mapper import Sealed
from tests.integration.confidential import Cast, Marks, after_erasure, before_erasure, corpus, recover
from tests.integration.test_cli import settings_env
from tests.integration.test_projections import dump
from tests.support import FakeClock, ports


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def texts(journal: dict[str, Any]) -> list[str | None]:
    """Every text of a journal, null ones included."""
    found = [o["text"] for o in journal["objectives"]] + [d["summary"] for d in journal["disputes"]]
    found += [m[k] for m in journal["meetings"] for k in ("agenda", "notes") if m["status"] != "scheduled" or m[k]]
    return found + [e["text"] for e in journal["entries"]]


def figures(client: TestClient, cast: Cast, after: int) -> dict[str, Any]:
    """What the coordinator reads of the process once the read models hold `after`: report, summary, timeline."""
    headers, pid, mid = bearer(cast.tokens["coordinator"]), cast.coordinator.programme_id, cast.mentorship_id
    reads = {
        "report": f"/v1/programmes/{pid}/report",
        "summary": f"/v1/mentorships/{mid}",
        "timeline": f"/v1/mentorships/{mid}/history",
    }
    answers = {name: client.get(path, headers=headers, params={"after": after}) for name, path in reads.items()}
    assert all(a.status_code == 200 for a in answers.values()), [a.text for a in answers.values()]
    return {name: answer.json() for name, answer in answers.items()}


def listed(client: TestClient, cast: Cast, after: int) -> dict[str, dict[str, Any]]:
    """The coordinator's participants list, by id, once the directory holds `after`."""
    path, headers = f"/v1/programmes/{cast.coordinator.programme_id}/participants", bearer(cast.tokens["coordinator"])
    answer = client.get(path, headers=headers, params={"after": after})
    assert answer.status_code == 200, answer.text
    return {item["id"]: item for item in answer.json()["items"]}


def wrapped_key(settings: Settings, person: UUID) -> bytes:
    """The person's wrapped data key as the key store holds it."""
    query = "SELECT wrapped FROM {} WHERE person_id = %s"
    if settings.uses_postgres:
        assert settings.database_url
        with psycopg.connect(settings.database_url) as conn:
            row = conn.execute(query.format(f"{key_schema(settings)}.data_keys"), (person,)).fetchone()
    else:
        with sqlite3.connect(settings.data_dir / KEYS_FILE) as conn:
            row = conn.execute(query.format("data_keys").replace("%s", "?"), (str(person),)).fetchone()
    assert row is not None and row[0] is not None
    return bytes(row[0])


def master_of(settings: Settings) -> bytes:
    """The master key the tests run with."""
    assert settings.master_key is not None
    return decode_master_key(settings.master_key.get_secret_value())


def pg_dump() -> str:
    """The pg_dump of this server's major version."""
    found = shutil.which("pg_dump") or next(iter(sorted(glob("/usr/lib/postgresql/*/bin/pg_dump"))), None)
    assert found, "pg_dump is needed for the dump tests"
    return found


def full_dump(settings: Settings) -> bytes:
    """Everything a full dump holds: pg_dump of the store's and the key store's schemas, or every embedded file
    (database, WAL and shared memory, key file and its WAL) with a `.dump` of each database."""
    if settings.uses_postgres:
        assert settings.database_url and settings.database_schema
        schemas = (settings.database_schema, key_schema(settings))
        command = [pg_dump(), "--dbname", settings.database_url, *(f"--schema={s}" for s in schemas)]
        return subprocess.run(command, check=True, capture_output=True).stdout
    files = sorted(path for path in settings.data_dir.iterdir() if path.is_file())
    raw = [path.read_bytes() for path in files]
    for path in files:
        if path.suffix == ".sqlite3":
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
                raw.append("\n".join(conn.iterdump()).encode())
    return b"\n".join(raw)


@pytest.fixture
def erased_world(settings: Settings, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The history, the erasure from the command line mid-way, and what was read around it through the API."""
    marks = Marks()
    app = create_app(settings, ports(clock))
    with TestClient(app) as client:
        service: MentoratService = app.state.service
        cast = before_erasure(service, clock, marks)
        mentor, mid, mentee = bearer(cast.tokens["mentor"]), cast.mentorship_id, str(cast.mentee.id)
        seen = {"journal": client.get(f"/v1/mentorships/{mid}/journal", headers=mentor).json()}
        seen["figures"] = figures(client, cast, service.store.position())
        seen["listed"] = listed(client, cast, service.store.position())
        wrapped = wrapped_key(settings, cast.mentee.id)
        # When the operator erases the mentee, from another process's point of view (the API keeps its key cache)
        settings_env(settings, monkeypatch)
        erased = CliRunner().invoke(cli.app, ["participant", "erase", mentee, "--yes"])
        assert erased.exit_code == 0, erased.output
        erased_at = service.store.position()
        seen["journal_after"] = client.get(f"/v1/mentorships/{mid}/journal", headers=mentor).json()
        seen["figures_after"] = figures(client, cast, erased_at)
        seen["listed_after"] = listed(client, cast, erased_at)
        seen["me_after"] = client.get("/v1/me", headers=bearer(cast.tokens["mentee"])).status_code
        seen["own_history"] = client.get(
            f"/v1/participants/{mentee}/history",
            headers=bearer(cast.tokens["coordinator"]),
            params={"after": erased_at},
        ).json()
        # And the mentor and the coordinator carry on
        after_erasure(service, clock, cast, marks)
        seen["journal_later"] = client.get(f"/v1/mentorships/{mid}/journal", headers=mentor).json()
        assert app.state.read_side.wait_for(service.store.position(), NAMES, 20)
        seen["dump_live"] = full_dump(settings)
    seen["dump_at_rest"] = full_dump(settings)
    yield {"marks": marks, "cast": cast, "seen": seen, "wrapped": wrapped, "erased_at": erased_at}


def test_the_erased_person_reads_erased_everywhere_and_their_texts_null_for_everyone(
    erased_world: dict[str, Any],
) -> None:
    marks, cast, seen = erased_world["marks"], erased_world["cast"], erased_world["seen"]
    mentee, mentor, coordinator = marks.of("mentee"), marks.of("mentor"), marks.of("coordinator")
    # Given the mentor read every text before the erasure
    before = texts(seen["journal"])
    assert sum(1 for t in before if t and t.startswith(mentee)) == 5
    assert {t for t in before if t and not t.startswith(mentee)} == {
        marks.text("mentor", "objective"), marks.text("mentor", "notes"), marks.text("mentor", "comment"),
        marks.text("coordinator", "consult"),
    }  # fmt: skip
    # Then the mentee's texts are null, everyone else's unchanged, in the same places
    after = texts(seen["journal_after"])
    assert after == [None if t and t.startswith(mentee) else t for t in before]
    later = {marks.text("mentor", p) for p in ("later-notes", "summary", "end")}
    assert later <= set(texts(seen["journal_later"])) - set(before)
    assert not any(t and t.startswith(mentee) for t in texts(seen["journal_later"]))
    # And their name reads [erased], their e-mail null; the others' are intact
    person = seen["listed_after"][str(cast.mentee.id)]
    assert (person["name"], person["email"], person["active"]) == (ERASED_NAME, None, False)
    assert seen["listed"][str(cast.mentee.id)]["name"] == marks.name("mentee")
    assert {k: v for k, v in seen["listed_after"].items() if k != str(cast.mentee.id)} == {
        k: v for k, v in seen["listed"].items() if k != str(cast.mentee.id)
    }
    assert seen["listed_after"][str(cast.mentor.id)]["name"].startswith(mentor)
    assert seen["listed_after"][str(cast.coordinator.id)]["email"] == marks.email("coordinator")
    assert seen["listed_after"][str(cast.coordinator.id)]["name"].startswith(coordinator)
    # And their token stops working; their own history shows the erasure, as a fact
    assert seen["me_after"] == 401
    assert [item["type"] for item in seen["own_history"]["items"]][-1] == "ParticipantErased"


def test_reports_keep_their_counts(erased_world: dict[str, Any]) -> None:
    seen = erased_world["seen"]
    assert seen["figures_after"] == seen["figures"]
    assert seen["figures"]["report"]["meetings_held"] == 1 and seen["figures"]["report"]["disputes_raised"] == 1


def test_aggregates_load_and_read_models_rebuild_without_keys(settings: Settings, erased_world: dict[str, Any]) -> None:
    cast: Cast = erased_world["cast"]
    # Given a process that starts after the erasure (no key in memory)
    service = build_service(settings)
    try:
        person = service.store.load(Participant, cast.mentee.id)
        assert (person.erased, person.name, person.email) == (True, ERASED_NAME, None)
        events: list[Any] = list(service.store.events.get(cast.mentorship_id))
        by_mentee = [e for e in events if e.actor_id == cast.mentee.id]
        sealed = [v for e in by_mentee for v in vars(e).values() if isinstance(v, Sealed)]
        assert len(sealed) == 5 and {s.person for s in sealed} == {cast.mentee.id}
        assert not any(isinstance(v, Sealed) for e in events if e.actor_id != cast.mentee.id for v in vars(e).values())
        assert texts(service.journal.read(cast.mentorship_id)) == texts(erased_world["seen"]["journal_later"])
        # And the erasure event holds no personal data
        stored = service.store.recorder.select_events(cast.mentee.id)
        (erasure,) = [event for event in stored if event.topic.endswith("ParticipantErased")]
        assert set(json.loads(erasure.state)) <= {"timestamp", "actor_id", "actor_role", "occurred_at"}
    finally:
        service.close()
    # When the read models are rebuilt by a process without keys, they equal what the API's followers maintained
    keyless = build_service(settings, with_keys=False)
    read_side = ReadSide(keyless.store, settings)
    try:
        read_side.catch_up()
        maintained = dump(read_side)
        read_side.rebuild()
        assert dump(read_side) == maintained
    finally:
        read_side.close()
        keyless.close()


def test_a_full_dump_and_the_master_key_recover_nothing_of_the_erased_person(
    settings: Settings, erased_world: dict[str, Any]
) -> None:
    marks, cast = erased_world["marks"], erased_world["cast"]
    master = master_of(settings)
    people = [cast.coordinator.id, cast.mentor.id, cast.mentee.id]
    for moment in ("dump_live", "dump_at_rest"):
        everything = corpus(erased_world["seen"][moment])
        # Given the dump holds the whole history, sealed: no text, name or e-mail in clear
        assert b"ParticipantErased" in everything and b'"_type_":"sealed"' in everything, moment
        assert marks.run.encode() not in everything, moment
        # And not one 16-byte fragment of the erased person's wrapped key, anywhere (deleted bytes are overwritten)
        wrapped = erased_world["wrapped"]
        assert not [i for i in range(len(wrapped) - 15) if wrapped[i : i + 16] in everything], moment
        # When an attacker unwraps every key the dump holds and decrypts every sealed field
        recovered = recover(everything, master, people)
        # Then they read the others' texts, names and e-mails, and nothing of the mentee's
        assert marks.text("mentor", "end") in recovered and marks.name("coordinator") in recovered, moment
        assert not [text for text in recovered if marks.of("mentee") in text], moment


def test_an_interrupted_erasure_is_completed_by_erasing_again(
    settings: Settings, clock: FakeClock, erased_world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    marks, cast = erased_world["marks"], erased_world["cast"]
    # Given the mentor's erasure was recorded but the process stopped before destroying their key
    service = build_service(settings)
    try:
        mentor = service.store.load(Participant, cast.mentor.id)
        mentor.erase(Actor.operator(), clock())
        service.store.execute(mentor)
    finally:
        service.close()
    assert marks.text("mentor", "end") in recover(corpus(full_dump(settings)), master_of(settings), [cast.mentor.id])
    # When the operator erases them again
    settings_env(settings, monkeypatch)
    again = CliRunner().invoke(cli.app, ["participant", "erase", str(cast.mentor.id), "--yes"])
    # Then nothing new is recorded, the command succeeds saying so, and their key is gone
    assert again.exit_code == 0 and "already erased" in again.output
    assert recover(corpus(full_dump(settings)), master_of(settings), [cast.mentor.id]) == set()


def test_the_history_still_verifies(
    settings: Settings, erased_world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_env(settings, monkeypatch)
    verified = CliRunner().invoke(cli.app, ["audit", "verify", "--json"])
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout)["intact"] is True, verified.stdout


def test_a_person_whose_key_is_gone_reads_as_erased_and_nothing_crashes(settings: Settings, clock: FakeClock) -> None:
    marks = Marks()
    app = create_app(settings, ports(clock))
    with TestClient(app) as client:
        service: MentoratService = app.state.service
        cast = before_erasure(service, clock, marks)
        # Given the mentor's key is gone while no erasure was recorded (a key store restored from an old backup)
        service.store.forget(cast.mentor.id)
        position = service.store.position()
        # Then their name reads [erased] and their e-mail null, to them and to their coordinator
        me = client.get("/v1/me", headers=bearer(cast.tokens["mentor"]))
        assert (me.status_code, me.json()["name"]) == (200, ERASED_NAME)
        person = listed(client, cast, position)[str(cast.mentor.id)]
        assert (person["name"], person["email"], person["active"]) == (ERASED_NAME, None, True)
        # And their texts are null in the journal, the others' intact
        journal = client.get(f"/v1/mentorships/{cast.mentorship_id}/journal", headers=bearer(cast.tokens["mentee"]))
        assert journal.status_code == 200, journal.text
        found = texts(journal.json())
        assert not [t for t in found if t and t.startswith(marks.of("mentor"))]
        assert marks.text("mentee", "agenda") in found
