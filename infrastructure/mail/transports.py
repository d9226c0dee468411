"""Where messages go: an SMTP server, or a directory of `.eml` files (development and tests).

`MENTORAT_MAIL_URL` is `smtp://[user[:password]@]host[:port][?starttls=true]` or `file:///absolute/dir`.
Errors never repeat the URL (it may hold a password). Written on the standard library's `smtplib` and
`email`, which do all of it.
"""

from __future__ import annotations

import os
import secrets
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from infrastructure.private_files import OWNER_ONLY_FILE, private_directory

SMTP_TIMEOUT_SECONDS = 10.0


class MailConfigurationError(ValueError):
    """The mail URL describes no transport."""


class Transport(Protocol):
    """Hands one message over; raises on failure (the worker retries)."""

    def send(self, email: EmailMessage, name: str) -> None:
        """Deliver the message (`name`: a stable file-safe name of it)."""


@dataclass(frozen=True)
class DirectorySink:
    """One RFC 5322 `.eml` file per message directly in a directory (created owner-only), written atomically."""

    directory: Path

    def send(self, email: EmailMessage, name: str) -> None:
        private_directory(self.directory)
        final = self.directory / f"{name}.eml"
        draft = self.directory / f".{name}.{secrets.token_hex(4)}.tmp"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY_FILE)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(email.as_bytes(policy=SMTP))
                out.flush()
                os.fsync(out.fileno())
            os.replace(draft, final)  # a retry of the same message replaces its file: one file per message
        except BaseException:
            draft.unlink(missing_ok=True)
            raise


@dataclass
class MemorySink:
    """Messages kept in memory (the demo's own mailbox; not a `MENTORAT_MAIL_URL`)."""

    messages: list[EmailMessage] = field(default_factory=list)

    def send(self, email: EmailMessage, name: str) -> None:
        self.messages.append(email)

    def latest_to(self, address: str) -> EmailMessage:
        """The newest message to an address."""
        found = [email for email in self.messages if address in str(email["To"])]
        if not found:
            raise LookupError("no message to this address")
        latest: EmailMessage = found[-1]
        return latest


@dataclass(frozen=True)
class SmtpServer:
    """A mail server, over plain SMTP or upgraded with STARTTLS; logs in when the URL names a user."""

    host: str
    port: int
    user: str | None
    password: str | None
    starttls: bool

    def send(self, email: EmailMessage, name: str) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS) as server:
            server.ehlo()
            if self.starttls:
                server.starttls(context=ssl.create_default_context())
                server.ehlo()
            if self.user is not None:
                server.login(self.user, self.password or "")
            options = ["BODY=8BITMIME"] if server.has_extn("8bitmime") else []
            server.send_message(email, mail_options=options)


def transport_for(url: str) -> Transport:
    """The transport a mail URL names."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise MailConfigurationError("MENTORAT_MAIL_URL is not a valid URL") from None
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/") or parts.query:
            raise MailConfigurationError("MENTORAT_MAIL_URL must look like file:///absolute/dir")
        return DirectorySink(Path(unquote(parts.path)))
    if parts.scheme == "smtp" and parts.hostname:
        options = parse_qs(parts.query)
        unknown = set(options) - {"starttls"}
        starttls = options.get("starttls", ["false"])[-1].lower()
        if unknown or starttls not in ("true", "false") or parts.fragment or parts.path not in ("", "/"):
            raise MailConfigurationError("MENTORAT_MAIL_URL takes only ?starttls=true|false")
        return SmtpServer(
            host=parts.hostname,
            port=port or 25,
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
            starttls=starttls == "true",
        )
    raise MailConfigurationError("MENTORAT_MAIL_URL must be smtp://[user[:password]@]host[:port] or file:///dir")
