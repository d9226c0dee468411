"""A history with a unique marker in every confidential and personal field, and what an attacker reads of a dump.

Every text and every name and e-mail of a person starts with `Marks.of(who)`, so a test can tell whose data
it finds; `recover` is the attacker: given a store's bytes and the master key, it carves wrapped keys out of the
bytes, unwraps them and decrypts every sealed field it can find (AES-CTR: no associated data needed).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID, uuid4

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from application.authorization import Caller
from application.service import MentoratService
from infrastructure.data_keys import NONCE_BYTES, WRAP_CONTEXT
from tests.support import FakeClock, invited

START = date(2026, 1, 1)
WRAPPED_BYTES = NONCE_BYTES + 32 + 16
SEALED = re.compile(rb"([0-9a-f]{32}):([A-Za-z0-9+/]{24,}={0,2})")
HEX = re.compile(rb"(?:\\x|X')([0-9a-fA-F]{32,})")  # bytea in a pg_dump, blobs in a SQLite dump


@dataclass(frozen=True)
class Marks:
    """A run's markers: `of(who)` starts every text, name and e-mail of that person."""

    run: str = field(default_factory=lambda: "cx" + uuid4().hex[:16])

    def of(self, who: str) -> str:
        return f"{self.run}-{who}-"

    def text(self, who: str, place: str) -> str:
        return f"{self.of(who)}{place}"

    def name(self, who: str) -> str:
        return f"{self.of(who)}name"

    def email(self, who: str) -> str:
        return f"{self.of(who)}mail@example.org"


@dataclass
class Cast:
    """The people of the history (authenticated, with their tokens) and the mentorship."""

    coordinator: Caller
    mentor: Caller
    mentee: Caller
    tokens: dict[str, str]
    mentorship_id: UUID


def join(service: MentoratService, coordinator: Caller, who: str, marks: Marks) -> tuple[Caller, str]:
    """Register a participant under marked name and e-mail, invite and redeem: them, and their token."""
    people = service.participants
    registered = people.register(coordinator, coordinator.programme_id, who, marks.name(who), marks.email(who), "fr")
    token = people.redeem(invited(service, coordinator, registered.aggregate_id)).data["token"]
    return people.authenticate(token), str(token)


def before_erasure(service: MentoratService, clock: FakeClock, marks: Marks) -> Cast:
    """Every content field written by the mentee, the mentor or the coordinator, on an active mentorship."""
    people, m = service.participants, service.mentorships
    created = people.create_programme("Programme", marks.name("coordinator"), marks.email("coordinator"))
    coordinator = people.authenticate(created["coordinator_token"])
    (mentor, mentor_token), (mentee, mentee_token) = (
        join(service, coordinator, w, marks) for w in ("mentor", "mentee")
    )
    mid = m.draft(coordinator, coordinator.programme_id, mentor.id, mentee.id, START, None).aggregate_id
    m.add_objective(mentee, mid, marks.text("mentee", "objective"))
    m.add_objective(mentor, mid, marks.text("mentor", "objective"))
    m.sign(mentor, mid)
    m.sign(mentee, mid)
    meeting = UUID(m.schedule_meeting(mentee, mid, clock.now + timedelta(days=1)).data["meeting_id"])
    m.submit_agenda(mentee, mid, meeting, marks.text("mentee", "agenda"))
    clock.advance(days=2)
    held = m.hold_meeting(mentor, mid, meeting, None, 75, marks.text("mentor", "notes"), clock.now + timedelta(days=7))
    m.cancel_meeting(mentee, mid, UUID(held.data["next_meeting_id"]), True, marks.text("mentee", "cancellation"))
    m.report_satisfaction(mentee, mid, 4, marks.text("mentee", "comment"))
    m.report_satisfaction(mentor, mid, 5, marks.text("mentor", "comment"))
    dispute = UUID(m.raise_dispute(mentee, mid, marks.text("mentee", "summary")).data["dispute_id"])
    m.consult_coordinator(coordinator, mid, "dispute", dispute, "not_reconciled", marks.text("coordinator", "consult"))
    tokens = {"coordinator": created["coordinator_token"], "mentor": mentor_token, "mentee": mentee_token}
    return Cast(coordinator, mentor, mentee, tokens, mid)


def after_erasure(service: MentoratService, clock: FakeClock, cast: Cast, marks: Marks) -> None:
    """The mentor and the coordinator carry on: a meeting held with notes, a dispute, an early end with notes."""
    m, mid, mentor = service.mentorships, cast.mentorship_id, cast.mentor
    meeting = UUID(m.schedule_meeting(mentor, mid, clock.now - timedelta(hours=1)).data["meeting_id"])
    m.hold_meeting(mentor, mid, meeting, None, 60, marks.text("mentor", "later-notes"), None)
    m.raise_dispute(mentor, mid, marks.text("mentor", "summary"))
    clock.advance(days=1)
    m.consult_coordinator(cast.coordinator, mid, "early_end", None, "ending_agreed", marks.text("coordinator", "early"))
    m.end(mentor, mid, "relational_difficulties", marks.text("mentor", "end"))


def corpus(raw: bytes) -> bytes:
    """A dump's bytes followed by every hex-encoded blob in it, decoded (pg_dump and `.dump` write bytes as hex)."""
    return b"\n".join([raw, *(bytes.fromhex(h.decode()) for h in HEX.findall(raw) if len(h) % 2 == 0)])


def carve_keys(raw: bytes, master: bytes, people: Iterable[UUID]) -> dict[UUID, bytes]:
    """Every data key whose wrapping lies anywhere in `raw`, unwrapped with the master key."""
    aead, found = AESGCM(master), {}
    for person in people:
        for start in range(len(raw) - WRAPPED_BYTES + 1):
            window = raw[start : start + WRAPPED_BYTES]
            try:
                found[person] = aead.decrypt(window[:NONCE_BYTES], window[NONCE_BYTES:], WRAP_CONTEXT + person.bytes)
                break
            except InvalidTag:
                continue
    return found


def recover(raw: bytes, master: bytes, people: Iterable[UUID]) -> set[str]:
    """Every sealed text in `raw` that its person's key, carved out of `raw`, decrypts."""
    keys = carve_keys(raw, master, people)
    texts = set()
    for person_hex, blob_text in SEALED.findall(raw):
        key = keys.get(UUID(hex=person_hex.decode()))
        blob = base64.b64decode(blob_text + b"=" * (-len(blob_text) % 4))
        if key is None or len(blob) <= NONCE_BYTES + 16:
            continue
        counter = blob[:NONCE_BYTES] + (2).to_bytes(4, "big")  # GCM's first counter block after J0
        decryptor = Cipher(algorithms.AES(key), modes.CTR(counter)).decryptor()
        texts.add(decryptor.update(blob[NONCE_BYTES:-16]).decode("utf-8", "replace"))
    return texts
