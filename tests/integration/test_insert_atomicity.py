"""A failure while chaining (or completing an idempotency record) rolls the events back on both stores.

The library's PostgreSQL recorder catches what its post-insert hook raises and re-raises it only after
its transaction block has exited; our recorder aborts the server's transaction first, so nothing commits.
"""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from eventsourcing.persistence import ProgrammingError

from application.service import MentoratService
from bootstrap.settings import Settings
from infrastructure.audit.sealing import ChainAheadOfEvents
from tests.conftest import postgres_url
from tests.store_tables import table_counts


def event_count(service: MentoratService) -> int:
    """How many events the store holds, read past the application."""
    return len(service.store.recorder.select_notifications(start=1, limit=1_000_000))


def drop_the_last_event_as_a_bad_restore_would(service: MentoratService, settings: Settings) -> None:
    """Delete the newest event row but not its chain entry (and on PostgreSQL wind the sequence back)."""
    table = service.store.recorder.events_table_name  # type: ignore[attr-defined]
    top = service.store.position()
    if settings.uses_postgres:
        schema = settings.database_schema
        with psycopg.connect(postgres_url(), autocommit=True) as conn:
            conn.execute(f'DELETE FROM "{schema}".{table} WHERE notification_id = %s', (top,))
            sequence = conn.execute(
                "SELECT pg_get_serial_sequence(%s, 'notification_id')", (f'"{schema}".{table}',)
            ).fetchone()
            assert sequence is not None
            conn.execute("SELECT setval(%s, %s)", (sequence[0], top - 1))
    else:
        with sqlite3.connect(settings.data_dir / "mentorat.sqlite3") as conn:
            conn.execute(f"DELETE FROM {table} WHERE rowid = ?", (top,))  # the position is the rowid


def test_an_insert_the_chain_refuses_stores_nothing(service: MentoratService, settings: Settings) -> None:
    service.participants.create_programme("Programme", "Coordinator", None)
    drop_the_last_event_as_a_bad_restore_would(service, settings)
    before = event_count(service)
    # SQLite raises the chain's own error; on PostgreSQL the transaction is aborted first (the library's commit
    # would otherwise store the events), so the library reports the aborted transaction as its ProgrammingError
    refusal = ChainAheadOfEvents if settings.database_url is None else ProgrammingError
    with pytest.raises(refusal):
        service.participants.create_programme("Second programme", "Second coordinator", None)
    assert event_count(service) == before


def refuse_inserts(settings: Settings, table: str = "mentorat_outbox") -> None:
    """A trigger that makes every insert into a table fail, as a full disk or a bad migration would."""
    if settings.uses_postgres:
        schema = settings.database_schema
        with psycopg.connect(postgres_url(), autocommit=True) as conn:
            conn.execute(
                f'CREATE OR REPLACE FUNCTION "{schema}".refuse() RETURNS trigger LANGUAGE plpgsql AS '
                "$$ BEGIN RAISE EXCEPTION 'refused'; END $$"
            )
            conn.execute(
                f'CREATE TRIGGER refuse BEFORE INSERT ON "{schema}".{table} '
                f'FOR EACH ROW EXECUTE FUNCTION "{schema}".refuse()'
            )
    else:
        with sqlite3.connect(settings.data_dir / "mentorat.sqlite3") as conn:
            conn.execute(f"CREATE TRIGGER refuse BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'no'); END")


def test_an_invitation_whose_message_cannot_be_written_stores_nothing(
    service: MentoratService, settings: Settings
) -> None:
    """The outbox row is written in the invitation's own transaction: no message, no invitation."""
    launched = service.participants.create_programme("Programme", "Coordinator", "coordinator@example.org")
    coordinator = service.participants.authenticate(launched["coordinator_token"])
    refuse_inserts(settings)
    before = event_count(service)
    with pytest.raises(Exception) as raised:  # the store's own error, whichever the driver raises
        service.participants.invite(coordinator, coordinator.id)
    assert not isinstance(raised.value, AssertionError)
    assert event_count(service) == before
    assert service.store.recorder.pending_messages() == []  # type: ignore[attr-defined]


def test_a_participant_whose_index_row_cannot_be_written_is_not_stored(
    service: MentoratService, settings: Settings
) -> None:
    """The access index is written in the events' own transaction: no row, no events (and no row either)."""
    launched = service.participants.create_programme("Programme", "Coordinator", None)
    coordinator = service.participants.authenticate(launched["coordinator_token"])
    refuse_inserts(settings, "mentorat_people")
    before, people = event_count(service), table_counts(settings)
    with pytest.raises(Exception) as raised:  # the store's own error, whichever the driver raises
        service.participants.register(coordinator, coordinator.programme_id, "mentor", "M", "m@example.org", "fr")
    assert not isinstance(raised.value, AssertionError)
    after = table_counts(settings)
    # the new person's data key was created before the insert (the mapper seals their name under it): an orphan
    # key of nobody, which the failed insert leaves (a refused *request* creates none: tests/api/test_bad_input.py)
    keys = {name for name in after if name.endswith("data_keys")}
    assert event_count(service) == before
    assert {k: v for k, v in after.items() if k not in keys} == {k: v for k, v in people.items() if k not in keys}
