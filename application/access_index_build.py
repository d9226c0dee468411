"""Building the access index once from the events, for a store written before the index existed."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.utils import get_topic

from application.access_index import AccessIndex, AddressIndex, IndexRows, NamesIndex, address_row, index_rows, name_row
from application.mentorat import Mentorat
from domain.credential import Credential
from domain.mentorship import Mentorship
from domain.participant import Participant

INDEXED_TOPICS = (
    get_topic(Credential.CredentialIssued),
    get_topic(Participant.ParticipantRegistered),
    get_topic(Mentorship.ConventionDrafted),
)
BUILD_BATCH = 1000


def build_access_index(store: Mentorat, now: datetime) -> int:
    """Once per store: index every credential and participant its events hold (a store older than the index).

    Runs at start-up under the start-up lock; a store whose index is built (or new) costs one lookup. Answers
    how many aggregates were indexed.
    """
    index = store.recorder
    if not isinstance(index, AccessIndex) or index.index_built():
        return 0
    found, start = 0, 1
    while True:
        batch = store.recorder.select_notifications(start, BUILD_BATCH, topics=INDEXED_TOPICS)
        if not batch:
            break
        aggregates: list[object] = [store.repository.get(UUID(str(n.originator_id))) for n in batch]
        rows = index_rows(aggregates)
        index.write_index(rows)
        found += len(aggregates)
        start = batch[-1].id + 1
    index.mark_index_built(now)
    return found


def build_address_index(store: Mentorat, now: datetime) -> int:
    """Once per store, by a process with keys: the blind index of every participant's address (an older store).

    A store without keys cannot read an address: it leaves the index to the next process with keys. Answers how
    many participants were indexed.
    """
    index, keys = store.recorder, store.address_keys
    if keys is None or not isinstance(index, AddressIndex) or index.address_index_built():
        return 0
    found, start = 0, 1
    topics = [get_topic(Participant.ParticipantRegistered)]
    while True:
        batch = store.recorder.select_notifications(start, BUILD_BATCH, topics=topics)
        if not batch:
            break
        people = [store.load(Participant, UUID(str(n.originator_id))) for n in batch]
        rows = [row for row in (address_row(person, keys) for person in people) if row is not None]
        index.write_index(IndexRows(addresses=tuple(rows)))
        found += len(rows)
        start = batch[-1].id + 1
    index.mark_address_index_built(now)
    return found


def build_names(store: Mentorat, now: datetime) -> int:
    """Once per store, by a process with keys: every participant's sealed name row (an older store).

    A store without keys cannot read a name: it leaves the table to the next process with keys. Answers how many
    participants were written.
    """
    index, seal = store.recorder, store.name_seal
    if seal is None or not isinstance(index, NamesIndex) or index.names_built():
        return 0
    found, start = 0, 1
    topics = [get_topic(Participant.ParticipantRegistered)]
    while True:
        batch = store.recorder.select_notifications(start, BUILD_BATCH, topics=topics)
        if not batch:
            break
        people = [store.load(Participant, UUID(str(n.originator_id))) for n in batch]
        rows = [row for row in (name_row(person, seal) for person in people) if row is not None]
        index.write_index(IndexRows(names=tuple(rows)))
        found += len(rows)
        start = batch[-1].id + 1
    index.mark_names_built(now)
    return found
