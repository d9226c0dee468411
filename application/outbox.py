"""Messages the application sends: written in the command's own transaction, delivered later by a worker.

An invitation's code reaches the participant this way and never the caller's answer. The application
hands `OutgoingMessage`s to `Mentorat.execute(..., outbox=...)`; the store with keys seals each one under
the recipient's data key and the recorder writes it beside the events (`infrastructure/outbox_table.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

INVITATION_MESSAGE = "invitation"
SIGN_IN_MESSAGE = "sign-in"  # a code asked for at `POST /v1/sign-in`: the same form, other words


@dataclass(frozen=True)
class OutgoingMessage:
    """One e-mail to one participant: what it says is rendered at delivery, in their language."""

    message_id: UUID  # stable across retries: the Message-ID header is derived from it
    participant_id: UUID
    kind: str
    email: str
    name: str
    language: str
    code: str
    expires_at: datetime
