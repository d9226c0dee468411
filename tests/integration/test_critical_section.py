"""On PostgreSQL the table lock is held for two round trips: the chain's head comes back with the insert."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from application.service import MentoratService
from bootstrap.settings import Settings
from infrastructure.audit import sealing
from infrastructure.audit.store import audit_store
from infrastructure.audit.verify import verify


def test_the_head_comes_with_the_insert(service: MentoratService, settings: Settings, monkeypatch: Any) -> None:
    if not settings.uses_postgres:
        pytest.skip("SQLite has one writer and no round trips")
    service.participants.create_programme("Programme", "Coordinator", None)

    def asked_after_the_insert(*args: Any) -> Any:
        raise AssertionError("the chain's head was asked for in a round trip of its own, under the table lock")

    monkeypatch.setattr(sealing, "head_and_last", asked_after_the_insert)
    service.participants.create_programme("Second programme", "Second coordinator", None)
    report = verify(audit_store(service.store.recorder), None, datetime.now(UTC))
    assert report.intact and report.events == service.store.position()
