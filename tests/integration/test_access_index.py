"""The access index: authentication is two indexed lookups, never a replay, and it is built once for older stores."""

from __future__ import annotations

from typing import Any

import pytest

from application.errors import Unauthenticated
from application.service import MentoratService
from bootstrap.service import build_service
from bootstrap.settings import Settings
from tests.integration.tampering import Raw
from tests.support import FakeClock, invited, ports


def never_replayed(*_: Any, **__: Any) -> Any:
    raise AssertionError("an aggregate was replayed to authenticate")


def test_authentication_replays_no_aggregate_and_stops_at_deactivation_and_erasure(
    service: MentoratService, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = service.participants
    launched = people.create_programme("Programme", "Coordinator", None)
    coordinator = people.authenticate(launched["coordinator_token"])
    tokens = {}
    for who in ("leaver", "erased"):
        registered = people.register(coordinator, coordinator.programme_id, "mentee", who, f"{who}@example.org", "fr")
        tokens[who] = (registered.aggregate_id, people.redeem(invited(service, coordinator, registered.aggregate_id)))
    with monkeypatch.context() as patched:
        patched.setattr(service.store.repository, "get", never_replayed)
        for participant_id, redeemed in tokens.values():
            assert people.authenticate(redeemed.data["token"]).id == participant_id
    people.deactivate(coordinator, tokens["leaver"][0])
    people.erase(tokens["erased"][0])
    for _, redeemed in tokens.values():
        with pytest.raises(Unauthenticated):
            people.authenticate(redeemed.data["token"])


def test_a_store_older_than_the_index_is_indexed_once_at_start_up(
    settings: Settings, service: MentoratService, clock: FakeClock
) -> None:
    people = service.participants
    launched = people.create_programme("Programme", "Coordinator", None)
    token = launched["coordinator_token"]
    # Given a store whose index is empty and not marked built, as a release before the index left it
    raw = Raw(settings)
    prefix = raw.events.rpartition(".")[0] + "." if settings.uses_postgres else ""
    try:
        for table in ("mentorat_credentials", "mentorat_people", "mentorat_index_state"):
            raw.run(f"DELETE FROM {prefix}{table}")
    finally:
        raw.close()
    with pytest.raises(Unauthenticated):
        people.authenticate(token)
    # When the service starts again, Then the index is built from the events and the token works
    again = build_service(settings, ports(clock))
    try:
        assert again.participants.authenticate(token).id == coordinator_id(launched)
        assert again.store.recorder.index_built()  # type: ignore[attr-defined]
    finally:
        again.close()


def coordinator_id(launched: dict[str, str]) -> Any:
    from uuid import UUID

    return UUID(launched["coordinator_id"])
