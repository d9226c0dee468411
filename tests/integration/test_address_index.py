"""The blind index of addresses: written with the participant's events, built once for older stores, by keys only."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

from eventsourcing.utils import get_topic

from application.access_index import AddressIndex
from application.mentorat import Mentorat
from application.service import MentoratService
from bootstrap.service import build_service
from bootstrap.settings import Settings
from domain.participant import Participant
from tests.integration.tampering import Raw
from tests.integration.test_stored_fixture import TODAY, copied
from tests.support import FakeClock, ports


def address_index(store: Mentorat) -> AddressIndex:
    """The store's recorder, as the blind index."""
    index = store.recorder
    assert isinstance(index, AddressIndex)
    return index


def wipe_address_index(settings: Settings) -> None:
    """The index as a release before it left the store: no rows, not marked built."""
    raw = Raw(settings)
    prefix = raw.events.rpartition(".")[0] + "." if settings.uses_postgres else ""
    try:
        raw.run(f"DELETE FROM {prefix}mentorat_addresses")
        raw.run(f"DELETE FROM {prefix}mentorat_index_state WHERE name = 'address index'")
    finally:
        raw.close()


def test_a_store_older_than_the_address_index_is_indexed_once_by_a_process_with_keys(
    settings: Settings, service: MentoratService, clock: FakeClock
) -> None:
    people = service.participants
    pid = UUID(people.create_programme("Programme", "Coordinator", None)["programme_id"])
    ids = {
        who: people.register_as_operator(pid, "mentor", who, f"{who}@example.org", "fr").aggregate_id
        for who in ("kept", "erased")
    }
    people.erase(ids["erased"])
    keys = service.store.address_keys
    assert keys is not None
    wipe_address_index(settings)
    assert address_index(service.store).holders_of(keys.key_of("kept@example.org")) == []
    # When a process without keys starts, Then it leaves the index to one with keys
    keyless = build_service(settings, ports(clock), with_keys=False)
    try:
        assert not address_index(keyless.store).address_index_built()
    finally:
        keyless.close()
    # When a process with keys starts, Then the index is built from the events: the erased person is in no row
    again = build_service(settings, ports(clock))
    try:
        index = address_index(again.store)
        assert index.address_index_built()
        assert index.holders_of(keys.key_of(" KEPT@example.org")) == [ids["kept"]]
        erased = index.address_row(ids["erased"])
        assert erased is None or erased.address_key is None
        assert index.holders_of(keys.key_of("erased@example.org")) == []
        assert again.sign_in.request("kept@example.org") == 1
    finally:
        again.close()


def test_the_fixture_store_gets_its_address_index_and_its_people_can_sign_in(tmp_path: Path) -> None:
    settings = copied(tmp_path)
    service = build_service(settings, ports(FakeClock(TODAY)))
    try:
        index = address_index(service.store)
        assert index.address_index_built()
        topics = [get_topic(Participant.ParticipantRegistered)]
        registered = service.store.recorder.select_notifications(1, 1000, topics=topics)
        people = [service.participants.get(UUID(str(n.originator_id))) for n in registered]
        person = next(p for p in people if p.active and isinstance(p.email, str))
        assert isinstance(person.email, str)
        assert service.sign_in.request(person.email) == 1
        pending = service.store.recorder.pending_messages()  # type: ignore[attr-defined]
        assert [m.participant_id for m in pending] == [str(person.id)]
    finally:
        service.close()


def test_one_address_in_two_programmes_gets_a_code_for_each_but_not_for_a_deactivated_one(
    service: MentoratService,
) -> None:
    people = service.participants
    programmes = [UUID(people.create_programme(name, "C", None)["programme_id"]) for name in ("A", "B", "C")]
    ids = [people.register_as_operator(p, "mentee", "Same", "same@example.org", "fr").aggregate_id for p in programmes]
    coordinator = people.authenticate(people.create_programme("D", "C", None)["coordinator_token"])
    left = people.register(coordinator, coordinator.programme_id, "mentee", "Same", "Same@Example.org", "en")
    people.deactivate(coordinator, left.aggregate_id)
    # When the address asks, Then each active participant holding it gets a code of their own, in one commit
    before = service.store.position()
    assert service.sign_in.request("same@example.org") == 3
    pending = service.store.recorder.pending_messages()  # type: ignore[attr-defined]
    assert sorted(m.participant_id for m in pending) == sorted(str(i) for i in ids)
    assert service.store.position() == before + 6  # a credential and a participant event each
