"""Field-level encryption (infrastructure/field_mapper.py, data_keys.py) over an in-memory key table: no I/O.

Every confidential field of MISSION section 3 is sealed under its person's key and bound to its place; a keyless
mapper reads it as a `Sealed` value and never stores a text in clear; a destroyed key leaves a `Sealed` value.
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex

from application.mentorat import DateAsISO
from domain.catalogue import SECTION_2_EVENTS
from domain.mentorship import Mentorship
from domain.participant import Participant
from domain.programme import Programme
from domain.values import Actor
from infrastructure.data_keys import KeyDestroyed, KeyRing, KeyStoreError, MasterKeyError, StoredKey, new_master_key
from infrastructure.field_mapper import CONFIDENTIAL, SEALED_FIELDS, FieldMapper, Sealed, UnsealedField
from tests.support import T0
from tests.unit.builders import (
    COORDINATOR,
    COORDINATOR_ID,
    MENTEE,
    MENTEE_ID,
    MENTOR,
    MENTOR_ID,
    PROGRAMME_ID,
    at,
    new_events,
    signed,
)

MARK = "mark-" + uuid4().hex  # every confidential text of this module starts with it
MASTER = base64.b64decode(new_master_key())


class MemoryKeyTable:
    """A key table in a dict: rows, tombstones and a count of shreds."""

    def __init__(self) -> None:
        self.rows: dict[UUID, StoredKey] = {}

    def find(self, person: UUID) -> StoredKey | None:
        return self.rows.get(person)

    def add(self, person: UUID, wrapped: bytes, master_id: str) -> None:
        self.rows.setdefault(person, StoredKey(wrapped, master_id))

    def any_master_id(self) -> str | None:
        return next((row.master_id for row in self.rows.values() if row.wrapped is not None), None)

    def shred(self, person: UUID) -> None:
        self.rows[person] = StoredKey(None, None)

    def close(self) -> None:
        pass


def mapper(keys: KeyRing | None) -> FieldMapper:
    """The application's transcoder (with its `date` transcoding) under a field mapper."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO()):
        transcoder.register(transcoding)
    return FieldMapper(transcoder, keys=keys)


def confidential_events() -> list[Any]:
    """One event per sealing rule, each confidential text a marker naming its field."""
    person = Participant.register(
        MENTEE_ID, PROGRAMME_ID, "mentee", f"{MARK}-name", f"{MARK}-email@example.org", "en", COORDINATOR, T0
    )
    mentorship, _ = signed()
    mentorship.add_objective(uuid4(), f"{MARK}-text", MENTOR, T0)
    first, second = uuid4(), uuid4()
    mentorship.schedule_meeting(first, at(days=3), MENTOR, T0)
    mentorship.schedule_meeting(second, at(days=-1), MENTOR, T0)
    mentorship.submit_agenda(first, f"{MARK}-agenda", MENTEE, T0)
    mentorship.hold_meeting(second, None, 60, f"{MARK}-notes", None, MENTOR, T0)
    mentorship.cancel_meeting(first, True, f"{MARK}-cancel-note", MENTEE, T0)
    mentorship.report_satisfaction(4, f"{MARK}-comment", MENTEE, T0)
    dispute = uuid4()
    mentorship.raise_dispute(dispute, f"{MARK}-summary", MENTEE, T0)
    mentorship.consult_coordinator("dispute", dispute, "reconciled", f"{MARK}-consult-note", COORDINATOR, T0)
    mentorship.consult_coordinator("early_end", None, "ending_agreed", None, COORDINATOR, T0)
    mentorship.end("other", f"{MARK}-end-note", MENTEE, at(days=1))
    return new_events(person) + new_events(mentorship)


@pytest.fixture
def table() -> MemoryKeyTable:
    return MemoryKeyTable()


@pytest.fixture
def keyed(table: MemoryKeyTable) -> FieldMapper:
    return mapper(KeyRing(table, MASTER))


def test_every_confidential_field_is_sealed_under_its_person_and_opens_with_the_key(keyed: FieldMapper) -> None:
    events = confidential_events()
    sealed_types = {type(e) for e in events if set(SEALED_FIELDS.get(type(e), {})) & vars(e).keys()}
    assert sealed_types == set(SEALED_FIELDS), "the scenario covers every sealing rule"
    for event in events:
        stored = keyed.to_stored_event(event)
        # Then no text is in the stored bytes, and each sealed field names the person whose key seals it
        assert MARK.encode() not in stored.state
        state = json.loads(stored.state)
        for name, owner in SEALED_FIELDS.get(type(event), {}).items():
            if getattr(event, name) is not None:
                assert state[name]["_type_"] == "sealed"
                assert state[name]["_data_"].startswith(getattr(event, owner).hex + ":")
        # And the keyed mapper gives back the same event
        assert vars(keyed.to_domain_event(stored)) == vars(event)


def test_content_is_sealed_under_its_author_and_personal_data_under_its_subject(keyed: FieldMapper) -> None:
    events: dict[type[Any], Any] = {}
    for event in confidential_events():
        events.setdefault(type(event), event)
    owners = {
        Participant.ParticipantRegistered: MENTEE_ID,  # the subject, though the coordinator registered them
        Mentorship.ObjectiveAdded: MENTOR_ID,
        Mentorship.AgendaSubmitted: MENTEE_ID,
        Mentorship.CoordinatorConsulted: COORDINATOR_ID,
    }
    for cls, person in owners.items():
        state = json.loads(keyed.to_stored_event(events[cls]).state)
        sealed = [v for k, v in state.items() if k in CONFIDENTIAL and v is not None]
        assert sealed and all(UUID(hex=value["_data_"].split(":")[0]) == person for value in sealed)


def test_a_ciphertext_moved_to_another_version_aggregate_or_field_does_not_open(keyed: FieldMapper) -> None:
    event = next(e for e in confidential_events() if isinstance(e, Participant.ParticipantRegistered))
    stored = keyed.to_stored_event(event)
    state = json.loads(stored.state)
    moves = {
        "version": replace(stored, originator_version=stored.originator_version + 1),
        "aggregate": replace(stored, originator_id=uuid4()),
        "field": replace(stored, state=json.dumps({**state, "name": state["email"]}).encode()),
    }
    for where, moved in moves.items():
        opened = keyed.to_domain_event(moved)
        assert isinstance(opened.name, Sealed), where  # type: ignore[attr-defined]


def test_a_keyless_mapper_reads_sealed_values_and_never_stores_a_text_in_clear(keyed: FieldMapper) -> None:
    reader = keyed.with_keys(None)
    for event in confidential_events():
        stored = keyed.to_stored_event(event)
        # When the read side decodes it without keys, the process facts are there and every text is sealed
        decoded = reader.to_domain_event(stored)
        assert MARK not in repr(vars(decoded))
        assert decoded.originator_version == event.originator_version
        rules = SEALED_FIELDS.get(type(event), {})
        assert all(isinstance(getattr(decoded, n), Sealed) for n in rules if getattr(event, n) is not None)
        # And a sealed value stores again unchanged, while a text is refused
        assert reader.to_stored_event(decoded).state == stored.state
        if any(getattr(event, n) is not None for n in rules):
            with pytest.raises(UnsealedField):
                reader.to_stored_event(event)


def test_a_confidential_field_without_a_rule_is_refused_and_a_programme_name_stays_in_clear(
    keyed: FieldMapper,
) -> None:
    programme = Programme.launch(PROGRAMME_ID, "Programme Name", Actor.operator(), T0)
    assert b"Programme Name" in keyed.to_stored_event(new_events(programme)[0]).state
    # Given an event no sealing rule knows, carrying a field named like content
    fields: dict[str, Any] = {
        "originator_id": uuid4(), "originator_version": 2, "timestamp": T0, "actor_id": MENTOR_ID,
        "actor_role": "mentor", "occurred_at": T0, "dispute_id": uuid4(),
    }  # fmt: skip
    stray = Mentorship.DisputeSettled(**fields)
    object.__setattr__(stray, "note", f"{MARK}-stray")
    with pytest.raises(UnsealedField):
        keyed.to_stored_event(stray)


def test_a_snapshot_holding_personal_data_is_refused(keyed: FieldMapper) -> None:
    person = Participant.register(MENTEE_ID, PROGRAMME_ID, "mentee", f"{MARK}-name", None, "en", COORDINATOR, T0)
    with pytest.raises(UnsealedField):
        keyed.to_stored_event(Snapshot.take(person))
    programme = Programme.launch(PROGRAMME_ID, "Programme Name", Actor.operator(), T0)
    assert b"Programme Name" in keyed.to_stored_event(Snapshot.take(programme)).state


def test_a_destroyed_key_leaves_sealed_values_and_seals_nothing_new(table: MemoryKeyTable) -> None:
    keys = KeyRing(table, MASTER)
    keyed = mapper(keys)
    events = confidential_events()
    stored = [keyed.to_stored_event(e) for e in events]
    # When the mentee's key is destroyed
    keys.destroy(MENTEE_ID)
    decoded = [keyed.to_domain_event(s) for s in stored]
    # Then their texts and personal data stay sealed, everyone else's open
    for event in decoded:
        for name, owner in SEALED_FIELDS.get(type(event), {}).items():
            value = getattr(event, name)
            if getattr(event, owner) == MENTEE_ID and value is not None:
                assert isinstance(value, Sealed) and value.person == MENTEE_ID
            elif value is not None:
                assert isinstance(value, str) and value.startswith(MARK)
    # And nothing new is ever sealed for them
    with pytest.raises(KeyDestroyed):
        keyed.to_stored_event(events[0])


def test_a_wrong_master_key_is_refused_and_a_wrapped_key_moved_to_another_person_does_not_unwrap(
    table: MemoryKeyTable,
) -> None:
    keys = KeyRing(table, MASTER)
    mentor_key, mentee_key = keys.sealer(MENTOR_ID), keys.sealer(MENTEE_ID)
    assert mentor_key is not mentee_key
    with pytest.raises(MasterKeyError):
        KeyRing(table, base64.b64decode(new_master_key()))
    table.rows[MENTEE_ID] = table.rows[MENTOR_ID]
    with pytest.raises(KeyStoreError):
        KeyRing(table, MASTER).opener(MENTEE_ID)


def test_data_keys_are_random_and_cached_for_the_ttl_only(table: MemoryKeyTable, monkeypatch: Any) -> None:
    clock = [1000.0]
    monkeypatch.setattr("infrastructure.data_keys.time.monotonic", lambda: clock[0])
    here, elsewhere = KeyRing(table, MASTER, ttl=60), KeyRing(table, MASTER, ttl=60)
    nonce, ad = b"\0" * 12, b"place"
    sealed = here.sealer(MENTEE_ID).encrypt(nonce, b"text", ad)
    assert here.sealer(MENTOR_ID).encrypt(nonce, b"text", ad) != sealed  # another person, another random key
    assert elsewhere.opener(MENTEE_ID) is not None  # another process has it in memory now
    # When this process erases the person, the other keeps the key until its cache entry expires
    here.destroy(MENTEE_ID)
    assert here.opener(MENTEE_ID) is None
    assert elsewhere.opener(MENTEE_ID) is not None
    clock[0] += 61
    assert elsewhere.opener(MENTEE_ID) is None
    # And with no cache, a destroyed key is gone at once
    uncached = KeyRing(table, MASTER, ttl=0)
    assert uncached.opener(MENTOR_ID) is not None
    here.destroy(MENTOR_ID)
    assert uncached.opener(MENTOR_ID) is None


def test_section_3_fields_are_all_sealed_wherever_an_event_carries_them() -> None:
    carried = {
        (cls, name)
        for cls in SECTION_2_EVENTS
        for name in CONFIDENTIAL & set(cls.__dataclass_fields__)
        if cls is not Programme.ProgrammeLaunched
    }
    ruled = {(cls, name) for cls, rules in SEALED_FIELDS.items() for name in rules}
    assert carried == ruled
