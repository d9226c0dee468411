"""Yesterday's store still opens: a store written by an earlier release loads, verifies, rebuilds and serves.

`tests/fixtures/store_2026_12_02/` is the embedded store `mentorat demo` wrote at commit a27d59a (before the
packages moved), with its keys, one signed checkpoint and its public key; its read-model tables were dropped.
The figures below were served by that release; every later change must serve them again from that store.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from bootstrap.read_side import NAMES, ReadSide
from bootstrap.service import build_service
from bootstrap.settings import Settings
from infrastructure.audit.checkpoint_reader import read_checkpoints
from infrastructure.audit.signing_key import load_public_key
from infrastructure.audit.store import audit_store
from infrastructure.audit.verify import verify
from tests.support import FakeClock, ports

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "store_2026_12_02"
TODAY = datetime(2026, 1, 12, 16, 0, tzinfo=UTC)  # the demo's "today"
EVENTS = 1773
PROGRAMME_ID = "f38b2ffc-80a4-4f5a-91c9-bc701e7ea419"
# Active with an open dispute; ended after a settled dispute; ended with a dispute open at the end
ACTIVE_DISPUTED, ENDED_SETTLED, ENDED_DISPUTED = (
    "6a149296-d275-4d42-ad88-b2c8f7b65da3",
    "6afa2b31-7a95-4971-8a88-ce1b46de6eef",
    "e39f13d7-6598-4372-8e0d-ce0daf0a6148",
)
# Every figure that release served, answer by answer (written once, by that release, never regenerated)
SERVED: dict[str, Any] = json.loads((FIXTURE / "served.json").read_text())


def copied(tmp_path: Path) -> Settings:
    """Settings over a copy of the fixture, with its own master key (the tests' environment sets another)."""
    data_dir = tmp_path / "var"
    shutil.copytree(FIXTURE, data_dir)
    master_key = (data_dir / "master.key").read_text().strip()
    return Settings(data_dir=data_dir, database_url=None, master_key=SecretStr(master_key), checkpoint_minutes=0)


def test_the_fixture_store_loads_and_verifies_against_its_signed_checkpoint(tmp_path: Path) -> None:
    settings = copied(tmp_path)
    service = build_service(settings)
    try:
        index = read_checkpoints([FIXTURE / "checkpoint.jsonl"], load_public_key(FIXTURE / "audit-signing-key.pub.pem"))
        report = verify(audit_store(service.store.recorder), index, datetime.now(UTC))
        assert report.as_dict()["first_bad"] is None
        assert (report.intact, report.events, index.blocks) == (True, EVENTS, 1)
    finally:
        service.close()


def test_the_fixture_store_rebuilds_every_read_model(tmp_path: Path) -> None:
    settings = copied(tmp_path)
    service = build_service(settings, with_keys=False)
    read_side = ReadSide(service.store, settings)
    try:
        assert read_side.rebuild() == dict.fromkeys(NAMES, EVENTS)
    finally:
        read_side.close()
        service.close()


def test_the_fixture_store_serves_the_same_summary_report_worklist_and_journal(tmp_path: Path) -> None:
    settings = copied(tmp_path)
    clock = FakeClock(TODAY)
    with TestClient(create_app(settings, ports(clock))) as client:
        service = client.app.state.service  # type: ignore[attr-defined]
        read_side = client.app.state.read_side  # type: ignore[attr-defined]
        read_side.catch_up()
        # The operator re-invites the coordinator and a mentor (as for a lost access), who sign in again
        coordinator = token(client, service, row(read_side, "coordinator"))
        answers = {
            "summaries": {
                mid: client.get(f"/v1/mentorships/{mid}", headers=coordinator).json()
                for mid in (ACTIVE_DISPUTED, ENDED_SETTLED, ENDED_DISPUTED)
            },
            "report": client.get(f"/v1/programmes/{PROGRAMME_ID}/report", headers=coordinator).json(),
            "worklist": client.get(f"/v1/programmes/{PROGRAMME_ID}/worklist", headers=coordinator).json(),
        }
        # A mentee reads the journal: the sealed texts still open with the fixture's keys
        mentee = token(client, service, answers["summaries"][ACTIVE_DISPUTED]["mentee_id"])
        journal = client.get(f"/v1/mentorships/{ACTIVE_DISPUTED}/journal", headers=mentee).json()
        # The headline figures, as that release's demo printed them
        report = answers["report"]
        assert (report["meetings_held"], report["meetings_cancelled"], report["at_risk"]) == (227, 26, 16)
        assert (report["disputes_raised"], report["disputes_settled"], report["disputes_to_coordinator"]) == (5, 2, 3)
        assert report["mentorships_active"] == 21 and report["minutes_mean"] == 73.75
        assert [d["status"] for d in journal["disputes"]] == ["reconciled"]
        # And every figure of every answer
        assert answers["summaries"] == SERVED["summaries"]
        assert answers["report"] == SERVED["report"]
        assert answers["worklist"] == SERVED["worklist"]
        assert journal == SERVED["journal"]
        # When its coordinator then changes the zone (the same day there today) and widens the meeting target
        programme = f"/v1/programmes/{PROGRAMME_ID}"
        assert client.get(programme, headers=coordinator).json()["time_zone"] == "America/Toronto"
        change = {"time_zone": "Europe/Paris", "meeting_minutes": {"min": 30, "max": 200}}
        changed = client.patch(programme, json=change, headers={**coordinator, "If-Match": '"1"'})
        assert changed.status_code == 200, changed.text
        # Then the facts recorded before keep their days and classification: the report is the one served
        after = {"after": changed.json()["position"]}
        assert client.get(f"{programme}/report", params=after, headers=coordinator).json() == SERVED["report"]


def row(read_side: Any, role: str) -> str:
    """The first participant of a role in the fixture's programme."""
    found = read_side.view("directory").query(
        "SELECT id FROM directory_participant WHERE role = ? ORDER BY position LIMIT 1", role
    )
    return str(found[0]["id"])


def token(client: TestClient, service: Any, participant_id: str) -> dict[str, str]:
    """A bearer header for a participant, through an operator's invitation redeemed over HTTP."""
    code = service.participants.invite_as_operator(UUID(participant_id)).data["code"]
    redeemed = client.post("/v1/invitations/redemption", json={"code": code})
    assert redeemed.status_code == 201, redeemed.text
    return {"Authorization": f"Bearer {redeemed.json()['token']}"}
