"""How an error line names the id it could not find: its kind and the id as typed."""

from __future__ import annotations

from uuid import UUID


def with_id(kind: str, value: str) -> str:
    """`participant with id …` for an error line: the id as typed (quoted and shortened if it is no UUID)."""
    try:
        return f"{kind} with id {UUID(value)}"
    except ValueError:
        return f"{kind} with id {value[:40]!r}"
