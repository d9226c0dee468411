"""Signing in without a password: a code e-mailed to each active participant holding the address asked for.

`request` runs in the background (`bootstrap/sign_in.py`): the caller's answer never waits for it, so neither
its content nor its timing says whether the address is known. It finds the participants through the blind index
(`application/address_keys.py`), checks each against their own sealed address, and issues each a one-time code
valid 15 minutes, mailed through the outbox in the invitation's form and redeemed as an invitation is. At most 5
codes per address per hour: beyond, nothing is sent (and nothing says so).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from application.access_index import AddressIndex
from application.address_keys import normalised
from application.errors import NotFound, VersionConflict
from application.mentorat import Mentorat
from application.outbox import SIGN_IN_MESSAGE, OutgoingMessage
from application.participants import SECRET_BYTES, ParticipantCommands, served_email, served_name
from application.ports import Ports
from domain.credential import SIGN_IN, Credential
from domain.participant import Participant
from domain.values import Actor

SIGN_IN_TTL = timedelta(minutes=15)
ATTEMPTS = 3  # a command racing on the same participant (another request, a deactivation): load and try again
log = logging.getLogger("mentorat.sign_in")


class SignInCommands:
    """Issue sign-in codes to the participants an address names."""

    def __init__(self, store: Mentorat, ports: Ports, participants: ParticipantCommands) -> None:
        self.store = store
        self.ports = ports
        self.participants = participants

    def request(self, email: str) -> int:
        """Mail a code to each active participant with this address, within the limit: how many were issued.

        The count is for tests and the background step's own use: it never reaches whoever asked.
        """
        for _ in range(ATTEMPTS):
            try:
                return self._issue(email, self.ports.clock())
            except VersionConflict:
                continue
        log.warning("a sign-in request gave up after %d conflicting commands", ATTEMPTS)
        return 0

    def holders(self, email: str) -> list[Participant]:
        """The active participants whose address is this one (the index's rows, checked against their own)."""
        index, keys = self.store.recorder, self.store.address_keys
        if keys is None or not isinstance(index, AddressIndex):
            return []  # a store without keys, or a recorder of the library's own: nobody can be found
        wanted, found = normalised(email), []
        for participant_id in index.holders_of(keys.key_of(email)):
            try:
                person = self.store.load(Participant, participant_id)
            except NotFound:
                continue
            address = served_email(person)
            if person.active and address is not None and normalised(address) == wanted:
                found.append(person)
        return found

    def _issue(self, email: str, now: datetime) -> int:
        people = self.holders(email)
        # The limit is the address's: if any of its participants had 5 codes this hour, none gets another
        if not people or not all(person.may_receive_sign_in_code(now) for person in people):
            return 0
        credentials: list[Credential] = []
        messages: list[OutgoingMessage] = []
        for person in people:
            code = self.ports.new_secret(SECRET_BYTES)
            expires_at = now + SIGN_IN_TTL
            # Whoever asked is anonymous; the code reaches only this participant's mailbox: theirs is the act
            actor = Actor(person.id, person.role)
            credential = self.participants.issued(code, person.id, SIGN_IN, expires_at, actor, now)
            person.issue_sign_in_code(credential.id, expires_at, actor, now)
            credentials.append(credential)
            messages.append(
                OutgoingMessage(
                    self.ports.new_id(),
                    person.id,
                    SIGN_IN_MESSAGE,
                    str(served_email(person)),  # their address as registered (`holders` checked it is one)
                    served_name(person),
                    person.language,
                    code,
                    expires_at,
                )
            )
        self.store.commit(*people, *credentials, outbox=messages)
        return len(people)
