"""Test helpers: a settable clock and predictable ports."""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from pathlib import Path
from urllib.parse import unquote, urlsplit
from uuid import UUID

from application.authorization import Caller
from application.ports import Ports
from application.service import MentoratService
from bootstrap.settings import Settings
from infrastructure.mail.compose import code_of
from infrastructure.mail.delivery import Delivery

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
URL = "http://127.0.0.1:8000"


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move forward by a timedelta's keyword arguments; answer the new time."""
        self.now += timedelta(**delta)
        return self.now


class IssuedSecrets:
    """The real secret source, remembering what it issued (so a test knows an e-mailed code without a mailbox)."""

    def __init__(self) -> None:
        self.issued: list[str] = []

    def __call__(self, nbytes: int) -> str:
        secret = secrets.token_urlsafe(nbytes)
        self.issued.append(secret)
        return secret


def ports(clock: FakeClock, token_days: int = 30) -> Ports:
    """Ports with the fake clock, the real id source and the real secret source (remembering what it issued)."""
    return Ports(clock=clock, token_ttl=timedelta(days=token_days), new_secret=IssuedSecrets())


def fuzz_examples(default: int) -> int:
    """How many generated cases a property test runs: `MENTORAT_FUZZ_EXAMPLES` (`make fuzz`), else `default`."""
    return int(os.environ.get("MENTORAT_FUZZ_EXAMPLES", str(default)))


def mail_directory(settings: Settings) -> Path:
    """The directory the file sink writes messages to (`MENTORAT_MAIL_URL=file:///...`)."""
    parts = urlsplit(settings.mail_target)
    assert parts.scheme == "file", "the tests' settings send mail to a directory"
    return Path(unquote(parts.path))


def read_mail(path: Path) -> EmailMessage:
    """One `.eml` file, parsed."""
    with path.open("rb") as source:
        message = BytesParser(policy=default).parse(source)
    assert isinstance(message, EmailMessage)
    return message


def messages_to(directory: Path, address: str) -> list[EmailMessage]:
    """The messages delivered to an address, oldest first."""
    files = sorted(directory.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns) if directory.exists() else []
    return [m for m in map(read_mail, files) if address in str(m["To"])]


def code_in(message: EmailMessage) -> str:
    """The invitation code of a message: in the sign-in link's fragment, and alone on a line."""
    code = code_of(message)
    body = message.get_body(("plain",))
    assert isinstance(body, EmailMessage) and code in body.get_content().splitlines(), "the code is not on its own line"
    return code


def mailed_code(delivery: Delivery, settings: Settings, address: str) -> str:
    """Deliver what is due now, then the code of the newest message to this address."""
    delivery.deliver_due()
    received = messages_to(mail_directory(settings), address)
    assert received, "no message was delivered to the participant"
    return code_in(received[-1])


def invited(service: MentoratService, caller: Caller, participant_id: UUID) -> str:
    """A coordinator invites a participant: the code the outbox will e-mail them.

    Read from the tests' secret source, for tests about something other than mail (the app's own delivery
    worker may send the message first); `mailed_code` reads it from the mailbox, as the participant does.
    """
    source = service.ports.new_secret
    assert isinstance(source, IssuedSecrets), "the service's ports come from tests.support.ports"
    before = len(source.issued)
    service.participants.invite(caller, participant_id)
    [code] = source.issued[before:]
    return code
