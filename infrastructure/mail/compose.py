"""An invitation e-mail in the recipient's language: the sign-in link (code in the fragment) and the code alone."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from urllib.parse import urlsplit

from babel.dates import format_datetime as localized_datetime

from application.outbox import SIGN_IN_MESSAGE, OutgoingMessage
from infrastructure.times import now_utc
from infrastructure.translations import DEFAULT_LANGUAGE, LANGUAGES, translations


def message_id_header(message: OutgoingMessage, public_url: str) -> str:
    """A Message-ID that every attempt at this message repeats, so a retry after a crash is recognisable."""
    host = urlsplit(public_url).hostname or "mentorat.localhost"
    return f"<{message.message_id}@{host}>"


def sign_in_link(public_url: str, code: str) -> str:
    """The link to the sign-in page; the code is in the fragment, so no server log or Referer ever sees it."""
    return f"{public_url.rstrip('/')}/sign-in#code={code}"


def code_of(email: EmailMessage) -> str:
    """The code an invitation carries (the fragment of its sign-in link): how a mailbox reader finds it."""
    body = email.get_body(("plain",))
    text = body.get_content() if isinstance(body, EmailMessage) else ""
    found = re.search(r"/sign-in#code=([A-Za-z0-9_-]+)", text)
    if found is None:
        raise LookupError("no sign-in link in this message")
    return found.group(1)


def language_of(message: OutgoingMessage) -> str:
    """The message's language, French when it has none of ours."""
    return message.language if message.language in LANGUAGES else DEFAULT_LANGUAGE


def compose(message: OutgoingMessage, sender: str, public_url: str) -> EmailMessage:
    """The RFC 5322 message of an invitation or a sign-in code (the same form, other words), text only."""
    t = translations(message.language)
    if message.kind == SIGN_IN_MESSAGE:
        subject = t.gettext("Your sign-in code for Mentorat")
        opening = t.gettext("You asked to sign in to Mentorat. To sign in, open this link:")
    else:
        subject = t.gettext("Your invitation to Mentorat")
        opening = t.gettext("You are invited to your mentoring programme on Mentorat. To sign in, open this link:")
    name = " ".join(message.name.split())  # one line, whatever an older release let a name hold
    expires = localized_datetime(message.expires_at, "long", locale=language_of(message))
    lines = [
        t.gettext("Hello {name},").format(name=name),
        "",
        opening,
        sign_in_link(public_url, message.code),
        "",
        t.gettext("Or enter this code on the sign-in page:"),
        message.code,
        "",
        t.gettext("This code works once and expires on {expires}.").format(expires=expires),
        "",
        t.gettext(
            "Nobody from the programme will ever ask you for this code. "
            "If you were not expecting this message, ignore it."
        ),
    ]
    email = EmailMessage()
    email["Subject"] = subject
    email["From"] = sender
    email["To"] = formataddr((name, message.email))
    email["Date"] = format_datetime(now_utc())
    email["Message-ID"] = message_id_header(message, public_url)
    email["Auto-Submitted"] = "auto-generated"
    # 8bit keeps the link and the code readable as written (quoted-printable would turn `=` into `=3D`)
    email.set_content("\n".join(lines) + "\n", charset="utf-8", cte="8bit")
    email["Content-Language"] = language_of(message)  # after the content: setting it clears Content-* headers
    return email
