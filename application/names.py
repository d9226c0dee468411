"""People's names for pages, read from the sealed names table in one query (no aggregate replayed)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from application.access_index import NamesIndex
from application.mentorat import KeysUnavailable, Mentorat
from domain.participant import ERASED_NAME


def read_names(store: Mentorat, programme_id: UUID, participant_ids: Sequence[UUID]) -> dict[UUID, str]:
    """The names of these participants of this programme (others are absent); `[erased]` once a key is gone."""
    index, seal = store.recorder, store.name_seal
    if seal is None or not isinstance(index, NamesIndex):
        raise KeysUnavailable
    names = {}
    for row in index.name_rows(programme_id, participant_ids):
        opened = None if row.sealed_name is None else seal.open(row.participant_id, row.sealed_name)
        names[row.participant_id] = ERASED_NAME if opened is None else opened
    return names
