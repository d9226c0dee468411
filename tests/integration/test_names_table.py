"""The sealed names table, on both stores: written with the participant's events, sealed under their own key.

A page reads names in one query and opens them with the keys; erasure writes the row without a name in its own
transaction and destroys the key (`[erased]`); a store older than the table gets it once, from a process with keys;
no name is ever in the table in clear.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from application.access_index import NamesIndex
from application.mentorat import Mentorat
from application.names import read_names
from application.service import MentoratService
from bootstrap.service import build_service
from bootstrap.settings import Settings
from domain.participant import ERASED_NAME, Participant
from tests.integration.confidential import Marks
from tests.integration.tampering import Raw
from tests.integration.test_stored_fixture import PROGRAMME_ID, TODAY, copied
from tests.support import FakeClock, ports


def names_index(store: Mentorat) -> NamesIndex:
    index = store.recorder
    assert isinstance(index, NamesIndex)
    return index


def raw_names(settings: Settings, statement: str = "SELECT * FROM {t}") -> list[Any]:
    """The names table as the database holds it."""
    raw = Raw(settings)
    prefix = raw.events.rpartition(".")[0] + "." if settings.uses_postgres else ""
    try:
        return raw.run(statement.format(t=f"{prefix}mentorat_names", s=f"{prefix}mentorat_index_state"))
    finally:
        raw.close()


def cells(rows: list[Any]) -> bytes:
    return b"\n".join(
        bytes(cell) if isinstance(cell, bytes | memoryview) else str(cell).encode() for row in rows for cell in row
    )


def people(service: MentoratService, marks: Marks) -> tuple[UUID, dict[str, UUID]]:
    launched = service.participants.create_programme("Programme", "Coordinator", None)
    pid = UUID(launched["programme_id"])
    ids = {
        who: service.participants.register_as_operator(pid, role, marks.name(who), marks.email(who), "fr").aggregate_id
        for who, role in (("mentor", "mentor"), ("mentee", "mentee"))
    }
    return pid, ids


def test_names_come_back_sealed_in_the_table_and_only_for_their_programme(
    settings: Settings, service: MentoratService
) -> None:
    marks = Marks()
    pid, ids = people(service, marks)
    other = UUID(service.participants.create_programme("Other", "Someone", None)["programme_id"])
    # When the page's ids are read, Then each name comes back, in one query
    assert read_names(service.store, pid, list(ids.values())) == {ids[w]: marks.name(w) for w in ids}
    # And none for another programme
    assert read_names(service.store, other, list(ids.values())) == {}
    # And the table holds no name in clear
    rows = raw_names(settings)
    assert len(rows) >= 2
    assert marks.run.encode() not in cells(rows)


def test_erasure_writes_the_row_without_a_name_and_the_name_reads_erased(
    settings: Settings, service: MentoratService
) -> None:
    marks = Marks()
    pid, ids = people(service, marks)
    service.participants.erase(ids["mentee"])
    found = read_names(service.store, pid, list(ids.values()))
    assert found == {ids["mentor"]: marks.name("mentor"), ids["mentee"]: ERASED_NAME}
    [row] = names_index(service.store).name_rows(pid, [ids["mentee"]])
    assert row.sealed_name is None
    assert marks.of("mentee").encode() not in cells(raw_names(settings))


def test_a_row_whose_key_is_gone_reads_erased(settings: Settings, service: MentoratService) -> None:
    marks = Marks()
    pid, ids = people(service, marks)
    service.store.forget(ids["mentor"])  # the key destroyed before the erasure is recorded (an interrupted erasure)
    assert read_names(service.store, pid, [ids["mentor"]]) == {ids["mentor"]: ERASED_NAME}


def test_a_store_older_than_the_names_table_gets_it_once_from_a_process_with_keys(
    settings: Settings, service: MentoratService, clock: FakeClock
) -> None:
    marks = Marks()
    pid, ids = people(service, marks)
    service.participants.erase(ids["mentee"])
    raw_names(settings, "DELETE FROM {t}")
    raw_names(settings, "DELETE FROM {s} WHERE name = 'names'")
    assert read_names(service.store, pid, list(ids.values())) == {}
    keyless = build_service(settings, ports(clock), with_keys=False)
    try:
        assert not names_index(keyless.store).names_built()
    finally:
        keyless.close()
    again = build_service(settings, ports(clock))
    try:
        assert names_index(again.store).names_built()
        assert read_names(again.store, pid, list(ids.values())) == {ids["mentor"]: marks.name("mentor"),
                                                                     ids["mentee"]: ERASED_NAME}  # fmt: skip
    finally:
        again.close()
    assert marks.run.encode() not in cells(raw_names(settings))


def test_the_fixture_store_gets_its_names_table(tmp_path: Path) -> None:
    settings = copied(tmp_path)
    service = build_service(settings, ports(FakeClock(TODAY)))
    try:
        assert names_index(service.store).names_built()
        topics = [get_topic(Participant.ParticipantRegistered)]
        registered = service.store.recorder.select_notifications(1, 1000, topics=topics)
        everyone = [service.participants.get(UUID(str(n.originator_id))) for n in registered]
        mine = [p for p in everyone if str(p.programme_id) == PROGRAMME_ID]
        expected = {p.id: p.name if isinstance(p.name, str) and not p.erased else ERASED_NAME for p in mine}
        assert mine and read_names(service.store, UUID(PROGRAMME_ID), [p.id for p in mine]) == expected
    finally:
        service.close()
