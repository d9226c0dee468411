"""The access index's tables: credentials and people, upserted by version inside the insert's own transaction.

Lookups read the committed rows (a reader transaction); writes ride on the events' insert (the recorders' hooks)
or, once, on the rebuild from the events of a store written before the index existed (`mark_index_built`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from application.access_index import CredentialRow, IndexRows, PersonRow, ScopeRow
from infrastructure.address_index_table import ADDRESSES, UPSERT_ADDRESS, address_params
from infrastructure.names_table import NAMES, UPSERT_NAME, name_params
from infrastructure.times import from_micros, micros

CREDENTIALS, PEOPLE, SCOPES = "mentorat_credentials", "mentorat_people", "mentorat_scopes"
INDEX_STATE = "mentorat_index_state"
INDEX_TABLES = (CREDENTIALS, PEOPLE, SCOPES, INDEX_STATE, ADDRESSES, NAMES)
CREDENTIAL_COLUMNS = (
    "credential_id TEXT PRIMARY KEY, version BIGINT NOT NULL, participant_id TEXT NOT NULL, kind TEXT NOT NULL, "
    "expires_at BIGINT NOT NULL, used BOOLEAN NOT NULL, binding TEXT NOT NULL"
)
PEOPLE_COLUMNS = (
    "participant_id TEXT PRIMARY KEY, version BIGINT NOT NULL, programme_id TEXT NOT NULL, role TEXT NOT NULL, "
    "active BOOLEAN NOT NULL"
)
SCOPE_COLUMNS = (
    "mentorship_id TEXT PRIMARY KEY, version BIGINT NOT NULL, programme_id TEXT NOT NULL, mentor_id TEXT NOT NULL, "
    "mentee_id TEXT NOT NULL, status TEXT NOT NULL"
)
STATE_COLUMNS = "name TEXT PRIMARY KEY, built_at BIGINT NOT NULL"
UPSERT_CREDENTIAL = (
    "INSERT INTO {c} AS known (credential_id, version, participant_id, kind, expires_at, used, binding) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (credential_id) DO UPDATE SET version = excluded.version, "
    "participant_id = excluded.participant_id, kind = excluded.kind, expires_at = excluded.expires_at, "
    "used = excluded.used, binding = excluded.binding WHERE excluded.version > known.version"
)
UPSERT_PERSON = (
    "INSERT INTO {p} AS known (participant_id, version, programme_id, role, active) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (participant_id) DO UPDATE SET version = excluded.version, programme_id = excluded.programme_id, "
    "role = excluded.role, active = excluded.active WHERE excluded.version > known.version"
)
UPSERT_SCOPE = (
    "INSERT INTO {m} AS known (mentorship_id, version, programme_id, mentor_id, mentee_id, status) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (mentorship_id) DO UPDATE SET version = excluded.version, "
    "programme_id = excluded.programme_id, mentor_id = excluded.mentor_id, mentee_id = excluded.mentee_id, "
    "status = excluded.status WHERE excluded.version > known.version"
)
FIND_SCOPE = "SELECT * FROM {m} WHERE mentorship_id = ?"
FIND_CREDENTIAL = "SELECT * FROM {c} WHERE credential_id = ?"
FIND_HOLDER = (  # a token and its holder in one statement: what every authenticated request asks first
    "SELECT c.credential_id, c.version, c.participant_id, c.kind, c.expires_at, c.used, c.binding, "
    "p.version AS person_version, p.programme_id, p.role, p.active "
    "FROM {c} c JOIN {p} p ON p.participant_id = c.participant_id WHERE c.credential_id = ?"
)
FIND_PERSON = "SELECT * FROM {p} WHERE participant_id = ?"
IS_BUILT = "SELECT built_at FROM {s} WHERE name = 'access index'"
MARK_BUILT = "INSERT INTO {s} (name, built_at) VALUES ('access index', ?) ON CONFLICT (name) DO NOTHING"


def index_statements(kwargs: dict[str, Any]) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """The upserts a save's index rows need (`save(index=...)`), one statement with its parameter rows each."""
    rows = kwargs.get("index")
    if not isinstance(rows, IndexRows) or not rows:
        return []
    return upserts(rows)


def upserts(rows: IndexRows) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """The upserts of these rows."""
    statements: list[tuple[str, list[tuple[Any, ...]]]] = []
    if rows.credentials:
        statements.append((UPSERT_CREDENTIAL, [credential_params(r) for r in rows.credentials]))
    if rows.people:
        statements.append((UPSERT_PERSON, [person_params(r) for r in rows.people]))
    if rows.scopes:
        statements.append((UPSERT_SCOPE, [scope_params(r) for r in rows.scopes]))
    if rows.addresses:
        statements.append((UPSERT_ADDRESS, [address_params(r) for r in rows.addresses]))
    if rows.names:
        statements.append((UPSERT_NAME, [name_params(r) for r in rows.names]))
    return statements


def scope_params(row: ScopeRow) -> tuple[Any, ...]:
    return (str(row.id), row.version, str(row.programme_id), str(row.mentor_id), str(row.mentee_id), row.status)


def credential_params(row: CredentialRow) -> tuple[Any, ...]:
    return (
        str(row.credential_id),
        row.version,
        str(row.participant_id),
        row.kind,
        micros(row.expires_at),
        row.used,
        row.binding,
    )


def person_params(row: PersonRow) -> tuple[Any, ...]:
    return (str(row.participant_id), row.version, str(row.programme_id), row.role, row.active)


class AccessIndexLedger(ABC):
    """Lookups and the one-time build; each store supplies `_execute` and `_read`."""

    @abstractmethod
    def _execute(self, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        """Run statements in one write transaction; the rows of the last."""

    @abstractmethod
    def _read(self, statement: str, params: tuple[Any, ...]) -> list[Any]:
        """Run one query in a read transaction; its rows."""

    @abstractmethod
    def write_index(self, rows: IndexRows) -> None:
        """Upsert rows in one transaction of their own (the one-time build)."""

    def credential_row(self, credential_id: UUID) -> CredentialRow | None:
        found = self._read(FIND_CREDENTIAL, (str(credential_id),))
        if not found:
            return None
        r = found[0]
        return CredentialRow(
            UUID(r["credential_id"]),
            int(r["version"]),
            UUID(r["participant_id"]),
            str(r["kind"]),
            from_micros(int(r["expires_at"])),
            bool(r["used"]),
            str(r["binding"]),
        )

    def holder(self, credential_id: UUID) -> tuple[CredentialRow, PersonRow] | None:
        found = self._read(FIND_HOLDER, (str(credential_id),))
        if not found:
            return None
        r = found[0]
        credential = CredentialRow(
            UUID(r["credential_id"]),
            int(r["version"]),
            UUID(r["participant_id"]),
            str(r["kind"]),
            from_micros(int(r["expires_at"])),
            bool(r["used"]),
            str(r["binding"]),
        )
        person = PersonRow(credential.participant_id, int(r["person_version"]), UUID(r["programme_id"]), str(r["role"]),
                           bool(r["active"]))  # fmt: skip
        return credential, person

    def person_row(self, participant_id: UUID) -> PersonRow | None:
        found = self._read(FIND_PERSON, (str(participant_id),))
        if not found:
            return None
        r = found[0]
        return PersonRow(
            UUID(r["participant_id"]), int(r["version"]), UUID(r["programme_id"]), str(r["role"]), bool(r["active"])
        )

    def scope_row(self, mentorship_id: UUID) -> ScopeRow | None:
        found = self._read(FIND_SCOPE, (str(mentorship_id),))
        if not found:
            return None
        r = found[0]
        return ScopeRow(
            UUID(r["mentorship_id"]),
            int(r["version"]),
            UUID(r["programme_id"]),
            UUID(r["mentor_id"]),
            UUID(r["mentee_id"]),
            str(r["status"]),
        )

    def index_built(self) -> bool:
        """Whether the index was built (from the events of an older store, or empty with a new one)."""
        return bool(self._read(IS_BUILT, ()))

    def mark_index_built(self, now: datetime) -> None:
        """Record that the index is built."""
        self._execute([(MARK_BUILT, (micros(now),))])
