"""Serving a read replays no aggregate: the token and the scope are indexed lookups (issue 12, item 1)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import World, service_of


def test_summary_history_and_lists_are_served_without_loading_an_aggregate(
    app_client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = service_of(app_client).store
    position = store.position()
    loaded: list[Any] = []
    replay = store.repository.get

    def counting(*args: Any, **kwargs: Any) -> Any:
        loaded.append(args)
        return replay(*args, **kwargs)

    monkeypatch.setattr(store.repository, "get", counting)
    m = f"/v1/mentorships/{world.mentorship_id}"
    reads = [
        (m, world.mentor), (m, world.coordinator), (m, world.auditor), (f"{m}/history", world.mentee),
        ("/v1/me/mentorships", world.mentee), (f"/v1/programmes/{world.programme_id}/mentorships", world.auditor),
        (f"/v1/programmes/{world.programme_id}/report", world.coordinator),
        (f"/v1/programmes/{world.programme_id}", world.coordinator),
        (f"/v1/programmes/{world.programme_id}", world.auditor),
    ]  # fmt: skip
    for path, headers in reads:
        answer = app_client.get(path, headers=headers, params={"after": position})
        assert answer.status_code == 200, (path, answer.text)
    assert loaded == []
    # And outside the caller's scope it is still not found, from the index alone
    assert app_client.get(m, headers=world.other_mentor).status_code == 404
    assert app_client.get(m, headers=world.other_coordinator).status_code == 404
    assert loaded == []
