"""`mentorat audit checkpoint` continues from what was signed, never from the database it protects.

Both stores, through the CLI. Given a signed checkpoint in the checkpoint directory, When someone with write
access rewrites the chain consistently and updates the `mentorat_checkpoints` table to match, Then the next
checkpoint is refused, naming the first event that differs; a forged or unsigned checkpoint file beside the
genuine ones is never continued from; and the signing key is refused when others can read it.
"""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from application.service import MentoratService
from bootstrap.audit import tick
from bootstrap.settings import Settings
from infrastructure.audit.checkpoint_format import FORMAT, CheckpointRefused
from infrastructure.audit.checkpoint_writer import write_checkpoint
from infrastructure.audit.signing_key import generate, read_signing_key
from infrastructure.audit.store import audit_store
from tests.integration.tampering import Raw, flipped, write_history
from tests.integration.test_audit_commands import audit, one_json, stored_count
from tests.integration.test_chain import recompute_chain
from tests.integration.test_cli import settings_env
from tests.support import FakeClock


@pytest.fixture
def signer(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The CLI's environment: the store under test, a signing key and a checkpoint directory of the test's own."""
    settings_env(settings, monkeypatch)
    generate(tmp_path / "signing-key.pem")
    monkeypatch.setenv("MENTORAT_AUDIT_KEY_FILE", str(tmp_path / "signing-key.pem"))
    monkeypatch.setenv("MENTORAT_CHECKPOINT_DIR", str(tmp_path / "checkpoints"))
    return Settings()


def checkpoints_table(raw: Raw) -> str:
    """The checkpoint index table's name, beside the chain's."""
    return raw.chain.replace("mentorat_chain", "mentorat_checkpoints")


def forged(directory: Path, head: dict[str, Any], *, signed: bool) -> Path:
    """A checkpoint file nobody signed (or signed with garbage), claiming to be the newest and to end at `head`."""
    lines = [
        {"checkpoint": FORMAT, "created_at": "2999-01-01T00:00:00+00:00", "key": "0" * 64, "after": None},
        {"head": head, "events": 0},
    ]
    if signed:
        lines.append({"signature": base64.b64encode(os.urandom(64)).decode()})
    path = directory / f"checkpoint-2999010{int(signed)}T000000000000Z.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_a_chain_rewritten_consistently_with_its_checkpoint_table_updated_is_refused_naming_the_first_event(
    signer: Settings, service: MentoratService, clock: FakeClock, tmp_path: Path
) -> None:
    write_history(service, clock)
    store = audit_store(service.store.recorder)
    first = audit("checkpoint", "--json")
    assert first.exit_code == 0, first.output
    raw = Raw(signer)
    try:
        # The tamperer alters one event, recomputes every link from it on, and updates the checkpoint table
        row = raw.rows()[9]
        raw.set(row.position, "state", flipped(row.state, 3, 0x20))
        recompute_chain(store, row.position)
        table = checkpoints_table(raw)
        raw.run(f"UPDATE {table} SET head_hash = (SELECT hash FROM {raw.chain} WHERE position = head_position)")
        # and leaves a checkpoint of the rewritten chain, signed with a key of their own, dated as the newest
        generate(tmp_path / "tamperer.pem")
        theirs = signer.checkpoints_path / "checkpoint-29990101T000000000000Z.jsonl"
        write_checkpoint(store, read_signing_key(tmp_path / "tamperer.pem"), theirs, datetime(2999, 1, 1, tzinfo=UTC))
    finally:
        raw.close()
    assert audit("verify").exit_code == 0  # the chain alone cannot tell
    before = sorted(signer.checkpoints_path.iterdir())
    # When the operator writes the next checkpoint, Then it is refused, naming the altered event
    refused = audit("checkpoint")
    assert refused.exit_code == 1 and refused.stdout == "" and len(refused.stderr.splitlines()) == 1
    assert f"aggregate {row.aggregate_id} version {row.version} at position {row.position}" in refused.stderr
    assert "--full" in refused.stderr
    as_json = one_json(audit("checkpoint", "--json"))
    assert (as_json["aggregate_id"], as_json["version"], as_json["position"]) == (
        row.aggregate_id,
        row.version,
        row.position,
    )
    assert sorted(signer.checkpoints_path.iterdir()) == before  # nothing signed, no file left
    # The periodic writer refuses too
    every = signer.model_copy(update={"checkpoint_minutes": 0.01})
    with pytest.raises(CheckpointRefused) as periodic:
        tick(store, every, started=datetime(2000, 1, 1, tzinfo=UTC), now=datetime.now(UTC))
    assert periodic.value.position == row.position
    # Only the operator's explicit --full starts again from the first event, and the series continues from it
    full = audit("checkpoint", "--full", "--json")
    assert full.exit_code == 0, full.output
    assert one_json(full)["after"] is None and one_json(full)["events"] == stored_count(signer)
    following = audit("checkpoint", "--json")
    assert following.exit_code == 0 and one_json(following)["after"] == one_json(full)["head"]


def test_a_forged_checkpoint_file_is_never_continued_from_nor_the_database_table(
    signer: Settings, service: MentoratService, clock: FakeClock, tmp_path: Path
) -> None:
    write_history(service, clock)
    first = one_json(audit("checkpoint", "--json"))
    for number in range(3):
        service.participants.create_programme(f"After {number}", "Coordinator", None)
    raw = Raw(signer)
    try:
        # Files claiming the chain's current head, unsigned or with a bad signature, dated as the newest
        top = raw.run(f"SELECT position, hash FROM {raw.chain} ORDER BY position DESC LIMIT 1")[0]
        head = {"position": top[0], "hash": bytes(top[1]).hex()}
        forged(signer.checkpoints_path, head, signed=True)
        forged(signer.checkpoints_path, head, signed=False)
        # and a table that says nothing was ever checkpointed (or anything else)
        raw.run(f"DELETE FROM {checkpoints_table(raw)}")
        after_first = len([r for r in raw.rows() if r.position > first["head"]])
    finally:
        raw.close()
    # Then the next checkpoint continues from the genuine signed one
    second = audit("checkpoint", "--json")
    assert second.exit_code == 0, second.output
    assert (one_json(second)["after"], one_json(second)["events"]) == (first["head"], after_first)
    # Written elsewhere (--out), it still continues from the newest signed checkpoint
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    third = audit("checkpoint", "--out", str(elsewhere / "c.jsonl"), "--json")
    assert third.exit_code == 0, third.output
    assert (one_json(third)["after"], one_json(third)["events"]) == (one_json(second)["head"], 0)


@pytest.mark.parametrize("mode", [0o640, 0o604])
def test_a_signing_key_others_can_read_is_refused(
    signer: Settings, service: MentoratService, clock: FakeClock, mode: int
) -> None:
    write_history(service, clock)
    assert signer.audit_key_file is not None
    signer.audit_key_file.chmod(mode)
    refused = audit("checkpoint")
    assert refused.exit_code == 2
    assert refused.stderr.strip() == f"error: {signer.audit_key_file} is readable by others: chmod 600 it"
    assert not signer.checkpoints_path.exists()  # nothing signed
    assert audit("public-key").exit_code == 2
    signer.audit_key_file.chmod(0o600)
    assert audit("checkpoint").exit_code == 0
