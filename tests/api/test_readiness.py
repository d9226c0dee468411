"""`GET /readyz` and the store's gauges of `/metrics`, on a real `mentorat serve --no-projections`.

One server for the module: no projector runs (read models are kept elsewhere, here by the test), mail goes to an
SMTP port where nothing listens (so a message stays in the outbox), and `MENTORAT_READY_MAX_LAG_EVENTS=0`. The
read models' lag, the outbox's backlog and the last checkpoint then move as the test acts on the store, and
readiness follows the lag. `MENTORAT_METRICS=false` is checked in process.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from bootstrap.read_side import NAMES, ReadSide
from bootstrap.service import build_service
from bootstrap.settings import Settings
from tests.api.conftest import PROBLEM_JSON, bearer
from tests.api.observed import Server, observed_server, scrape, value
from tests.processes import MENTORAT, process_env
from tests.throwaway_cluster import free_port

LAG_EVENTS, LAG_SECONDS = "mentorat_projection_lag_events", "mentorat_projection_lag_seconds"
OUTBOX, OUTBOX_AGE = "mentorat_outbox_pending_messages", "mentorat_outbox_oldest_pending_seconds"
CHECKPOINT = "mentorat_last_checkpoint_timestamp_seconds"


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The embedded store of the module, in a directory of its own."""
    return Settings(data_dir=tmp_path_factory.mktemp("readiness") / "var", database_url=None)


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[Server]:
    """`serve --no-projections`, mail to a closed port, ready only with every read model caught up."""
    env = {"MENTORAT_READY_MAX_LAG_EVENTS": "0", "MENTORAT_MAIL_URL": f"smtp://127.0.0.1:{free_port()}"}
    with observed_server(settings, "write-only", settings.data_dir.parent, "--no-projections", **env) as running:
        yield running


def readiness(server: Server) -> httpx.Response:
    """`GET /readyz`, without a token."""
    return httpx.get(f"{server.base}/readyz", timeout=30)


def test_readiness_follows_the_read_models_lag_read_from_the_store(server: Server, settings: Settings) -> None:
    # Given a fresh store: every read model is at its head
    ready = readiness(server)
    assert ready.status_code == 200, ready.text
    assert ready.json() == {
        "status": "ready",
        "projections": "elsewhere",
        "max_lag_events": 0,
        "read_models": {name: {"lag_events": 0, "lag_seconds": 0.0} for name in NAMES},
    }
    before = scrape(server.base)
    assert all(value(before, LAG_EVENTS, read_model=name) == 0 for name in NAMES)
    assert value(before, "mentorat_store_up") == 1
    assert value(before, OUTBOX) == 0
    assert value(before, CHECKPOINT) == 0  # never
    service = build_service(settings)
    try:
        # When the operator creates a programme and the coordinator invites someone (no projector runs)
        created = service.participants.create_programme("Programme", "Coordinator", None)
        coordinator = bearer(created["coordinator_token"])
        body = {"role": "mentor", "name": "Mentor", "email": "mentor@example.org", "language": "en"}
        with httpx.Client(base_url=server.base, timeout=30) as client:
            person = client.post(
                f"/v1/programmes/{created['programme_id']}/participants", json=body, headers=coordinator
            )
            assert person.status_code == 201, person.text
            invited = client.post(f"/v1/participants/{person.json()['id']}/invitations", headers=coordinator)
            assert invited.status_code == 201, invited.text
        head = service.store.position()
        time.sleep(0.2)
        # Then the read models are behind by every event, for as long as the oldest has waited: not ready
        behind = scrape(server.base)
        assert all(value(behind, LAG_EVENTS, read_model=name) == head for name in NAMES)
        assert all(value(behind, LAG_SECONDS, read_model=name) >= 0.2 for name in NAMES)
        refused = readiness(server)
        assert refused.status_code == 503
        assert refused.headers["content-type"] == PROBLEM_JSON
        assert refused.headers["retry-after"] == "1"
        problem = refused.json()
        assert problem["type"] == "/problems/not-ready" and problem["status"] == 503
        assert all(name in problem["detail"] for name in NAMES)
        # And the invitation waits in the outbox (its SMTP server is down)
        waiting = scrape(server.base)
        assert value(waiting, OUTBOX) == 1
        assert value(waiting, OUTBOX_AGE) > 0
        # When a projector elsewhere (here, the test) catches every read model up
        read_side = ReadSide(service.store, settings)
        try:
            read_side.catch_up()
        finally:
            read_side.close()
    finally:
        service.close()
    # Then the process is ready again, and the lag is 0
    assert readiness(server).status_code == 200
    after = scrape(server.base)
    assert all(value(after, LAG_EVENTS, read_model=name) == 0 for name in NAMES)
    assert all(value(after, LAG_SECONDS, read_model=name) == 0 for name in NAMES)


def test_the_last_checkpoint_gauge_moves_when_a_checkpoint_is_written(server: Server, settings: Settings) -> None:
    service = build_service(settings)
    try:
        service.participants.create_programme("Programme", "Coordinator", None)  # something to sign
    finally:
        service.close()
    env = process_env(settings, "mentorat-checkpoint")
    done = subprocess.run([MENTORAT, "audit", "checkpoint"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    written = value(scrape(server.base), CHECKPOINT)
    assert abs(written - datetime.now(UTC).timestamp()) < 120


def test_metrics_can_be_turned_off_and_readiness_stays(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path / "var", database_url=None, metrics=False))
    with TestClient(app) as client:
        off = client.get("/metrics")
        assert off.status_code == 404
        assert off.headers["content-type"] == PROBLEM_JSON
        assert client.get("/readyz").status_code == 200
        assert "/metrics" not in client.get("/openapi.json").json()["paths"]
