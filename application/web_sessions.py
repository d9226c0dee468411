"""Signing in and out of the web app: a session is a bearer token's credential, with its CSRF token and language.

Signing in redeems an invitation's code exactly as `POST /v1/invitations/redemption` does; the token it issues
is the session (the browser keeps it in an HttpOnly cookie), and every page authenticates it as the API
authenticates a bearer token. Beside it, server-side, the store keeps the session's CSRF token and chosen
language under the credential's id (a keyed hash of the token). Signing out revokes the token and forgets the row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable
from uuid import UUID

from application.authorization import Caller
from application.errors import Unauthenticated
from application.participants import ParticipantCommands
from application.ports import Ports

CSRF_BYTES = 32
LANGUAGES = ("fr", "en")  # the recorded languages the web app speaks; any other falls back to French


@dataclass(frozen=True)
class SessionState:
    """What the server keeps for one session: its CSRF token and chosen language."""

    csrf: str
    language: str


@dataclass(frozen=True)
class Session:
    """A signed-in visit: who it is, and the session's state."""

    caller: Caller
    csrf: str
    language: str


@dataclass(frozen=True)
class Opened:
    """A session just opened: the token for the cookie, its expiry, and its state."""

    token: str
    expires_at: datetime
    state: SessionState


@runtime_checkable
class SessionRecords(Protocol):
    """Where the sessions' state is kept (the store's recorder)."""

    def session_state(self, session_key: str) -> SessionState | None:
        """The session's state, if it is open."""

    def keep_session(self, session_key: str, state: SessionState, expires_at: datetime, now: datetime) -> None:
        """Open or update a session (and forget expired ones)."""

    def set_language(self, session_key: str, language: str) -> None:
        """Change an open session's language."""

    def drop_session(self, session_key: str) -> None:
        """Forget a session."""


class MemorySessionRecords:
    """Sessions in this process only: for a recorder of the library's own (tests of replayed authentication)."""

    def __init__(self) -> None:
        self._rows: dict[str, tuple[SessionState, datetime]] = {}

    def session_state(self, session_key: str) -> SessionState | None:
        """The session's state, if it is open."""
        found = self._rows.get(session_key)
        return found[0] if found else None

    def keep_session(self, session_key: str, state: SessionState, expires_at: datetime, now: datetime) -> None:
        """Open or update a session (and forget expired ones)."""
        self._rows = {key: row for key, row in self._rows.items() if row[1] >= now}
        self._rows[session_key] = (state, expires_at)

    def set_language(self, session_key: str, language: str) -> None:
        """Change an open session's language."""
        if session_key in self._rows:
            state, expires_at = self._rows[session_key]
            self._rows[session_key] = (SessionState(state.csrf, language), expires_at)

    def drop_session(self, session_key: str) -> None:
        """Forget a session."""
        self._rows.pop(session_key, None)


def spoken(language: str | None) -> str:
    """A language the web app speaks: the one given if it does, else French."""
    return language if language in LANGUAGES else LANGUAGES[0]


class WebSessions:
    """Open, read, change and close the web app's sessions."""

    def __init__(self, participants: ParticipantCommands, ports: Ports) -> None:
        self.participants = participants
        self.ports = ports
        recorder = participants.store.recorder
        self.records: SessionRecords = recorder if isinstance(recorder, SessionRecords) else MemorySessionRecords()

    def open(self, code: str) -> Opened:
        """Redeem an invitation's code (as the API's redemption does) into a session in the holder's language."""
        result = self.participants.redeem(code)
        token = str(result.data["token"])
        expires_at = datetime.fromisoformat(str(result.data["expires_at"]))
        state = SessionState(self.ports.new_secret(CSRF_BYTES), spoken(str(result.data["language"])))
        self.records.keep_session(self._key(token), state, expires_at, self.ports.clock())
        return Opened(token, expires_at, state)

    def find(self, token: str) -> Session:
        """The signed-in visit of a session's token: authenticated as a bearer token is (401 otherwise)."""
        caller = self.participants.authenticate(token)
        state = self.records.session_state(self._key(token))
        if state is None:  # a bearer token of the API, never a session: not signed in here
            raise Unauthenticated
        return Session(caller, state.csrf, state.language)

    def choose_language(self, token: str, language: str) -> None:
        """Remember the language the person chose for this session."""
        self.records.set_language(self._key(token), spoken(language))

    def close(self, token: str) -> None:
        """Sign out: the token is revoked (it authenticates no one, here or in the API) and the session forgotten."""
        self.participants.revoke(token)
        self.records.drop_session(self._key(token))

    def _key(self, token: str) -> str:
        """The session's name in the store: its credential's id, a keyed hash of the token."""
        session_key: UUID = self.participants.keys.id_of(token)
        return str(session_key)
