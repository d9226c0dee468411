"""Tamper evidence on both stores: each kind of tampering is detected, naming the exact event.

Given a history written through the application, When someone with write access to the database changes
it, Then `verify` names the first altered, removed or reordered event by aggregate id, version and position
(from its chain entry, or from a signed checkpoint verified with the public key alone).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from application.service import MentoratService
from bootstrap.audit import signing_key
from bootstrap.settings import Settings
from infrastructure.audit.checkpoint_format import CheckpointRefused, Mark
from infrastructure.audit.checkpoint_reader import CheckpointIndex, read_checkpoints
from infrastructure.audit.checkpoint_writer import write_checkpoint
from infrastructure.audit.findings import Report
from infrastructure.audit.sealing import ChainAheadOfEvents, relink_from
from infrastructure.audit.signing_key import generate, load_public_key, public_pem
from infrastructure.audit.store import AuditStore, audit_store
from infrastructure.audit.verify import verify
from tests.integration.tampering import COLUMNS, Raw, Row, flipped, write_history
from tests.support import FakeClock

EXAMPLES = int(os.environ.get("MENTORAT_FUZZ_EXAMPLES", "25"))
CHAIN_COLUMNS = ("originator_id", "originator_version", "hash", "previous_position", "position")


@pytest.fixture
def signer(settings: Settings, tmp_path: Path) -> Settings:
    """The settings with a signing key and a checkpoint directory of the test's own."""
    generate(tmp_path / "signing-key.pem")
    return settings.model_copy(update={"audit_key_file": tmp_path / "signing-key.pem", "checkpoint_dir": tmp_path})


@pytest.fixture
def store(service: MentoratService, clock: FakeClock) -> AuditStore:
    """The chain of a store holding a small history."""
    write_history(service, clock)
    return audit_store(service.store.recorder)


@pytest.fixture
def raw(settings: Settings, store: AuditStore) -> Iterator[Raw]:
    """The tamperer's connection."""
    tamperer = Raw(settings)
    yield tamperer
    tamperer.close()


def checked(store: AuditStore, index: CheckpointIndex | None = None) -> Report:
    """Verify now."""
    return verify(store, index, datetime.now(UTC))


def named(report: Report) -> tuple[str | None, int | None, int]:
    """The (aggregate id, version, position) the report names first."""
    assert report.failure is not None, "the tampering went unnoticed"
    first = report.failure.as_dict()
    return first["aggregate_id"], first["version"], first["position"]


def identity(row: Row) -> tuple[str, int, int]:
    """What the report should name for this (original) event."""
    return row.aggregate_id, row.version, row.position


def checkpoint(signer: Settings, store: AuditStore, name: str) -> CheckpointIndex:
    """Write a full checkpoint; read it back with the public key alone (written apart from the private key)."""
    key, directory = signing_key(signer), signer.checkpoints_path
    path = write_checkpoint(store, key, directory / name, datetime.now(UTC), full=True).path
    public = directory / f"{name}.pub.pem"
    public.write_bytes(public_pem(key.public_key()))
    return read_checkpoints([path], load_public_key(public))


def recompute_chain(store: AuditStore, from_position: int) -> None:
    """The tamperer recomputes every link from a position on, consistently (the chain's hashes are unkeyed)."""
    with store.writing() as cursor:
        relink_from(cursor, store.dialect, from_position)


def test_a_clean_history_verifies(store: AuditStore, raw: Raw) -> None:
    report = checked(store)
    assert report.intact and report.sealed_ranges == []
    assert report.events == len(raw.rows()) > 20
    assert report.head is not None and report.head.position == raw.rows()[-1].position


@given(
    pick=st.integers(0, 10_000), column=st.sampled_from(COLUMNS), index=st.integers(0, 10_000), mask=st.integers(1, 255)
)
@examples(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_one_flipped_byte_in_any_column_names_the_event(
    store: AuditStore, raw: Raw, pick: int, column: str, index: int, mask: int
) -> None:
    rows = raw.rows()
    row = rows[pick % len(rows)]
    original = row.position if column == "position" else getattr(row, "version" if "version" in column else column)
    value = flipped(original, index, mask)
    if column == "position":
        assume(value not in {r.position for r in rows})
    if column == "originator_version":
        assume((row.originator_id, value) not in {(r.originator_id, r.version) for r in rows})
    raw.set(row.position, column, value)
    try:
        assert named(checked(store)) == identity(row)
    finally:
        raw.set(value if column == "position" else row.position, column, original)
    assert checked(store).intact


def chain_entry(raw: Raw, position: int) -> dict[str, Any]:
    """The chain entry at a position, by column."""
    found = raw.run(f"SELECT {', '.join(CHAIN_COLUMNS)} FROM {raw.chain} WHERE position = ?", (position,))
    return dict(zip(CHAIN_COLUMNS, found[0], strict=True))


def set_chain(raw: Raw, position: int, column: str, value: Any) -> None:
    """Overwrite one column of the chain entry at a position."""
    raw.run(f"UPDATE {raw.chain} SET {column} = ? WHERE position = ?", (value, position))


def another_id(raw: Raw) -> Any:
    """A fresh aggregate id, as the store's originator_id column takes it."""
    return uuid4() if raw.postgres else uuid4().hex


@given(
    pick=st.integers(1, 10_000),
    column=st.sampled_from(CHAIN_COLUMNS),
    index=st.integers(0, 10_000),
    mask=st.integers(1, 255),
)
@examples(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_one_flipped_byte_in_any_column_of_a_chain_entry_names_the_event(
    store: AuditStore, raw: Raw, pick: int, column: str, index: int, mask: int
) -> None:
    rows = raw.rows()
    row = rows[1 + pick % (len(rows) - 1)]  # the first entry's previous_position is NULL: nothing to flip
    original = chain_entry(raw, row.position)[column]
    value = flipped(bytes(original) if column == "hash" else original, index, mask)
    if column == "position":
        assume(value not in {r.position for r in rows})
    if column == "originator_id" and not raw.postgres:
        value = flipped(UUID(hex=original), index, mask).hex  # stays 32 hex digits, as the recorder writes it
    set_chain(raw, row.position, column, value)
    try:
        report = checked(store)
        if column == "position":  # the entry moved away from its event: the identity is the event's
            assert named(report)[:2] == identity(row)[:2]
        else:
            assert named(report) == identity(row)
            assert report.failure is not None and report.failure.kind == "altered"
    finally:
        set_chain(raw, value if column == "position" else row.position, column, original)
    assert checked(store).intact


@pytest.mark.parametrize("column", ["originator_id", "originator_version"])
def test_a_chain_entry_given_another_identity_is_named_by_the_event_and_never_signed(
    signer: Settings, store: AuditStore, raw: Raw, column: str
) -> None:
    row = raw.rows()[9]
    set_chain(raw, row.position, column, another_id(raw) if column == "originator_id" else 99)
    report = checked(store)
    assert named(report) == identity(row)
    assert report.failure is not None and report.failure.kind == "altered"
    # A checkpoint recomputes what it signs from the events: it refuses, naming the position, and leaves no file
    with pytest.raises(CheckpointRefused) as refused:
        write_checkpoint(store, signing_key(signer), signer.checkpoints_path / "x.jsonl", datetime.now(UTC), full=True)
    assert refused.value.position == row.position
    assert not (signer.checkpoints_path / "x.jsonl").exists()


def test_a_checkpoint_mark_naming_another_identity_is_caught(signer: Settings, store: AuditStore, raw: Raw) -> None:
    signed = checkpoint(signer, store, "signed.jsonl")
    row = raw.rows()[6]
    at = next(i for i, mark in enumerate(signed.marks) if mark.position == row.position and mark.aggregate_id)
    mark = signed.marks[at]
    signed.marks[at] = Mark(mark.position, str(uuid4()), mark.version, mark.hash)  # same hash, false identity
    assert named(checked(store, signed)) == identity(row)
    signed.marks[at] = Mark(mark.position, mark.aggregate_id, 99, mark.hash)
    assert named(checked(store, signed)) == identity(row)


def test_a_deleted_event_is_named_by_its_chain_entry(store: AuditStore, raw: Raw) -> None:
    row = raw.rows()[7]
    raw.delete_events(row.position)
    report = checked(store)
    assert named(report) == identity(row) and report.failure is not None and report.failure.kind == "removed"


def test_an_event_deleted_with_its_chain_entry_is_named_by_the_checkpoint(
    signer: Settings, store: AuditStore, raw: Raw
) -> None:
    signed = checkpoint(signer, store, "before.jsonl")
    row = raw.rows()[7]
    raw.delete_events(row.position)
    raw.delete_links(at=[row.position])
    # The next chain entry still points back at the position; only the checkpoint knows what was there
    assert named(checked(store)) == (None, None, row.position)
    assert named(checked(store, signed)) == identity(row)


def test_two_events_states_swapped_name_the_first(store: AuditStore, raw: Raw) -> None:
    rows = raw.rows()
    first = rows[5]
    second = next(row for row in rows[12:] if row.state != first.state)
    raw.set(first.position, "state", second.state)
    raw.set(second.position, "state", first.state)
    assert named(checked(store)) == identity(first)


def test_the_tail_truncated_after_a_checkpoint_is_named(
    signer: Settings, service: MentoratService, store: AuditStore, raw: Raw
) -> None:
    signed = checkpoint(signer, store, "signed.jsonl")
    tail = raw.rows()[-3:]
    raw.delete_events(*(row.position for row in tail))
    raw.delete_links(from_position=tail[0].position)
    # New events are recorded after the truncation (SQLite gives them the positions of the deleted rows)
    for number in range(3):
        service.participants.create_programme(f"After {number}", "Coordinator", None)
    if not signer.uses_postgres:
        assert tail[0].position in {row.position for row in raw.rows()}
    assert checked(store).intact  # the chain alone cannot tell: it was truncated and extended consistently
    assert named(checked(store, signed)) == identity(tail[0])


def test_the_whole_chain_recomputed_is_caught_by_the_signed_checkpoint(
    signer: Settings, store: AuditStore, raw: Raw
) -> None:
    signed = checkpoint(signer, store, "signed.jsonl")
    assert signer.audit_key_file is not None
    signer.audit_key_file.unlink()  # verifying needs the public key only
    row = raw.rows()[9]
    raw.set(row.position, "state", flipped(row.state, 3, 0x20))
    recompute_chain(store, row.position)  # the tamperer recomputes every hash from the altered event on
    assert checked(store).intact
    assert named(checked(store, signed)) == identity(row)


def test_gaps_in_positions_are_not_removals(signer: Settings, service: MentoratService, store: AuditStore) -> None:
    raw = Raw(signer)
    try:
        raw.burn_position()  # on PostgreSQL a rolled-back insert leaves a gap
        service.participants.create_programme("After a gap", "Coordinator", None)
        positions = [row.position for row in raw.rows()]
    finally:
        raw.close()
    assert signer.uses_postgres is (positions[-1] - positions[0] + 1 > len(positions))
    signed = checkpoint(signer, store, "gap.jsonl")
    assert checked(store).intact and checked(store, signed).intact


def test_a_tail_removed_without_its_chain_entries_is_named_and_never_overwritten(
    service: MentoratService, store: AuditStore, raw: Raw
) -> None:
    last = raw.rows()[-1]
    raw.delete_events(last.position)
    if raw.postgres:  # new events take new ids: the chain goes on, still naming the removed one
        service.participants.create_programme("After", "Coordinator", None)
    else:  # SQLite would give the next event the removed one's position: the insert is refused instead
        with pytest.raises(ChainAheadOfEvents):
            service.participants.create_programme("After", "Coordinator", None)
    assert named(checked(store)) == identity(last)
