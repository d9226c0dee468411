"""A participant: one aggregate per person, so a large programme is never one contended aggregate."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from domain.errors import InvalidValue, MenteeHasConvention, ParticipantInactive, Reason
from domain.events import MentoratAggregate, MentoratCreated, MentoratEvent
from domain.values import Actor, Language, Role, check_text

ERASED_NAME = "[erased]"
MAX_NAME, MAX_EMAIL = 200, 320
SIGN_IN_CODES_PER_HOUR = 5  # beyond, a sign-in request sends nothing (and says nothing: the answer is the same)
SIGN_IN_WINDOW = timedelta(hours=1)


class SignInLimitReached(Exception):
    """Five sign-in codes in the last hour: no other until the oldest is an hour old.

    Not a `DomainError`: no HTTP answer ever carries it (a sign-in request answers 202 whatever happens).
    """


def one_line(text: str) -> bool:
    """No line break, tab or other control character."""
    return not any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in text)


class Participant(MentoratAggregate):
    """A mentor, mentee, coordinator or auditor of one programme."""

    class ParticipantRegistered(MentoratCreated):
        """A person joined a programme with a role."""

        programme_id: UUID
        role: str
        name: str
        email: str | None
        language: str

    class InvitationIssued(MentoratEvent):
        """A one-time invitation code was issued (only its hash-derived id is kept)."""

        credential_id: UUID
        expires_at: datetime

        def apply(self, aggregate: Any) -> None:
            """Nothing to change: the credential holds the code's state."""

    class InvitationRedeemed(MentoratEvent):
        """An invitation was exchanged for a bearer token."""

        invitation_id: UUID
        token_id: UUID
        expires_at: datetime

        def apply(self, aggregate: Any) -> None:
            """Nothing to change: the credential holds the token's state."""

    class SignInCodeIssued(MentoratEvent):
        """A one-time sign-in code was e-mailed on request (only its keyed id is kept: never the code or address)."""

        credential_id: UUID
        expires_at: datetime

        def apply(self, aggregate: Any) -> None:
            """Remember when, for the hourly limit (the last few issues are all it needs)."""
            aggregate.sign_in_codes = (*aggregate.sign_in_codes, self.occurred_at)[-SIGN_IN_CODES_PER_HOUR:]

    class SignInCodeRedeemed(MentoratEvent):
        """A sign-in code was exchanged for a bearer token."""

        credential_id: UUID
        token_id: UUID
        expires_at: datetime

        def apply(self, aggregate: Any) -> None:
            """Nothing to change: the credential holds the token's state."""

    class ParticipantDeactivated(MentoratEvent):
        """The participant lost access; their tokens stop working."""

        def apply(self, aggregate: Any) -> None:
            """Mark inactive."""
            aggregate.active = False

    class ParticipantErased(MentoratEvent):
        """The person's personal data and texts were erased on request."""

        def apply(self, aggregate: Any) -> None:
            """Forget the personal data held in state."""
            aggregate.erased = True
            aggregate.active = False
            aggregate.name = ERASED_NAME
            aggregate.email = None

    class ConventionAssigned(MentoratEvent):
        """The mentee now has a drafted convention (saved with the draft)."""

        mentorship_id: UUID

        def apply(self, aggregate: Any) -> None:
            """Remember the current convention."""
            aggregate.convention_id = self.mentorship_id

    class ConventionReleased(MentoratEvent):
        """The mentee's convention was withdrawn or ended (saved with it)."""

        mentorship_id: UUID

        def apply(self, aggregate: Any) -> None:
            """Forget the current convention."""
            aggregate.convention_id = None

    def __init__(self, programme_id: UUID, role: str, name: str, email: str | None, language: str, **_: Any) -> None:
        self.programme_id = programme_id
        self.role = role
        self.name = name
        self.email = email
        self.language = language
        self.active = True
        self.erased = False
        self.convention_id: UUID | None = None
        self.sign_in_codes: tuple[datetime, ...] = ()  # when the latest sign-in codes were issued (at most 5)

    @classmethod
    def register(
        cls,
        participant_id: UUID,
        programme_id: UUID,
        role: str,
        name: str,
        email: str | None,
        language: str,
        actor: Actor,
        now: datetime,
    ) -> Participant:
        """Register a person in a programme."""
        if role not in set(Role):
            raise InvalidValue("role", reason=Reason.NOT_AN_ENUM_VALUE)
        if language not in set(Language):
            raise InvalidValue("language", reason=Reason.NOT_AN_ENUM_VALUE)
        check_text("name", name, required=True)
        if len(name) > MAX_NAME:
            raise InvalidValue("name", reason=Reason.TOO_LONG)
        if not one_line(name):
            raise InvalidValue("name", reason=Reason.NOT_ONE_LINE)  # it is printed into messages sent to the person
        if email is not None and len(email) > MAX_EMAIL:
            raise InvalidValue("email", reason=Reason.TOO_LONG)
        if email is not None and "@" not in email:
            raise InvalidValue("email", reason=Reason.MALFORMED)
        return cls._create(
            cls.ParticipantRegistered,
            id=participant_id,
            programme_id=programme_id,
            role=role,
            name=name,
            email=email,
            language=language,
            actor_id=actor.id,
            actor_role=actor.role,
            occurred_at=now,
            timestamp=now,
        )

    def check_active(self) -> None:
        """Refuse if deactivated."""
        if not self.active:
            raise ParticipantInactive

    def issue_invitation(self, credential_id: UUID, expires_at: datetime, actor: Actor, now: datetime) -> None:
        """Record a new invitation for this participant."""
        self.check_active()
        self._happen(
            self.InvitationIssued, actor.id, actor.role, now, credential_id=credential_id, expires_at=expires_at
        )

    def redeem_invitation(
        self, invitation_id: UUID, token_id: UUID, expires_at: datetime, actor: Actor, now: datetime
    ) -> None:
        """Record the exchange of an invitation for a token."""
        self.check_active()
        self._happen(
            self.InvitationRedeemed,
            actor.id,
            actor.role,
            now,
            invitation_id=invitation_id,
            token_id=token_id,
            expires_at=expires_at,
        )

    def may_receive_sign_in_code(self, now: datetime) -> bool:
        """Active, and fewer than 5 sign-in codes issued in the last hour."""
        recent = [at for at in self.sign_in_codes if now - at < SIGN_IN_WINDOW]
        return self.active and len(recent) < SIGN_IN_CODES_PER_HOUR

    def issue_sign_in_code(self, credential_id: UUID, expires_at: datetime, actor: Actor, now: datetime) -> None:
        """Record a sign-in code for this participant: refused when inactive or over the hourly limit."""
        self.check_active()
        if not self.may_receive_sign_in_code(now):
            raise SignInLimitReached
        self._happen(
            self.SignInCodeIssued, actor.id, actor.role, now, credential_id=credential_id, expires_at=expires_at
        )

    def redeem_sign_in_code(
        self, credential_id: UUID, token_id: UUID, expires_at: datetime, actor: Actor, now: datetime
    ) -> None:
        """Record the exchange of a sign-in code for a token."""
        self.check_active()
        self._happen(
            self.SignInCodeRedeemed,
            actor.id,
            actor.role,
            now,
            credential_id=credential_id,
            token_id=token_id,
            expires_at=expires_at,
        )

    def deactivate(self, actor: Actor, now: datetime) -> None:
        """Deactivate: every token of this participant stops working."""
        self.check_active()
        self._happen(self.ParticipantDeactivated, actor.id, actor.role, now)

    def erase(self, actor: Actor, now: datetime) -> None:
        """Record the erasure of this person's data (idempotent refusal once erased)."""
        if self.erased:
            raise ParticipantInactive
        self._happen(self.ParticipantErased, actor.id, actor.role, now)

    def assign_convention(self, mentorship_id: UUID, actor: Actor, now: datetime) -> None:
        """A mentee takes at most one drafted or active convention."""
        self.check_active()
        if self.convention_id is not None:
            raise MenteeHasConvention
        self._happen(self.ConventionAssigned, actor.id, actor.role, now, mentorship_id=mentorship_id)

    def release_convention(self, mentorship_id: UUID, actor: Actor, now: datetime) -> None:
        """Free the mentee when their convention is withdrawn or ends."""
        if self.convention_id == mentorship_id:
            self._happen(self.ConventionReleased, actor.id, actor.role, now, mentorship_id=mentorship_id)
