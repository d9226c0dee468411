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
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from application.service import MentoratService
from bootstrap.audit import signing_key, tick
from bootstrap.background import Background
from bootstrap.read_side import ReadSide
from bootstrap.service import build_service
from bootstrap.settings import Settings
from bootstrap.store_env import store_env
from cli.main import app
from infrastructure.audit.checkpoint_format import CheckpointRefused
from infrastructure.audit.checkpoint_reader import read_checkpoints
from infrastructure.audit.export import history_lines
from infrastructure.audit.signing_key import generate, load_public_key
from infrastructure.audit.store import AuditStore, audit_store
from infrastructure.audit.verify import verify
from infrastructure.postgres import connect_args
from tests.integration.tampering import Raw, Row, flipped, write_history
from tests.integration.test_cli import settings_env
from tests.support import FakeClock, ports

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
        args = connect_args(env)
        server = {k: args[k] for k in ("dbname", "host", "port", "user", "password")}  # the library's own keys
        datastore: Any = PostgresDatastore(**server, schema=env["POSTGRES_SCHEMA"])
        return datastore, PostgresApplicationRecorder(datastore, events_table_name="mentorat_events")
    datastore = SQLiteDatastore(env["SQLITE_DBNAME"])
    return datastore, SQLiteApplicationRecorder(datastore)


def foreign_event(recorded: datetime) -> StoredEvent:
    """An event as a writer that bypasses the chain stores it."""
    stamp = {"_type_": "datetime_iso", "_data_": recorded.isoformat()}
    return StoredEvent(uuid4(), 1, "legacy:Event", json.dumps({"timestamp": stamp}).encode())


def insert_foreign_row(settings: Settings) -> Row:
    """A row written straight into the events table with SQL, as a foreign writer would (a forged credential)."""
    raw = Raw(settings)
    try:
        oid = uuid4() if raw.postgres else str(uuid4())
        state = json.dumps({"timestamp": {"_type_": "datetime_iso", "_data_": datetime.now(UTC).isoformat()}})
        raw.run(
            f"INSERT INTO {raw.events} (originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)",
            (oid, 1, "domain.credential:Credential.Issued", state.encode()),
        )
        return raw.rows()[-1]
    finally:
        raw.close()


def links_at(settings: Settings, position: int) -> int:
    """How many chain entries a position has."""
    raw = Raw(settings)
    try:
        return len(raw.run(f"SELECT 1 FROM {raw.chain} WHERE position = ?", (position,)))
    finally:
        raw.close()


def named_unchained(result: Any, row: Row) -> bool:
    """Whether `audit verify --json` failed naming this row as unchained."""
    first = one_json(result)["first_bad"]
    return (
        result.exit_code == 1
        and first["kind"] == "unchained"
        and (
            first["aggregate_id"],
            first["version"],
            first["position"],
        )
        == (row.aggregate_id, row.version, row.position)
    )


def test_a_row_inserted_with_sql_fails_verify_at_once_and_after_a_restart_until_the_operator_seals_it(
    operator: Settings, service: MentoratService, clock: FakeClock
) -> None:
    write_history(service, clock)
    # Given a row inserted straight into the events table, When the auditor verifies within the same second
    started = time.monotonic()
    foreign = insert_foreign_row(operator)
    at_once = audit("verify", "--json")
    assert time.monotonic() - started < 1.0
    # Then verify fails naming it as unchained (aggregate id, version, position)
    assert named_unchained(at_once, foreign), at_once.output
    assert "unchained: aggregate" in audit("verify").stdout
    # When the service restarts and records a normal command, Then the row is still unchained, verify still fails
    service.close()
    restarted = build_service(operator)  # start-up chains nothing
    try:
        restarted.participants.create_programme("Later", "Coordinator", None)  # nor does the next insert
        later = restarted.store.position()
        assert later > foreign.position and links_at(operator, later) == 1
    finally:
        restarted.close()
    assert links_at(operator, foreign.position) == 0
    assert named_unchained(audit("verify", "--json"), foreign)
    assert audit("checkpoint").exit_code == 1  # nothing unchained is ever signed
    # Without --yes and without a terminal, sealing refuses and changes nothing
    assert audit("seal").exit_code == 2 and links_at(operator, foreign.position) == 0
    # When the operator seals it explicitly, Then verify passes and reports the range as sealed by the operator
    sealed = audit("seal", "--yes", "--json")
    assert sealed.exit_code == 0, sealed.output
    assert {k: one_json(sealed)["sealed"][k] for k in ("first_position", "last_position", "count")} == {
        "first_position": foreign.position,
        "last_position": foreign.position,
        "count": 1,
    }
    verified = audit("verify", "--json")
    assert verified.exit_code == 0, verified.output
    (sealed_range,) = one_json(verified)["sealed_ranges"]
    assert (sealed_range["first_position"], sealed_range["last_position"], sealed_range["count"]) == (
        foreign.position,
        foreign.position,
        1,
    )
    assert sealed_range["actor_role"] == "operator" and sealed_range["sealed_at"]
    assert sealed_range["position"] == one_json(sealed)["sealed"]["position"]  # the sealing is itself an event
    assert one_json(verified)["events"] == stored_count(operator)
    assert "sealed by the operator" in audit("verify").stdout
    assert audit("seal", "--yes").stdout.startswith("nothing to seal")


def test_the_server_keeps_serving_a_store_with_an_unchained_event_and_warns_once(
    settings: Settings, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    service = build_service(settings, ports(clock))
    try:
        created = service.participants.create_programme("Programme", "Coordinator", None)
    finally:
        service.close()
    insert_foreign_row(settings)
    warning = "the stored history holds 1 events without a chain link: run mentorat audit verify"
    with caplog.at_level(logging.WARNING, logger="mentorat.audit"):
        with TestClient(create_app(settings, ports(clock))) as client:
            deadline = time.monotonic() + 10
            while warning not in caplog.messages:
                assert time.monotonic() < deadline, "no warning was logged"
                time.sleep(0.05)
            # The server keeps serving (the operator investigates); the warning is logged once, with no content
            bearer = {"Authorization": f"Bearer {created['coordinator_token']}"}
            assert client.get("/healthz").status_code == 200
            assert client.get("/v1/me", headers=bearer).status_code == 200
            time.sleep(0.5)
        logged = [r.getMessage() for r in caplog.records if r.name == "mentorat.audit" and r.levelno >= logging.WARNING]
    assert logged == [warning]


def test_a_store_written_before_the_chain_is_chained_only_by_the_operators_seal(
    settings: Settings, operator: Settings
) -> None:
    datastore, foreign = foreign_recorder(settings)
    try:
        foreign.create_table()
        foreign.insert_events([foreign_event(datetime(2020, 1, 1, tzinfo=UTC)) for _ in range(30)])
    finally:
        datastore.close()
    build_service(settings).close()  # the application starts on it: its tables are created, nothing is chained
    refused = audit("verify", "--json")
    assert refused.exit_code == 1 and one_json(refused)["first_bad"]["kind"] == "unchained"
    sealed = audit("seal", "--yes", "--json")
    assert sealed.exit_code == 0, sealed.output
    assert one_json(sealed)["sealed"]["count"] == 30
    phases = [line.split(": ")[1] for line in sealed.stderr.splitlines()]  # no terminal: plain progress lines
    assert (phases[0], phases[-1]) == ("verifying", "chaining")
    assert sealed.stderr.endswith("100% (position 30 of 30)\n")
    report = one_json(audit("verify", "--json"))
    assert report["intact"] and report["events"] == 31  # the 30 events and the sealing
    assert [(r["count"], r["actor_role"]) for r in report["sealed_ranges"]] == [(30, "operator")]


def test_the_periodic_tick_checkpoints_when_due_and_never_chains_a_foreign_event(
    operator: Settings, service: MentoratService, clock: FakeClock
) -> None:
    write_history(service, clock)
    store: AuditStore = audit_store(service.store.recorder)
    every = operator.model_copy(update={"checkpoint_minutes": 1.0})
    now = datetime.now(UTC)
    tick(store, every, started=now, now=now)  # no checkpoint due yet
    assert not every.checkpoints_path.exists()
    tick(store, every, started=now, now=now + timedelta(minutes=1))
    assert len(list(every.checkpoints_path.iterdir())) == 1
    tick(store, every, started=now, now=now + timedelta(minutes=1, seconds=30))  # the last one is recent
    assert len(list(every.checkpoints_path.iterdir())) == 1
    # A foreign writer's event: the next due tick refuses to sign it, and leaves it unchained
    datastore, foreign = foreign_recorder(operator)
    try:
        foreign.insert_events([foreign_event(now)])
    finally:
        datastore.close()
    with pytest.raises(CheckpointRefused) as refused:
        tick(store, every, started=now, now=now + timedelta(hours=1))
    assert "unchained" in str(refused.value) and links_at(operator, refused.value.position) == 0
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
