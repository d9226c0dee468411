"""Trust boundaries (contract v1.1): the auditor is the operator's, and the store alone cannot mint access.

On both stores, through the HTTP app and the CLI as a user would: a coordinator cannot register, invite or
deactivate an auditor; a credential row written without the deployment's key, or re-pointed to another person,
authenticates nobody.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from application.mentorat import Mentorat
from bootstrap.service import build_service
from bootstrap.settings import Settings
from bootstrap.store_env import store_env
from cli.main import app as cli
from domain.credential import TOKEN, Credential
from domain.values import Actor
from tests.api.conftest import PROBLEM_JSON, World, bearer, service_of
from tests.integration.tampering import Raw
from tests.integration.test_cli import settings_env
from tests.store_tables import table_counts
from tests.support import T0


def client_settings(client: TestClient) -> Settings:
    settings: Settings = client.app.state.settings  # type: ignore[attr-defined]
    return settings


def test_a_coordinator_can_neither_register_nor_invite_nor_deactivate_an_auditor(
    app_client: TestClient, world: World
) -> None:
    settings = client_settings(app_client)
    auditor = {"role": "auditor", "name": "Second auditor", "email": "a2@example.org", "language": "fr"}
    attempts = [
        (f"/v1/programmes/{world.programme_id}/participants", auditor),
        (f"/v1/participants/{world.auditor_id}/invitations", None),
        (f"/v1/participants/{world.auditor_id}/deactivation", None),
    ]
    for path, body in attempts:
        before = table_counts(settings)
        refused = app_client.post(path, json=body, headers={**world.coordinator, "Idempotency-Key": f"k-{path}"})
        assert (refused.status_code, refused.headers["content-type"]) == (403, PROBLEM_JSON), path
        assert refused.json()["type"].endswith("/forbidden")
        assert table_counts(settings) == before, f"a refused {path} stored something"
    # And the auditor's access is untouched; the coordinator still registers a mentor
    assert app_client.get("/v1/me", headers=world.auditor).json()["role"] == "auditor"
    mentor = {**auditor, "role": "mentor", "email": "m2@example.org"}
    assert app_client.post(attempts[0][0], json=mentor, headers=world.coordinator).status_code == 201


def test_the_operator_registers_and_invites_an_auditor_from_the_command_line(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_env(settings, monkeypatch)
    runner = CliRunner()
    launched = json.loads(
        runner.invoke(cli, ["programme", "create", "--name", "P", "--coordinator-name", "C", "--json"]).stdout
    )
    registered = runner.invoke(
        cli,
        ["participant", "register", "--programme", launched["programme_id"], "--role", "auditor",
         "--name", "Auditrice", "--email", "audit@example.org", "--language", "en", "--json"],
    )  # fmt: skip
    assert registered.exit_code == 0, registered.output
    answer = json.loads(registered.stdout)
    assert list(answer) == ["participant_id"]
    invited = runner.invoke(cli, ["participant", "invite", answer["participant_id"], "--json"])
    code = json.loads(invited.stdout)["code"]
    service = build_service(settings)
    try:
        token = service.participants.redeem(code).data["token"]
        caller = service.participants.authenticate(token)
        assert (str(caller.id), caller.role) == (answer["participant_id"], "auditor")
        assert service.participants.get(caller.id).language == "en"
    finally:
        service.close()
    # A role that does not exist, or a programme that does not, is refused with its slug (exit 1)
    for programme, role in ((launched["programme_id"], "owner"), (str(UUID(int=1)), "mentor")):
        refused = runner.invoke(
            cli, ["participant", "register", "--programme", programme, "--role", role, "--name", "N",
                  "--email", "n@example.org"],
        )  # fmt: skip
        assert refused.exit_code == 1 and refused.stdout == ""


def unkeyed_id(secret: str) -> UUID:
    """How credential ids were derived before they were keyed: anyone could compute it."""
    return uuid5(uuid5(NAMESPACE_URL, "urn:mentorat:credential"), hashlib.sha256(secret.encode()).hexdigest())


def test_a_credential_row_written_without_the_deployments_key_authenticates_nobody(
    app_client: TestClient, world: World
) -> None:
    """Someone who can write to the events database, but holds no key, forges tokens for the mentor."""
    settings = client_settings(app_client)
    forger = Mentorat(env=store_env(settings))  # the library over the same database, no keys
    forged = {
        "unkeyed": secrets.token_urlsafe(32),  # the id function of contract v1
        "keyed-by-another": secrets.token_urlsafe(32),  # a keyed id under a key of the forger's own
    }
    try:
        for how, token in forged.items():
            credential_id = unkeyed_id(token) if how == "unkeyed" else uuid5(NAMESPACE_URL, "forger" + token)
            credential = Credential.issue(
                credential_id, "", UUID(world.mentor_id), TOKEN, T0 + timedelta(days=30), Actor.operator(), T0
            )
            forger.save(credential)
    finally:
        forger.close()
    for token in forged.values():
        refused = app_client.get("/v1/me", headers=bearer(token))
        assert refused.status_code == 401
        journal = app_client.get(f"/v1/mentorships/{world.mentorship_id}/journal", headers=bearer(token))
        assert journal.status_code == 401


def test_a_real_token_re_pointed_to_another_person_in_the_database_authenticates_nobody(
    app_client: TestClient, world: World
) -> None:
    """The mentee holds a token of their own and rewrites its stored row to name the mentor."""
    settings = client_settings(app_client)
    service = service_of(app_client)
    token = world.mentee["Authorization"].removeprefix("Bearer ")
    credential_id = service.participants.keys.id_of(token)
    raw = Raw(settings)
    try:
        [row] = [r for r in raw.rows() if r.aggregate_id == str(credential_id) and r.version == 1]
        mentee, mentor = (UUID(who).hex.encode() for who in (world.mentee_id, world.mentor_id))  # as the JSON holds ids
        assert mentee in row.state
        raw.set(row.position, "state", row.state.replace(mentee, mentor))
        # and the access index's row too, which authentication reads
        credentials = raw.events.rpartition(".")[0] + "." if settings.uses_postgres else ""
        changed = raw.run(
            f"UPDATE {credentials}mentorat_credentials SET participant_id = ? WHERE credential_id = ? "
            "RETURNING credential_id",
            (world.mentor_id, str(credential_id)),
        )
        assert len(changed) == 1
    finally:
        raw.close()
    assert app_client.get("/v1/me", headers=world.mentee).status_code == 401
    assert app_client.get(f"/v1/mentorships/{world.mentorship_id}/journal", headers=world.mentee).status_code == 401
    assert app_client.get("/v1/me", headers=world.mentor).json()["id"] == world.mentor_id  # the mentor's own works


@pytest.mark.parametrize("path", ["/v1/invitations/redemption", "/v1/invitations/%72edemption"])
def test_a_redemption_is_never_replayed_however_its_path_is_spelled(
    app_client: TestClient, world: World, path: str
) -> None:
    code = service_of(app_client).participants.invite_as_operator(UUID(world.other_mentee_id)).data["code"]
    keyed = {"Idempotency-Key": "redeem-again"}
    assert app_client.post(path, json={"code": code}, headers=keyed).status_code == 201
    again = app_client.post(path, json={"code": code}, headers=keyed)
    assert again.status_code == 404 and "token" not in again.text


def test_a_redemptions_answer_is_never_kept_even_if_the_middleware_took_its_key(
    app_client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defence in depth: were the path to escape the middleware's list, the token still never reaches the store."""
    monkeypatch.setattr("api.idempotency.NEVER_REPLAYED", frozenset())
    code = service_of(app_client).participants.invite_as_operator(UUID(world.other_mentee_id)).data["code"]
    keyed = {"Idempotency-Key": "taken-by-the-middleware"}
    first = app_client.post("/v1/invitations/redemption", json={"code": code}, headers=keyed)
    assert first.status_code == 201
    again = app_client.post("/v1/invitations/redemption", json={"code": code}, headers=keyed)
    assert again.status_code == 409 and first.json()["token"] not in again.text  # held, never answered again
    assert again.headers.get("Idempotent-Replayed") is None


def test_a_planted_future_time_never_silences_the_access_log(app_client: TestClient, world: World) -> None:
    """Someone who can write the store plants a far-future 'last recorded' time to hide their reads."""
    settings = client_settings(app_client)
    service = service_of(app_client)
    key = f"{world.mentor_id}:mentor:journal_read:{world.mentorship_id}"
    raw = Raw(settings)
    try:
        raw.run(
            f"INSERT INTO {raw.events.rpartition('.')[0] + '.' if settings.uses_postgres else ''}mentorat_recent_reads "
            "(reader_key, recorded_at) VALUES (?, ?)",
            (key, 32_503_680_000_000_000),  # the year 3000
        )
    finally:
        raw.close()
    before = service.store.position()
    assert app_client.get(f"/v1/mentorships/{world.mentorship_id}/journal", headers=world.mentor).status_code == 200
    assert service.store.position() == before + 1  # recorded all the same
