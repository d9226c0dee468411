"""`Idempotency-Key` on POST commands (contract v1), both stores: replay, reuse, in use, scope, 24 hours, restart."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.idempotency import renew_while_running
from application.idempotency import IdempotencyKeyInUse, current_claim
from application.mentorat import CommandResult
from bootstrap.settings import Settings
from infrastructure.idempotency_claims import Claim, KeyedRecords, claim_for
from infrastructure.idempotency_ledger import IdempotencyLedger
from tests.api.conftest import FUTURE_MEETING, PROBLEM_JSON, World, build_world, created, mailed, service_of
from tests.support import FakeClock, ports

pytestmark = pytest.mark.write_only  # commands only: no read model is read here

LATER_MEETING = "2026-01-22T15:00:00+00:00"


def meetings_path(w: World) -> str:
    return f"/v1/mentorships/{w.mentorship_id}/meetings"


def keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


def position(client: TestClient) -> int:
    return service_of(client).store.position()


def slug(response: httpx.Response) -> str:
    assert response.headers["content-type"] == PROBLEM_JSON, response.text
    return str(response.json()["type"]).rsplit("/", 1)[-1]


def secret_of(client: TestClient) -> bytes:
    """The deployment's secret keying idempotency records (derived from the master key)."""
    records: KeyedRecords = client.app.state.idempotency  # type: ignore[attr-defined]
    return records.secret


def ledger(client: TestClient) -> IdempotencyLedger:
    recorder = service_of(client).store.recorder
    assert isinstance(recorder, IdempotencyLedger)
    return recorder


def meeting_claim(client: TestClient, w: World, key: str) -> Claim:
    """The claim the mentee's request to schedule the world's meeting under `key` makes."""
    body = f'{{"scheduled_for": "{FUTURE_MEETING}"}}'.encode()
    return claim_for(secret_of(client), w.mentee_id, "POST", meetings_path(w), key, body)


def claimed(client: TestClient, w: World, key: str, clock: FakeClock, lease_seconds: float = 60.0) -> Claim:
    """A meeting's claim under `key`, taken straight from the ledger as a running request would hold it."""
    claim = meeting_claim(client, w, key)
    assert ledger(client).claim_key(claim, clock(), lease_seconds, 24).outcome == "claimed"
    return claim


@contextmanager
def holding(claim: Claim) -> Iterator[None]:
    """Run the block as the request holding `claim` (as the middleware sets it)."""
    token = current_claim.set(claim)
    try:
        yield
    finally:
        current_claim.reset(token)


def schedule(client: TestClient, w: World, key: str, when: str = FUTURE_MEETING, **headers: str) -> httpx.Response:
    response: httpx.Response = client.post(
        meetings_path(w), json={"scheduled_for": when}, headers={**keyed(w.mentee, key), **headers}
    )
    return response


def test_a_retry_returns_the_first_answer_and_records_nothing(app_client: TestClient, world: World) -> None:
    first = schedule(app_client, world, "retry-1")
    assert first.status_code == 201, first.text
    after_first = position(app_client)
    second = schedule(app_client, world, "retry-1")
    assert (second.status_code, second.json(), second.headers["ETag"]) == (201, first.json(), first.headers["ETag"])
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert position(app_client) == after_first
    # the same body written otherwise (key order, spacing) is the same request
    raw = b'{ "scheduled_for" :  "' + FUTURE_MEETING.encode() + b'" }'
    third = app_client.post(
        meetings_path(world),
        content=raw,
        headers={**keyed(world.mentee, "retry-1"), "Content-Type": "application/json"},
    )
    assert (third.status_code, third.json()) == (201, first.json())
    assert position(app_client) == after_first


def test_an_invitation_replays_without_its_code_and_a_redemption_is_never_replayed(
    app_client: TestClient, world: World
) -> None:
    path = f"/v1/participants/{world.other_mentee_id}/invitations"
    invited = created(app_client.post(path, headers=keyed(world.coordinator, "invite-1")))
    again = created(app_client.post(path, headers=keyed(world.coordinator, "invite-1")))
    assert again == invited and "code" not in invited
    code = mailed(app_client, "othermentee@example.org")
    redeemed = created(
        app_client.post("/v1/invitations/redemption", json={"code": code}, headers=keyed({}, "redeem-1"))
    )
    # the redemption's answer holds a bearer token: its key is ignored, and a retry is an ordinary used code
    retried = app_client.post("/v1/invitations/redemption", json={"code": code}, headers=keyed({}, "redeem-1"))
    assert (retried.status_code, retried.headers.get("Idempotent-Replayed")) == (404, None)
    assert app_client.get("/v1/me", headers={"Authorization": f"Bearer {redeemed['token']}"}).status_code == 200
    assert app_client.post("/v1/invitations/redemption", json={"code": code}).status_code == 404
    dumped = b"".join(dump_records(app_client))
    for secret in (code, redeemed["token"], "invite-1", "redeem-1"):
        assert secret.encode() not in dumped
    # a reader of the store who guesses the key and the body still cannot name the record or its body:
    # both are keyed by a secret derived from the master key
    material = json.dumps(["coordinator", "POST", path, "invite-1"]).encode()
    body = b""
    for guess in (hashlib.sha256(b"record\0" + material), hashlib.sha256(material), hashlib.sha256(body)):
        assert guess.hexdigest().encode() not in dumped


def dump_records(client: TestClient) -> Iterator[bytes]:
    """Every column of every idempotency record, as bytes."""
    return record_cells(ledger(client))


def record_cells(recorder: IdempotencyLedger) -> Iterator[bytes]:
    """Every column of every idempotency record this recorder holds, as bytes."""
    for row in recorder._execute([("SELECT * FROM {t}", ())]):
        for value in dict(row).values():
            yield bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()


def test_the_same_key_with_another_body_is_422_and_records_nothing(app_client: TestClient, world: World) -> None:
    assert schedule(app_client, world, "reuse-1").status_code == 201
    before = position(app_client)
    reused = schedule(app_client, world, "reuse-1", when=LATER_MEETING)
    assert (reused.status_code, slug(reused)) == (422, "idempotency-key-reused")
    assert "reuse-1" not in reused.text and LATER_MEETING not in reused.text
    assert position(app_client) == before


def test_keys_are_scoped_to_the_caller_method_and_path(app_client: TestClient, world: World) -> None:
    mine = schedule(app_client, world, "scope-1")
    mentor_answer = app_client.post(
        meetings_path(world), json={"scheduled_for": FUTURE_MEETING}, headers=keyed(world.mentor, "scope-1")
    )
    assert mine.status_code == mentor_answer.status_code == 201
    assert mine.json()["meeting_id"] != mentor_answer.json()["meeting_id"]
    satisfaction = app_client.post(
        f"/v1/mentorships/{world.mentorship_id}/satisfaction", json={"score": 4}, headers=keyed(world.mentee, "scope-1")
    )
    assert satisfaction.status_code == 201, satisfaction.text
    assert "Idempotent-Replayed" not in satisfaction.headers


def test_only_successful_answers_are_kept(app_client: TestClient, world: World) -> None:
    stale = schedule(app_client, world, "only-2xx", **{"If-Match": '"1"'})
    assert (stale.status_code, slug(stale)) == (412, "precondition-failed")
    retried = schedule(app_client, world, "only-2xx")
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried.headers
    assert schedule(app_client, world, "only-2xx").json() == retried.json()


def test_a_key_held_by_a_running_request_is_409_until_its_lease_runs_out(
    app_client: TestClient, world: World, clock: FakeClock
) -> None:
    running = claimed(app_client, world, "held-1", clock)
    before = position(app_client)
    blocked = schedule(app_client, world, "held-1")
    assert (blocked.status_code, slug(blocked)) == (409, "idempotency-key-in-use")
    assert blocked.headers["Retry-After"]
    assert position(app_client) == before
    clock.advance(seconds=61)  # the holder crashed: its lease ran out
    taken_over = schedule(app_client, world, "held-1")
    assert taken_over.status_code == 201
    # the crashed holder can no longer commit under the key: its events are rolled back
    with holding(running), pytest.raises(IdempotencyKeyInUse):
        scheduled(app_client, world)
    assert position(app_client) == taken_over.json()["position"]


def test_the_record_commits_with_the_events_so_a_lost_answer_is_replayed(
    app_client: TestClient, world: World, clock: FakeClock
) -> None:
    """The command commits, then the process dies before answering: the retry gets the answer, not a second run."""
    with holding(claimed(app_client, world, "lost-1", clock)):
        result = scheduled(app_client, world)  # ...and the answer never reaches the client
    after = position(app_client)
    retry = schedule(app_client, world, "lost-1")
    assert retry.status_code == 201
    assert retry.json() == {**result.data, "version": result.version, "position": result.position}
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert position(app_client) == after


def scheduled(client: TestClient, w: World) -> CommandResult:
    """Schedule the world's next meeting as the mentee, straight through the application (no HTTP answer)."""
    service = service_of(client)
    caller = service.participants.authenticate(w.mentee["Authorization"].removeprefix("Bearer "))
    when = datetime.fromisoformat(FUTURE_MEETING)
    return service.mentorships.schedule_meeting(caller, uuid.UUID(w.mentorship_id), when)


def test_keys_are_kept_24_hours_and_survive_a_restart(settings: Settings, clock: FakeClock) -> None:
    settings = settings.model_copy(update={"projections": False})
    with TestClient(create_app(settings, ports(clock))) as client:
        w = build_world(client, service_of(client))
        first = schedule(client, w, "restart-1")
        assert first.status_code == 201
    with TestClient(create_app(settings, ports(clock))) as client:
        clock.advance(hours=23, minutes=59)
        before = position(client)
        again = schedule(client, w, "restart-1")
        assert (again.status_code, again.json()) == (201, first.json())
        assert position(client) == before
        clock.advance(minutes=2)  # more than 24 hours after the first
        fresh = schedule(client, w, "restart-1")
        assert fresh.status_code == 201
        assert "Idempotent-Replayed" not in fresh.headers
        assert fresh.json()["meeting_id"] != first.json()["meeting_id"]


@pytest.mark.parametrize("key", ["", "x" * 256, "clé-7d1c0b", "with space"], ids=["empty", "256", "non-ascii", "space"])
def test_a_malformed_key_is_422_naming_the_header_after_who_and_scope(
    app_client: TestClient, world: World, key: str
) -> None:
    before = position(app_client)
    body = {"scheduled_for": FUTURE_MEETING}

    def send(headers: dict[str, str]) -> httpx.Response:
        raw_key: Any = key.encode()  # non-ASCII bytes reach the app as sent
        response: httpx.Response = app_client.post(
            meetings_path(world), json=body, headers={**headers, "Idempotency-Key": raw_key}
        )
        return response

    assert send({}).status_code == 401
    assert send(world.other_coordinator).status_code == 404
    assert send(world.auditor).status_code == 403
    answer = send(world.mentee)
    assert (answer.status_code, slug(answer)) == (422, "validation-error")
    refusal = {"field": "Idempotency-Key", "code": "invalid", "location": "header", "reason": "malformed"}
    assert answer.json()["errors"] == [refusal]
    if key:
        assert key not in answer.text
    assert position(app_client) == before


def test_a_key_on_a_refused_request_changes_nothing_of_the_order_of_checks(
    app_client: TestClient, world: World
) -> None:
    """401, 404 and 403 come as without a key; the key is then free for a successful request."""
    path = meetings_path(world)
    body = {"scheduled_for": FUTURE_MEETING}
    assert app_client.post(path, json=body, headers={"Idempotency-Key": "order-1"}).status_code == 401
    assert app_client.post(path, json=body, headers=keyed(world.other_coordinator, "order-1")).status_code == 404
    assert app_client.post(path, json=body, headers=keyed(world.auditor, "order-1")).status_code == 403
    assert schedule(app_client, world, "order-1").status_code == 201


def test_keys_and_answers_never_reach_the_logs(
    app_client: TestClient, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        created(
            app_client.post(
                f"/v1/participants/{world.other_mentee_id}/invitations",
                headers=keyed(world.coordinator, "log-key-7d1c"),
            )
        )
        app_client.post(
            f"/v1/participants/{world.other_mentee_id}/invitations", headers=keyed(world.coordinator, "log-key-7d1c")
        )
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records, "the access log writes a line per request"
    for secret in ("log-key-7d1c", mailed(app_client, "othermentee@example.org")):
        assert secret not in text


def test_a_chunked_body_over_the_limit_is_refused_after_reading_at_most_256_kib(app_client: TestClient) -> None:
    """The middleware reads a keyed body capped, as the routes do: a client cannot make it hold more."""
    app = app_client.app
    chunk, sent = b"x" * (256 * 1024), {"chunks": 0, "status": 0}

    async def receive() -> dict[str, Any]:
        sent["chunks"] += 1
        return {"type": "http.request", "body": chunk, "more_body": sent["chunks"] < 80}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            sent["status"] = message["status"]

    path = "/v1/invitations/redemption"
    headers = [(b"content-type", b"application/json"), (b"idempotency-key", b"chunked-1")]
    scope = {
        "type": "http", "method": "POST", "path": path, "raw_path": path.encode(), "query_string": b"",
        "headers": headers, "http_version": "1.1", "scheme": "http", "server": ("test", 80),
        "client": ("test", 1), "root_path": "", "app": app, "state": {},
    }  # fmt: skip

    async def run() -> None:
        await app(scope, receive, send)  # type: ignore[arg-type]

    assert app_client.portal is not None
    app_client.portal.call(run)
    assert sent["status"] == 413
    assert sent["chunks"] <= 2


def test_a_running_command_keeps_its_key_past_the_first_lease(
    app_client: TestClient, world: World, clock: FakeClock
) -> None:
    """The lease is renewed while the command runs: a retry after the first lease's end still finds it held."""
    running = claimed(app_client, world, "slow-1", clock, lease_seconds=0.3)

    async def a_slow_command() -> None:
        records = KeyedRecords(ledger(app_client), secret_of(app_client), clock, 0.3, 24)  # a 0.3 s lease
        renewing = renew_while_running(records, running)
        clock.advance(seconds=10)  # far past the first lease
        await asyncio.sleep(0.25)  # a renewal every 0.1 s meanwhile
        renewing.cancel()

    asyncio.run(a_slow_command())
    retry = meeting_claim(app_client, world, "slow-1")
    assert ledger(app_client).claim_key(retry, clock(), 0.3, 24).outcome == "in-use"
    clock.advance(seconds=1)  # the command died: no more renewals, the lease runs out
    assert ledger(app_client).claim_key(retry, clock(), 0.3, 24).outcome == "claimed"
