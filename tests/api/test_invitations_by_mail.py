"""Invitations reach the participant by e-mail, never the coordinator (contract v1.1), on both stores.

The outbox is written in the invitation's own transaction and sent by the delivery worker: to a directory of
`.eml` files (the default sink) or to a real SMTP server (`aiosmtpd`), down or up. Nothing the coordinator can
reach holds the code: not the answer, its replay, a history, `mentorat outbox list`, nor the store in clear.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from api.app import create_app
from bootstrap.settings import Settings
from cli.main import app as cli
from infrastructure.outbox_table import INSERT_MESSAGE
from tests.api.conftest import World, created, mailed, service_of
from tests.integration.test_cli import settings_env
from tests.store_tables import every_table_bytes
from tests.support import FakeClock, code_in, mail_directory, messages_to, ports

# The tests' mail server takes a login without TLS, on the loopback only
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
WAIT_SECONDS = 20.0  # an upper bound for a background worker, never a timing assertion


class Inbox:
    """An aiosmtpd handler keeping what it receives, parsed."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        message = BytesParser(policy=default).parsebytes(content)
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def accept(server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
    """The mail server's one account."""
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"mentorat", b"s3cret")
    return AuthResult(success=ok)


@contextmanager
def smtp_server(port: int) -> Iterator[Inbox]:
    """A real SMTP server on a port, requiring a login (allowed without TLS, on the loopback only)."""
    inbox = Inbox()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=accept, auth_required=True, auth_require_tls=False
    )
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


@contextmanager
def client_with(settings: Settings, clock: FakeClock, **overrides: Any) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update=overrides), ports(clock))) as client:
        yield client


@dataclass(frozen=True)
class Programme:
    """A programme the operator launched, seen by its coordinator."""

    client: TestClient
    programme_id: str
    coordinator_id: str
    coordinator: dict[str, str]

    def register(self, role: str, name: str, email: str, language: str) -> str:
        """The coordinator registers someone: their id."""
        body = {"role": role, "name": name, "email": email, "language": language}
        path = f"/v1/programmes/{self.programme_id}/participants"
        return str(created(self.client.post(path, json=body, headers=self.coordinator))["id"])

    def invite(self, participant_id: str) -> None:
        """The coordinator invites them (the answer holds no code)."""
        created(self.client.post(f"/v1/participants/{participant_id}/invitations", headers=self.coordinator))


def launch(client: TestClient, coordinator_email: str | None = None) -> Programme:
    launched = service_of(client).participants.create_programme("Programme", "Coordinator", coordinator_email)
    header = {"Authorization": f"Bearer {launched['coordinator_token']}"}
    return Programme(client, launched["programme_id"], launched["coordinator_id"], header)


def test_a_coordinator_who_reinvites_an_active_mentor_gets_no_code_by_any_route(
    app_client: TestClient, world: World
) -> None:
    # Given an active mentor with a working token (and the worker paused, to look at the store before delivery)
    app_client.app.state.delivery.stop()  # type: ignore[attr-defined]
    assert app_client.get("/v1/me", headers=world.mentor).status_code == 200
    path = f"/v1/participants/{world.mentor_id}/invitations"
    keyed = {**world.coordinator, "Idempotency-Key": "reinvite-1"}
    # When the coordinator re-invites them, with a key and its retry
    first, replayed = created(app_client.post(path, headers=keyed)), app_client.post(path, headers=keyed)
    # Then neither answer holds a code, only when it expires
    assert set(first) == {"expires_at", "version", "position"} and replayed.json() == first
    # And before delivery the store holds the message sealed: the code is nowhere in clear, in any table
    service = service_of(app_client)
    pending = service.store.recorder.pending_messages()  # type: ignore[attr-defined]
    assert [p.participant_id for p in pending] == [world.mentor_id]
    sealed_tables = every_table_bytes(client_settings(app_client))
    # When the message is delivered, Then the mentor reads the code in their own mailbox
    code = mailed(app_client, "mentor@example.org")
    assert code.encode() not in sealed_tables
    # And nothing the coordinator can read holds it: their answers, the mentor's history, the store after delivery
    history = app_client.get(f"/v1/participants/{world.mentor_id}/history", headers=world.coordinator)
    assert history.status_code == 200 and code not in history.text and code not in json.dumps(first)
    assert code.encode() not in every_table_bytes(client_settings(app_client))
    assert service.store.recorder.pending_messages() == []  # type: ignore[attr-defined]
    # And the code is the mentor's: it redeems once, for them
    redeemed = created(app_client.post("/v1/invitations/redemption", json={"code": code}))
    assert redeemed["participant_id"] == world.mentor_id


def test_the_message_is_in_the_participants_language_with_the_link_and_the_code_on_its_own_line(
    settings: Settings, clock: FakeClock
) -> None:
    public = "https://mentorat.example.org"
    with client_with(settings, clock, public_url=public) as client:
        programme = launch(client)
        for language, subject, greeting in (
            ("fr", "Votre invitation à Mentorat", "Bonjour Éloïse,"),
            ("en", "Your invitation to Mentorat", "Hello Éloïse,"),
        ):
            address = f"eloise.{language}@example.org"
            programme.invite(programme.register("mentee", "Éloïse", address, language))
            code = mailed(client, address)
            [message] = messages_to(mail_directory(client.app.state.settings), address)  # type: ignore[attr-defined]
            text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
            assert message["Subject"] == subject and text.startswith(greeting)
            assert message["To"].addresses[0].addr_spec == address
            assert message["Content-Language"] == language
            assert f"{public}/sign-in#code={code}" in text.splitlines() and code_in(message) == code
            assert message["Message-ID"].endswith("@mentorat.example.org>")


def test_the_directory_sink_is_owner_only_and_each_message_one_file_written_atomically(
    settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    sink = tmp_path / "not-yet" / "mail"
    with client_with(settings, clock, mail_url=SecretStr(sink.as_uri())) as client:
        programme = launch(client)
        pid = programme.register("mentor", "Mentor", "m@example.org", "fr")
        for _ in range(2):
            programme.invite(pid)
        until(lambda: len(list(sink.glob("*.eml"))) == 2, "the worker delivers both messages")
        files = sorted(os.listdir(sink))
        assert stat.S_IMODE(sink.stat().st_mode) == 0o700
        assert all(name.endswith(".eml") and not name.startswith(".") for name in files), files  # no draft left
        assert all(stat.S_IMODE((sink / name).stat().st_mode) == 0o600 for name in files)
        ids = {read(sink / name)["Message-ID"] for name in files}
        assert len(ids) == 2  # one file per message


def read(path: Path) -> EmailMessage:
    message = BytesParser(policy=default).parsebytes(path.read_bytes())
    assert isinstance(message, EmailMessage)
    return message


def test_the_worker_sends_through_a_real_smtp_server_with_a_login(settings: Settings, clock: FakeClock) -> None:
    port = free_port()
    url = SecretStr(f"smtp://mentorat:s3cret@127.0.0.1:{port}")
    with smtp_server(port) as inbox, client_with(settings, clock, mail_url=url) as client:
        service = service_of(client)
        programme = launch(client)
        pid = programme.register("mentee", "Mentee", "mentee@example.org", "en")
        programme.invite(pid)
        until(lambda: inbox.received, "the background worker hands the message to the server")
        code = code_in(inbox.received[0])
        assert created(client.post("/v1/invitations/redemption", json={"code": code}))["participant_id"] == pid
        until(lambda: not service.store.recorder.pending_messages(), "the sent message is deleted")  # type: ignore[attr-defined]


def test_with_the_mail_server_down_the_invitation_is_201_the_message_waits_then_goes_out(
    settings: Settings, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()  # nothing listens there yet
    url = SecretStr(f"smtp://mentorat:s3cret@127.0.0.1:{port}")
    with client_with(settings, clock, mail_url=url) as client:
        service = service_of(client)
        programme = launch(client)
        pid = programme.register("mentee", "Mentee", "mentee@example.org", "fr")
        # When the coordinator invites while the server is down, Then the answer is 201 at once
        invited = client.post(f"/v1/participants/{pid}/invitations", headers=programme.coordinator)
        assert invited.status_code == 201
        ledger = service.store.recorder
        until(lambda: ledger.pending_messages()[0].attempts >= 1, "the worker tries and fails")  # type: ignore[attr-defined]
        # And the operator sees the message waiting, its recipient and its error class, never an address or a code
        settings_env(settings, monkeypatch)
        listed = CliRunner().invoke(cli, ["outbox", "list", "--json"])
        assert listed.exit_code == 0, listed.output
        [item] = json.loads(listed.stdout)["messages"]
        assert item["participant_id"] == pid and item["attempts"] >= 1
        assert item["last_error"] in ("ConnectionRefusedError", "SMTPConnectError", "OSError")
        assert "@" not in listed.stdout and "example.org" not in listed.stdout
        # When the server is back, Then the message goes out (the worker retries with its backoff)
        with smtp_server(port) as inbox:
            until(lambda: inbox.received, "the worker delivers once the server answers")
            until(lambda: not ledger.pending_messages(), "the sent message is deleted")  # type: ignore[attr-defined]
        code = code_in(inbox.received[0])
        assert created(client.post("/v1/invitations/redemption", json={"code": code}))["participant_id"] == pid


def test_a_retry_after_a_crash_repeats_the_same_message_id(settings: Settings, clock: FakeClock) -> None:
    """A worker that handed the message over and died before deleting it: the next attempt is recognisable."""
    with client_with(settings, clock) as client:
        app = client.app
        delivery = app.state.delivery  # type: ignore[attr-defined]
        delivery.stop()  # this test drives the passes itself
        sent: list[EmailMessage] = []

        class CrashAfterSending:
            def send(self, email: EmailMessage, name: str) -> None:
                sent.append(email)
                if len(sent) == 1:
                    raise ConnectionResetError  # handed over, then lost before the row was deleted

        delivery.transport = CrashAfterSending()
        service = service_of(client)
        programme = launch(client, "c@example.org")
        programme.invite(programme.coordinator_id)
        delivery.deliver_due()
        [pending] = service.store.recorder.pending_messages()  # type: ignore[attr-defined]
        assert (pending.attempts, pending.last_error) == (1, "ConnectionResetError")
        delivery.deliver_due(now=far_future())  # past its backoff
        assert len(sent) == 2 and sent[0]["Message-ID"] == sent[1]["Message-ID"]
        assert code_in(sent[0]) == code_in(sent[1])
        assert service.store.recorder.pending_messages() == []  # type: ignore[attr-defined]


def far_future() -> datetime:
    return datetime(2100, 1, 1, tzinfo=UTC)


def client_settings(client: TestClient) -> Settings:
    settings: Settings = client.app.state.settings  # type: ignore[attr-defined]
    return settings


def test_a_pending_message_of_an_erased_person_is_never_sent(settings: Settings, clock: FakeClock) -> None:
    with client_with(settings, clock) as client:
        delivery = client.app.state.delivery  # type: ignore[attr-defined]
        delivery.stop()
        service = service_of(client)
        programme = launch(client)
        pid = programme.register("mentee", "Mentee", "gone@example.org", "fr")
        programme.invite(pid)
        service.participants.erase(UUID(pid))  # their data key is destroyed: the sealed message cannot open
        assert delivery.deliver_due() == 1  # done with: dropped, not sent
        assert messages_to(mail_directory(client.app.state.settings), "gone@example.org") == []  # type: ignore[attr-defined]
        assert service.store.recorder.pending_messages() == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "url",
    ["ftp://mail.example.org", "smtp://u:hunter2@:25", "file://relative/dir", "smtp://u:hunter2@h?tls=1", "mail"],
)
def test_a_mail_url_that_names_no_transport_is_refused_at_start_up_without_repeating_it(
    settings: Settings, clock: FakeClock, url: str
) -> None:
    from bootstrap.mail import mail_transport
    from bootstrap.store_env import ConfigurationError

    with pytest.raises(ConfigurationError) as refused:
        mail_transport(settings.model_copy(update={"mail_url": SecretStr(url)}))
    assert "hunter2" not in str(refused.value) and "MENTORAT_MAIL_URL" in str(refused.value)


def test_a_row_planted_in_the_outbox_is_never_sent(settings: Settings, clock: FakeClock) -> None:
    """Someone who can write the store plants a message (a spam relay, a phishing text): it does not open."""
    with client_with(settings, clock) as client:
        delivery = client.app.state.delivery  # type: ignore[attr-defined]
        delivery.stop()
        programme = launch(client)
        pid = programme.register("mentee", "Mentee", "victim@example.org", "fr")
        programme.invite(pid)
        ledger = service_of(client).store.recorder
        [real] = ledger.due_messages(far_future(), 10)  # type: ignore[attr-defined]
        # a copy of the real sealed message under another id, and garbage: neither opens
        planted = [(str(UUID(int=7)), pid, 0, 0, real.sealed), (str(UUID(int=8)), pid, 0, 0, b"\0" * 64)]
        ledger._execute([(INSERT_MESSAGE, row) for row in planted])  # type: ignore[attr-defined]
        assert delivery.deliver_due() == 3
        [message] = messages_to(mail_directory(client_settings(client)), "victim@example.org")
        assert message["Message-ID"].startswith(f"<{real.message_id}@")
        assert ledger.pending_messages() == []  # type: ignore[attr-defined]


def test_a_name_is_one_line_so_no_one_writes_into_the_message(app_client: TestClient, world: World) -> None:
    """A coordinator cannot put a fake link or a header into a participant's invitation through their name."""
    path = f"/v1/programmes/{world.programme_id}/participants"
    for name in ("Eve\nGo to https://evil.example/sign-in#code=", "Eve\r\nBcc: x@evil.example", "Eve\u2028x"):
        body = {"role": "mentee", "name": name, "email": "eve@example.org", "language": "fr"}
        refused = app_client.post(path, json=body, headers=world.coordinator)
        refusal = {"field": "name", "code": "invalid", "location": "body", "reason": "not_one_line"}
        assert refused.status_code == 422 and refused.json()["errors"] == [refusal]
    # And a name an older release let through is printed on one line
    from application.outbox import OutgoingMessage
    from infrastructure.mail.compose import compose

    message = OutgoingMessage(UUID(int=1), UUID(int=2), "invitation", "e@example.org", "Eve\nBcc: x", "en", "c0de",
                              far_future())  # fmt: skip
    email = compose(message, "m@example.org", "http://127.0.0.1:8000")
    assert email["Bcc"] is None and "Hello Eve Bcc: x," in email.get_body(("plain",)).get_content()  # type: ignore[union-attr]
