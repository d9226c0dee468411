"""`mentorat audit ...` as the operator and the auditor run them, and how the chain meets what it did not write.

Both stores. The CLI is invoked through typer's runner with the process's own settings (environment).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore
from typer.testing import CliRunner

from application.service import MentoratService
from bootstrap.audit import run_periodically, signing_key, tick
from bootstrap.background import Background
from bootstrap.read_side import ReadSide
from bootstrap.service import build_service
from bootstrap.settings import Settings
from bootstrap.store_env import store_env
from cli.main import app
from infrastructure.audit.checkpoint_format import CheckpointRefused
from infrastructure.audit.checkpoint_reader import read_checkpoints
from infrastructure.audit.export import history_lines
from infrastructure.audit.sealing import seal
from infrastructure.audit.signing_key import generate, load_public_key
from infrastructure.audit.store import AuditStore, audit_store
from infrastructure.audit.verify import verify
from infrastructure.postgres import connect_args
from tests.integration.tampering import Raw, flipped, write_history
from tests.integration.test_cli import settings_env
from tests.support import FakeClock

PROCESS_FACTS = {
    "type", "occurred_at", "recorded_at", "actor_id", "actor_role", "version", "position", "aggregate_id",
    "hash", "previous_position",
}  # fmt: skip


@pytest.fixture
def operator(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The CLI's environment: the store under test, a signing key and a checkpoint directory of the test's own."""
    settings_env(settings, monkeypatch)
    if settings.uses_postgres:  # on SQLite the key is generated into the data directory on first use
        generate(tmp_path / "signing-key.pem")
        monkeypatch.setenv("MENTORAT_AUDIT_KEY_FILE", str(tmp_path / "signing-key.pem"))
    monkeypatch.setenv("MENTORAT_CHECKPOINT_DIR", str(tmp_path / "checkpoints"))
    return Settings()


def audit(*args: str) -> Any:
    """Run `mentorat audit ...`."""
    return CliRunner().invoke(app, ["audit", *args])


def one_json(result: Any) -> dict[str, Any]:
    """The command's one JSON object."""
    body: dict[str, Any] = json.loads(result.stdout)
    return body


def test_a_clean_store_verifies_and_a_tampered_one_names_the_event(
    operator: Settings, service: MentoratService, clock: FakeClock
) -> None:
    write_history(service, clock)
    raw = Raw(operator)
    try:
        clean = audit("verify", "--json")
        assert clean.exit_code == 0, clean.output
        assert one_json(clean)["intact"] and one_json(clean)["events"] == len(raw.rows())
        assert audit("verify").stdout.startswith("intact: ")
        # When one byte of one event's state is changed, then verify exits 1 and names that event
        row = raw.rows()[10]
        raw.set(row.position, "state", flipped(row.state, 5, 1))
        tampered = audit("verify", "--json")
    finally:
        raw.close()
    assert tampered.exit_code == 1
    first = one_json(tampered)["first_bad"]
    assert (first["aggregate_id"], first["version"], first["position"]) == (row.aggregate_id, row.version, row.position)


def test_checkpoints_verify_with_the_public_key_alone_and_a_bad_signature_is_refused(
    operator: Settings, service: MentoratService, clock: FakeClock, tmp_path: Path
) -> None:
    write_history(service, clock)
    written = audit("checkpoint", "--json")
    assert written.exit_code == 0, written.output
    path = Path(one_json(written)["path"])
    assert path.parent == operator.checkpoints_path and one_json(written)["events"] > 20
    public = tmp_path / "auditor.pub.pem"
    assert audit("public-key", "--out", str(public)).exit_code == 0
    assert audit("checkpoint", "--out", str(path)).exit_code == 2  # a checkpoint is never overwritten
    private = operator.audit_key_file or operator.data_dir / "audit-signing-key.pem"
    private.unlink()  # the auditor holds only the public key
    given = ["--checkpoints", str(path), "--public-key", str(public)]
    checked = audit("verify", "--json", *given)
    assert checked.exit_code == 0, checked.output
    assert one_json(checked)["checkpoints"]["entries"] == one_json(written)["events"]
    # A checkpoint with one byte changed in one entry: its signature no longer verifies
    lines = path.read_text().splitlines(keepends=True)
    lines[3] = lines[3].replace(lines[3][-6], "0" if lines[3][-6] != "0" else "1", 1)
    forged = tmp_path / "forged.jsonl"
    forged.write_text("".join(lines))
    refused = audit("verify", "--json", "--checkpoints", str(forged), "--public-key", str(public))
    assert refused.exit_code == 3 and "signature does not verify" in one_json(refused)["checkpoint_error"]
    # Another key's public half does not verify ours
    generate(tmp_path / "other.pem")
    other = audit("verify", "--checkpoints", str(path), "--public-key", str(tmp_path / "other.pub.pem"))
    assert other.exit_code == 3
    assert audit("verify", "--checkpoints", str(path)).exit_code == 2  # the public key is required with them


def test_the_export_holds_no_content_and_its_hashes_match_the_signed_checkpoint(
    operator: Settings, service: MentoratService, clock: FakeClock, tmp_path: Path
) -> None:
    history = write_history(service, clock, marker="marker" + uuid4().hex)
    # Even decoded by a mapper that holds the keys, no line carries a content field
    decoded = list(history_lines(audit_store(service.store.recorder), service.store.mapper, history.mentorship_id))
    assert all(set(line) <= PROCESS_FACTS for line in decoded)
    assert history.marker not in json.dumps(decoded)
    exported = audit("export", "--mentorship", str(history.mentorship_id))
    assert exported.exit_code == 0, exported.output
    assert history.marker not in exported.stdout
    lines = [json.loads(text) for text in exported.stdout.splitlines()]
    raw = Raw(operator)
    try:
        events = [row for row in raw.rows() if row.aggregate_id == str(history.mentorship_id)]
    finally:
        raw.close()
    assert [(line["version"], line["position"]) for line in lines] == [(row.version, row.position) for row in events]
    types = {line["type"] for line in lines}
    assert {"ConventionDrafted", "MeetingHeld", "DisputeRaised", "RelationshipEnded"} <= types
    # Each line's hash is the one a signed checkpoint lists for its position, aggregate and version
    path = Path(one_json(audit("checkpoint", "--json"))["path"])
    assert audit("public-key", "--out", str(tmp_path / "public.pem")).exit_code == 0
    marks = {m.position: m for m in read_checkpoints([path], load_public_key(tmp_path / "public.pem")).marks}
    for line in lines:
        mark = marks[line["position"]]
        assert (mark.aggregate_id, mark.version) == (line["aggregate_id"], line["version"])
        assert mark.hash.hex() == line["hash"]
    assert audit("export", "--mentorship", str(uuid4())).exit_code == 1


def stored_count(settings: Settings) -> int:
    """How many events the store holds."""
    raw = Raw(settings)
    try:
        return len(raw.rows())
    finally:
        raw.close()


def foreign_recorder(settings: Settings) -> tuple[Any, Any]:
    """The library's own recorder (no chain) on the store under test, as an older release would write."""
    env = store_env(settings)
    if settings.uses_postgres:
        datastore: Any = PostgresDatastore(**connect_args(env), schema=env["POSTGRES_SCHEMA"])
        return datastore, PostgresApplicationRecorder(datastore, events_table_name="mentorat_events")
    datastore = SQLiteDatastore(env["SQLITE_DBNAME"])
    return datastore, SQLiteApplicationRecorder(datastore)


def foreign_event(recorded: datetime) -> StoredEvent:
    """An event as a writer that bypasses the chain stores it."""
    stamp = {"_type_": "datetime_iso", "_data_": recorded.isoformat()}
    return StoredEvent(uuid4(), 1, "legacy:Event", json.dumps({"timestamp": stamp}).encode())


def test_a_foreign_writers_events_are_reported_while_young_then_sealed(
    settings: Settings, service: MentoratService, clock: FakeClock
) -> None:
    write_history(service, clock)
    store, now = audit_store(service.store.recorder), datetime.now(UTC)
    datastore, foreign = foreign_recorder(settings)
    try:
        foreign.create_table()
        foreign.insert_events([foreign_event(now - timedelta(seconds=5))])
        young = verify(store, None, now)
        assert young.intact and [f.kind for f in young.unsealed] == ["unsealed"]
        assert not verify(store, None, now + timedelta(seconds=61)).intact  # unsealed for a minute: failed
        # The next insert through Mentorat's recorder chains the foreign event first, then its own
        service.participants.create_programme("Later", "Coordinator", None)
        sealed = verify(store, None, now + timedelta(seconds=61))
        assert sealed.intact and sealed.unsealed == []
        assert sealed.events == stored_count(settings)
    finally:
        datastore.close()


def test_a_store_written_before_the_chain_is_sealed_at_start_up(settings: Settings, clock: FakeClock) -> None:
    datastore, foreign = foreign_recorder(settings)
    try:
        foreign.create_table()
        foreign.insert_events([foreign_event(datetime(2020, 1, 1, tzinfo=UTC)) for _ in range(30)])
    finally:
        datastore.close()
    service = build_service(settings)
    try:
        report = verify(audit_store(service.store.recorder), None, datetime.now(UTC))
    finally:
        service.close()
    assert report.intact and report.events == 30 and report.unsealed == []


def test_the_periodic_tick_seals_a_foreign_tail_and_checkpoints_when_due(
    operator: Settings, service: MentoratService, clock: FakeClock
) -> None:
    write_history(service, clock)
    store: AuditStore = audit_store(service.store.recorder)
    every = operator.model_copy(update={"checkpoint_minutes": 1.0})
    now = datetime.now(UTC)
    datastore, foreign = foreign_recorder(operator)
    try:
        foreign.insert_events([foreign_event(now)])
    finally:
        datastore.close()
    tick(store, every, started=now, now=now)  # sealed, but no checkpoint due yet
    assert verify(store, None, now).unsealed == [] and not every.checkpoints_path.exists()
    tick(store, every, started=now, now=now + timedelta(minutes=1))
    assert len(list(every.checkpoints_path.iterdir())) == 1
    tick(store, every, started=now, now=now + timedelta(minutes=1, seconds=30))  # the last one is recent
    assert len(list(every.checkpoints_path.iterdir())) == 1


def test_racing_writers_keep_the_chain_whole(settings: Settings, service: MentoratService) -> None:
    def write(number: int) -> None:
        for turn in range(5):
            service.participants.create_programme(f"P{number}-{turn}", "Coordinator", None)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report = verify(audit_store(service.store.recorder), None, datetime.now(UTC))
    assert report.intact and report.events == 6 * 5 * 7 == stored_count(settings)


def test_the_projector_process_writes_checkpoints_periodically(
    operator: Settings, service: MentoratService, clock: FakeClock
) -> None:
    write_history(service, clock)
    often = operator.model_copy(update={"checkpoint_minutes": 0.01})  # every 0.6 s
    read_side = ReadSide(service.store, often)
    background = Background(read_side, often)  # what `mentorat projector` runs
    background.start()
    try:
        deadline = time.monotonic() + 20
        while not (often.checkpoints_path.exists() and any(often.checkpoints_path.iterdir())):
            assert time.monotonic() < deadline, "no periodic checkpoint was written"
            time.sleep(0.1)
    finally:
        background.stop()
        read_side.close()
    written = next(often.checkpoints_path.iterdir())
    public = signing_key(often).public_key()
    assert verify(audit_store(service.store.recorder), read_checkpoints([written], public), datetime.now(UTC)).intact


def test_a_chain_recomputed_after_a_checkpoint_is_refused_until_the_operator_asks_for_full(
    operator: Settings, service: MentoratService, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    write_history(service, clock)
    store = audit_store(service.store.recorder)
    first = audit("checkpoint", "--json")
    assert first.exit_code == 0, first.output
    head = one_json(first)["head"]
    raw = Raw(operator)
    try:  # the tamperer alters one event and recomputes the chain consistently from it on
        row = raw.rows()[9]
        raw.set(row.position, "state", flipped(row.state, 3, 0x20))
        raw.delete_links(from_position=row.position)
    finally:
        raw.close()
    seal(store)
    assert verify(store, None, datetime.now(UTC)).intact  # the chain alone cannot tell
    before = sorted(operator.checkpoints_path.iterdir())
    refused = audit("checkpoint")
    assert refused.exit_code == 1
    assert refused.stdout == "" and len(refused.stderr.splitlines()) == 1
    assert f"at position {head}" in refused.stderr and "--full" in refused.stderr
    as_json = audit("checkpoint", "--json")
    assert as_json.exit_code == 1 and one_json(as_json)["position"] == head
    assert sorted(operator.checkpoints_path.iterdir()) == before  # nothing signed, no file left
    # The periodic writer refuses too, at every tick, and logs the type and position only
    every = operator.model_copy(update={"checkpoint_minutes": 0.01})
    later = datetime.now(UTC) + timedelta(hours=1)
    for _ in range(2):
        with pytest.raises(CheckpointRefused):
            tick(store, every, started=later, now=later)
    stop = threading.Event()
    with caplog.at_level(logging.ERROR, logger="mentorat.audit"):
        writer = threading.Thread(target=run_periodically, args=(store, every, stop, lambda: later))
        writer.start()
        time.sleep(1.5)
        stop.set()
        writer.join()
    logged = [record.getMessage() for record in caplog.records if record.name == "mentorat.audit"]
    assert logged and all(message.startswith("checkpoint refused (CheckpointRefused at position") for message in logged)
    assert all(str(head) in message for message in logged)  # the message is pinned above: no room for content
    assert sorted(operator.checkpoints_path.iterdir()) == before
    # Only the operator's explicit --full signs the chain as it now stands
    full = audit("checkpoint", "--full", "--json")
    assert full.exit_code == 0, full.output
    assert one_json(full)["after"] is None and one_json(full)["events"] == stored_count(operator)
    assert audit("checkpoint", "--json").exit_code == 0  # and the series continues from it


def test_a_checkpoint_recomputes_the_links_since_the_last_one_instead_of_trusting_the_chain(
    operator: Settings, service: MentoratService, clock: FakeClock
) -> None:
    write_history(service, clock)
    assert audit("checkpoint").exit_code == 0
    for number in range(3):
        service.participants.create_programme(f"After {number}", "Coordinator", None)
    raw = Raw(operator)
    try:  # a stored hash added since the last checkpoint is rewritten (the chain alone is now inconsistent)
        row = raw.rows()[-4]
        found = raw.run(f"SELECT hash FROM {raw.chain} WHERE position = ?", (row.position,))
        raw.run(
            f"UPDATE {raw.chain} SET hash = ? WHERE position = ?", (flipped(bytes(found[0][0]), 0, 1), row.position)
        )
    finally:
        raw.close()
    refused = audit("checkpoint", "--json")
    assert refused.exit_code == 1
    assert one_json(refused)["position"] == row.position and "does not verify" in one_json(refused)["refused"]
