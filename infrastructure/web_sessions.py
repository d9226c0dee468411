"""The web app's sessions beside the events: per signed-in browser, its CSRF token and chosen language.

A row is named by the session's credential id, the keyed hash of the bearer token the cookie holds
(`application/credentials.py`): whoever reads or writes this table alone can neither find the token nor make
one up, and the token itself authenticates every page as the API's requests do (deactivation, erasure and
signing out stop it). Expired rows are pruned as new sessions open.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from application.web_sessions import SessionState
from infrastructure.times import micros

WEB_SESSIONS = "mentorat_web_sessions"
WEB_SESSION_COLUMNS = (
    "session_key TEXT PRIMARY KEY, csrf TEXT NOT NULL, language TEXT NOT NULL, expires_at BIGINT NOT NULL"
)
KEEP_SESSION = (
    "INSERT INTO {w} (session_key, csrf, language, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (session_key) "
    "DO UPDATE SET csrf = excluded.csrf, language = excluded.language, expires_at = excluded.expires_at"
)
PRUNE_SESSIONS = "DELETE FROM {w} WHERE expires_at < ?"
FIND_SESSION = "SELECT csrf, language FROM {w} WHERE session_key = ?"
SET_LANGUAGE = "UPDATE {w} SET language = ? WHERE session_key = ?"
DROP_SESSION = "DELETE FROM {w} WHERE session_key = ?"


class WebSessionLedger(ABC):
    """The sessions' table; each store supplies `_execute` and `_read`."""

    @abstractmethod
    def _execute(self, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        """Run statements in one write transaction."""

    @abstractmethod
    def _read(self, statement: str, params: tuple[Any, ...]) -> list[Any]:
        """Run one query outside any write transaction; its rows."""

    def session_state(self, session_key: str) -> SessionState | None:
        """The session's CSRF token and language, if it is open."""
        rows = self._read(FIND_SESSION, (session_key,))
        return SessionState(str(rows[0]["csrf"]), str(rows[0]["language"])) if rows else None

    def keep_session(self, session_key: str, state: SessionState, expires_at: datetime, now: datetime) -> None:
        """Open or update a session (and forget the expired ones)."""
        self._execute(
            [
                (PRUNE_SESSIONS, (micros(now),)),
                (KEEP_SESSION, (session_key, state.csrf, state.language, micros(expires_at))),
            ]
        )

    def set_language(self, session_key: str, language: str) -> None:
        """Change an open session's language."""
        self._execute([(SET_LANGUAGE, (language, session_key))])

    def drop_session(self, session_key: str) -> None:
        """Forget a session (signed out)."""
        self._execute([(DROP_SESSION, (session_key,))])
