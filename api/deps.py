"""FastAPI dependencies: the service, the caller, scope and role (`domain/permissions.py`), If-Match; never the body."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Header, Path, Request, Response

from api.body import json_body
from api.schemas import Empty
from application.access_index import ScopeRow
from application.authorization import Caller, mentorship_actor, programme_actor
from application.errors import NotFound, Unauthenticated
from application.mentorat import CommandResult
from application.service import MentoratService
from domain.errors import Forbidden
from domain.mentorship import Mentorship
from domain.participant import Participant
from domain.permissions import Action, may

NoBody = Annotated[Empty, Depends(json_body(Empty))]
STRONG_ETAG = re.compile(r'"([0-9]{1,18})"')
ID_SPELLING = "a lower-case, dashed UUID; any other spelling is not found (404)"
ProgrammePath = Annotated[str, Path(description=f"The programme's id: {ID_SPELLING}.")]
MentorshipPath = Annotated[str, Path(description=f"The mentorship's id: {ID_SPELLING}.")]
ParticipantPath = Annotated[str, Path(description=f"The participant's id: {ID_SPELLING}.")]
MeetingPath = Annotated[str, Path(description=f"A meeting of the mentorship: {ID_SPELLING}.")]
ObjectivePath = Annotated[str, Path(description=f"An objective of the mentorship: {ID_SPELLING}.")]
DisputePath = Annotated[str, Path(description=f"A dispute of the mentorship: {ID_SPELLING}.")]


async def get_service(request: Request) -> MentoratService:
    """The write side built at start-up (`async`: nothing blocks, so no worker thread is taken for it)."""
    service: MentoratService = request.app.state.service
    return service


Service = Annotated[MentoratService, Depends(get_service)]


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None without one."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def get_caller(request: Request, service: Service, authorization: Annotated[str | None, Header()] = None) -> Caller:
    """The participant whose bearer token came with the request (401 otherwise)."""
    already: Caller | None = getattr(request.state, "caller", None)  # authenticated by the idempotency middleware
    if already is not None:
        return already
    token = bearer_token(authorization)
    if token is None:
        raise Unauthenticated
    return service.participants.authenticate(token)


CurrentCaller = Annotated[Caller, Depends(get_caller)]


def parse_id(value: str) -> UUID:
    """A path id in its one spelling (lower-case, dashed); any other spelling, or none, is simply not found."""
    try:
        parsed = UUID(value)
    except ValueError:
        raise NotFound from None
    if str(parsed) != value:  # `UUID()` also takes upper case, braces, `urn:uuid:` and no dashes
        raise NotFound
    return parsed


async def if_match(if_match: Annotated[str | None, Header(alias="If-Match")] = None) -> int | None:
    """The expected version of `If-Match: "<version>"`; `*` matches any; anything else never matches."""
    if if_match is None or if_match.strip() == "*":
        return None
    matched = STRONG_ETAG.fullmatch(if_match.strip())  # ASCII digits only: `"²"` is no version, never a 500
    return int(matched[1]) if matched else -1


ExpectedVersion = Annotated[int | None, Depends(if_match)]


def loaded_mentorship(caller: CurrentCaller, service: Service, mentorship_id: MentorshipPath) -> Mentorship:
    """The path's mentorship, loaded once per request (FastAPI caches it), after authentication."""
    return service.mentorships.get(parse_id(mentorship_id))


LoadedMentorship = Annotated[Mentorship, Depends(loaded_mentorship)]


@dataclass(frozen=True)
class MentorshipScope:
    """A dependency: the caller may run `action` on mentorship `{mentorship_id}`; answers it, loaded once."""

    action: Action  # the OpenAPI document reads each operation's roles from it

    async def __call__(self, caller: CurrentCaller, mentorship: LoadedMentorship) -> tuple[Caller, Mentorship]:
        mentorship_actor(caller, mentorship, self.action)
        return caller, mentorship


@dataclass(frozen=True)
class MentorshipReader:
    """A dependency for reads: the caller may run `action` on mentorship `{mentorship_id}`, checked on its index row.

    No aggregate is replayed: the row holds the programme and the parties, which is all a read's scope needs.
    """

    action: Action

    def __call__(
        self, caller: CurrentCaller, service: Service, mentorship_id: MentorshipPath
    ) -> tuple[Caller, ScopeRow]:
        return caller, service.mentorships.scope_row(caller, parse_id(mentorship_id), self.action)


ReadsMentorship = tuple[Caller, ScopeRow]


@dataclass(frozen=True)
class ParticipantScope:
    """A dependency: the caller may run `action` on participant `{participant_id}`; answers them, loaded once."""

    action: Action

    def __call__(
        self, caller: CurrentCaller, service: Service, participant_id: ParticipantPath
    ) -> tuple[Caller, Participant]:
        return caller, service.participants.scope(caller, parse_id(participant_id), self.action)


@dataclass(frozen=True)
class ProgrammeScope:
    """A dependency: the caller may run `action` in programme `{programme_id}`; answers its id."""

    action: Action

    async def __call__(self, caller: CurrentCaller, programme_id: ProgrammePath) -> tuple[Caller, UUID]:
        pid = parse_id(programme_id)
        programme_actor(caller, pid, self.action)
        return caller, pid


@dataclass(frozen=True)
class CallerMay:
    """A dependency: the caller's role may run `action` (checked before anything else of the request)."""

    action: Action

    async def __call__(self, caller: CurrentCaller) -> Caller:
        if not may(caller.role, self.action):
            raise Forbidden
        return caller


InMentorship = tuple[Caller, Mentorship]
OfParticipant = tuple[Caller, Participant]
InProgramme = tuple[Caller, UUID]


def committed(response: Response, result: CommandResult) -> dict[str, object]:
    """The 2xx body of a command, with its version also as a strong ETag."""
    response.headers["ETag"] = etag(result.version)
    return result.body()


def etag(version: object) -> str:
    """A version as a strong entity tag (`"7"`), for `If-Match`."""
    return f'"{version}"'


def _part_of_mentorship(mentorship: Mentorship, part_id: str, kind: str) -> UUID:
    """A meeting, objective or dispute of the mentorship, checked before the body is read (404 otherwise)."""
    pid = parse_id(part_id)
    parts: dict[str, Collection[UUID]] = {
        "meeting": mentorship.meetings,
        "objective": mentorship.objectives,
        "dispute": mentorship.disputes,
    }
    if pid not in parts[kind]:
        raise NotFound
    return pid


async def meeting_ref(mentorship: LoadedMentorship, meeting_id: MeetingPath) -> UUID:
    """The path's meeting; list it after the scope dependency so scope is checked first."""
    return _part_of_mentorship(mentorship, meeting_id, "meeting")


async def objective_ref(mentorship: LoadedMentorship, objective_id: ObjectivePath) -> UUID:
    """The path's objective; list it after the scope dependency."""
    return _part_of_mentorship(mentorship, objective_id, "objective")


async def dispute_ref(mentorship: LoadedMentorship, dispute_id: DisputePath) -> UUID:
    """The path's dispute; list it after the scope dependency."""
    return _part_of_mentorship(mentorship, dispute_id, "dispute")


MeetingId = Annotated[UUID, Depends(meeting_ref)]
ObjectiveId = Annotated[UUID, Depends(objective_ref)]
DisputeId = Annotated[UUID, Depends(dispute_ref)]
