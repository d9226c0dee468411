"""Use cases about programmes, participants and their credentials."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from functools import cached_property
from uuid import UUID

from application.access_index import AccessIndex
from application.authorization import Caller, programme_actor
from application.credentials import ID_PURPOSE, CredentialKeys
from application.errors import NotFound, Unauthenticated
from application.mentorat import CommandResult, Mentorat, check_version
from application.outbox import INVITATION_MESSAGE, OutgoingMessage
from application.ports import Ports
from domain.credential import INVITATION, ONE_TIME, SIGN_IN, TOKEN, Credential
from domain.errors import Forbidden, InvalidValue, Reason
from domain.participant import ERASED_NAME, Participant
from domain.permissions import Action, may_act_on
from domain.programme import Programme
from domain.programme_settings import ProgrammeSettings
from domain.values import Actor, Role

SECRET_BYTES = 32  # 256 bits for codes and tokens
MAX_SECRET = 200  # longer is no code or token of ours
ParticipantRef = UUID | Participant  # an id, or the participant the request already loaded for its scope check


def served_name(participant: Participant) -> str:
    """The name to show: `[erased]` when it cannot be read (erased, or its key gone before the erasure is read)."""
    return participant.name if isinstance(participant.name, str) else ERASED_NAME


def served_email(participant: Participant) -> str | None:
    """The e-mail to show: null when it cannot be read."""
    return participant.email if isinstance(participant.email, str) else None


class ParticipantCommands:
    """Launch programmes, register and invite participants, redeem codes, authenticate tokens."""

    def __init__(self, store: Mentorat, ports: Ports) -> None:
        self.store = store
        self.ports = ports

    def create_programme(
        self,
        name: str,
        coordinator_name: str,
        coordinator_email: str | None,
        default_months: int = 10,
        settings: ProgrammeSettings | None = None,
    ) -> dict[str, str]:
        """Operator: launch a programme with its coordinator, whose invitation is issued and redeemed at once."""
        now, operator = self.ports.clock(), Actor.operator()
        settings = settings or ProgrammeSettings(default_months=default_months)
        programme = Programme.launch(self.ports.new_id(), name, operator, now, settings=settings)
        coordinator = Participant.register(
            self.ports.new_id(),
            programme.id,
            Role.COORDINATOR,
            coordinator_name,
            coordinator_email,
            "fr",
            operator,
            now,
        )
        _code, invitation = self._issue_invitation(coordinator, operator, now)
        token, credentials = self._redeem(invitation, coordinator, operator, now)
        self.store.commit(programme, coordinator, *credentials)
        return {"programme_id": str(programme.id), "coordinator_id": str(coordinator.id), "coordinator_token": token}

    def register(
        self, caller: Caller, programme_id: UUID, role: str, name: str, email: str | None, language: str
    ) -> CommandResult:
        """A coordinator registers a participant of their programme."""
        actor = programme_actor(caller, programme_id, Action.REGISTER_PARTICIPANT)
        if not may_act_on(Action.REGISTER_PARTICIPANT, role):
            raise Forbidden  # a permission that depends on a body field: checked after validation
        participant = Participant.register(
            self.ports.new_id(), programme_id, role, name, email, language, actor, self.ports.clock()
        )
        return self.store.execute(participant, id=str(participant.id))

    def register_as_operator(
        self, programme_id: UUID, role: str, name: str, email: str | None, language: str
    ) -> CommandResult:
        """Operator: register anyone in a programme; the only way an auditor is registered."""
        self.store.load(Programme, programme_id)
        participant = Participant.register(
            self.ports.new_id(), programme_id, role, name, email, language, Actor.operator(), self.ports.clock()
        )
        return self.store.execute(participant, participant_id=str(participant.id))

    def get(self, participant_id: UUID) -> Participant:
        """A participant as the write side knows it (names and e-mails live only here)."""
        return self.store.load(Participant, participant_id)

    def scope(self, caller: Caller, participant_id: UUID, action: Action) -> Participant:
        """Load the participant once and check the caller may run this action on them (404, then 403)."""
        participant = self.store.load(Participant, participant_id)
        programme_actor(caller, participant.programme_id, action)
        if not may_act_on(action, participant.role):
            raise Forbidden
        return participant

    def _authorized(self, caller: Caller, participant: ParticipantRef, action: Action) -> tuple[Actor, Participant]:
        if not isinstance(participant, Participant):
            participant = self.store.load(Participant, participant)
        actor = programme_actor(caller, participant.programme_id, action)
        if not may_act_on(action, participant.role):
            raise Forbidden
        return actor, participant

    def invite(self, caller: Caller, participant: ParticipantRef, expected_version: int | None = None) -> CommandResult:
        """A coordinator has a new one-time code e-mailed to the participant; the answer never holds it."""
        actor, loaded = self._authorized(caller, participant, Action.INVITE_PARTICIPANT)
        check_version(loaded.version, expected_version)
        code, invitation = self._issue_invitation(loaded, actor, self.ports.clock())  # refuses an inactive person
        email = served_email(loaded)
        if email is None:
            raise InvalidValue("email", reason=Reason.NO_EMAIL_ADDRESS)  # nowhere to send the code: nothing is saved
        message = OutgoingMessage(
            self.ports.new_id(),
            loaded.id,
            INVITATION_MESSAGE,
            email,
            served_name(loaded),
            loaded.language,
            code,
            invitation.expires_at,
        )
        return self.store.execute(loaded, invitation, outbox=[message], expires_at=invitation.expires_at.isoformat())

    def invite_as_operator(self, participant_id: UUID) -> CommandResult:
        """Operator: a new invitation whose code the operator hands over in person (answered, never e-mailed)."""
        participant = self.store.load(Participant, participant_id)
        code, invitation = self._issue_invitation(participant, Actor.operator(), self.ports.clock())
        return self.store.execute(participant, invitation, code=code, expires_at=invitation.expires_at.isoformat())

    def redeem(self, code: str) -> CommandResult:
        """Anyone holding a valid invitation or sign-in code exchanges it for a bearer token; otherwise not-found."""
        now = self.ports.clock()
        invitation = self._credential(code, ONE_TIME, now)
        participant = self.store.load(Participant, invitation.participant_id)
        if not participant.active:
            raise NotFound
        actor = Actor(participant.id, participant.role)
        token, credentials = self._redeem(invitation, participant, actor, now)
        return self.store.execute(
            participant,
            *credentials,
            replayable=False,  # its answer is a bearer token: never stored, whatever the request's headers
            token=token,
            participant_id=str(participant.id),
            expires_at=credentials[1].expires_at.isoformat(),
            language=participant.language,  # the web app's default language for the session (not in the API's body)
        )

    def revoke(self, token: str) -> None:
        """Its holder revokes a bearer token (signing out of the web app): it authenticates no one from then on."""
        caller = self.authenticate(token)
        credential = self.store.load(Credential, self.keys.id_of(token))
        credential.revoke(Actor(caller.id, caller.role), self.ports.clock())
        self.store.execute(credential)

    def authenticate(self, token: str) -> Caller:
        """The participant holding this unexpired token, if still active: one indexed lookup, no replay."""
        index = self.store.recorder
        if not isinstance(index, AccessIndex):  # a recorder of the library's own: replay the aggregates
            return self._authenticate_by_replay(token)
        if not token or len(token) > MAX_SECRET:
            raise Unauthenticated
        found = index.holder(self.keys.id_of(token))
        if found is None:
            raise Unauthenticated
        row, person = found
        if row.kind != TOKEN or row.used or not self.ports.clock() < row.expires_at or not person.active:
            raise Unauthenticated  # `used`: a revoked token (signed out)
        if not self.keys.holds(row.credential_id, row.participant_id, row.kind, row.expires_at, row.binding):
            raise Unauthenticated  # a row this server did not write: nobody's
        return Caller(person.participant_id, person.role, person.programme_id)

    def _authenticate_by_replay(self, token: str) -> Caller:
        now = self.ports.clock()
        try:
            credential = self._credential(token, {TOKEN}, now)
            participant = self.store.load(Participant, credential.participant_id)
        except NotFound:
            raise Unauthenticated from None
        if not participant.active:
            raise Unauthenticated
        return Caller(participant.id, participant.role, participant.programme_id)

    def deactivate(
        self, caller: Caller, participant: ParticipantRef, expected_version: int | None = None
    ) -> CommandResult:
        """A coordinator deactivates a participant: all their tokens stop at once."""
        actor, loaded = self._authorized(caller, participant, Action.DEACTIVATE_PARTICIPANT)
        check_version(loaded.version, expected_version)
        loaded.deactivate(actor, self.ports.clock())
        return self.store.execute(loaded)

    def erase(self, participant_id: UUID) -> CommandResult:
        """Operator: record a person's erasure, then destroy their data key (crypto-shredding).

        The event comes first: a key destroyed without it would leave a person unreadable but not erased.
        Erasing again records nothing and destroys the key once more (completing an interrupted erasure);
        its answer says so (`already_erased`).
        """
        participant = self.store.load(Participant, participant_id)
        if participant.erased:
            self.store.forget(participant_id)
            return CommandResult(participant.id, participant.version, self.store.position(), {"already_erased": True})
        participant.erase(Actor.operator(), self.ports.clock())
        result = self.store.execute(participant)
        self.store.forget(participant_id)
        return result

    @cached_property
    def keys(self) -> CredentialKeys:
        """The keyed functions of credentials (the store with keys derives their secret from the master key)."""
        return CredentialKeys(self.store.derived_secret(ID_PURPOSE))

    def _credential(self, secret: str, kinds: Collection[str], now: datetime) -> Credential:
        if not secret or len(secret) > MAX_SECRET:
            raise NotFound
        credential = self.store.load(Credential, self.keys.id_of(secret))
        if credential.kind not in kinds or not credential.is_valid(credential.kind, now):
            raise NotFound
        if not self.keys.holds(
            credential.id, credential.participant_id, credential.kind, credential.expires_at, credential.binding
        ):
            raise NotFound  # a row this server did not write (or an unkeyed one from before): nobody's
        return credential

    def issued(
        self, secret: str, participant_id: UUID, kind: str, expires_at: datetime, actor: Actor, now: datetime
    ) -> Credential:
        """A new credential named by its secret's keyed hash, with this server's binding (never the secret)."""
        credential_id = self.keys.id_of(secret)
        binding = self.keys.binding(credential_id, participant_id, kind, expires_at)
        return Credential.issue(credential_id, binding, participant_id, kind, expires_at, actor, now)

    def _issue_invitation(self, participant: Participant, actor: Actor, now: datetime) -> tuple[str, Credential]:
        code = self.ports.new_secret(SECRET_BYTES)
        expires_at = now + self.ports.invitation_ttl
        invitation = self.issued(code, participant.id, INVITATION, expires_at, actor, now)
        participant.issue_invitation(invitation.id, expires_at, actor, now)
        return code, invitation

    def _redeem(
        self, invitation: Credential, participant: Participant, actor: Actor, now: datetime
    ) -> tuple[str, tuple[Credential, Credential]]:
        token = self.ports.new_secret(SECRET_BYTES)
        expires_at = now + self.ports.token_ttl
        token_credential = self.issued(token, participant.id, TOKEN, expires_at, actor, now)
        invitation.use(actor, now)
        if invitation.kind == SIGN_IN:
            participant.redeem_sign_in_code(invitation.id, token_credential.id, expires_at, actor, now)
        else:
            participant.redeem_invitation(invitation.id, token_credential.id, expires_at, actor, now)
        return token, (invitation, token_credential)
