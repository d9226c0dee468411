"""`GET` and `PATCH /v1/programmes/{pid}` over a real socket: who may, `If-Match`, 422s that store nothing, effects."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from bootstrap.settings import Settings
from tests.api.conftest import PROBLEM_JSON, START, World, build_world, created, enrol, serve, service_of
from tests.support import FakeClock, ports

MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}


@pytest.fixture
def served(settings: Settings, clock: FakeClock) -> Iterator[tuple[httpx.Client, FastAPI, World]]:
    """The app served on a socket, a client of it, and the world built through it."""
    app = create_app(settings, ports(clock))
    with serve(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client, app, build_world(client, service_of(app), app)


def problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    """The problem+json body of a refusal with this status and slug."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["type"].endswith("/" + slug)
    return body


def settings_of(client: httpx.Client, world: World, after: int = 0) -> dict[str, Any]:
    """The coordinator's read of the settings, once the read models include `after`."""
    read = client.get(f"/v1/programmes/{world.programme_id}?after={after}", headers=world.coordinator)
    assert read.status_code == 200, read.text
    body: dict[str, Any] = read.json()
    assert read.headers["etag"] == f'"{body["version"]}"'
    return body


def test_coordinators_change_the_settings_with_if_match_and_both_overseers_read_them(
    served: tuple[httpx.Client, FastAPI, World],
) -> None:
    client, app, world = served
    url = f"/v1/programmes/{world.programme_id}"
    # Given a programme launched with the defaults: its coordinator and its auditor read them
    position = service_of(app).store.position()
    launched = settings_of(client, world, position)
    assert launched == {
        "id": world.programme_id, "time_zone": "America/Toronto", "default_months": 10,
        "meeting_minutes": {"min": 60, "max": 90}, "version": 1,
        "thresholds": {"no_meeting_days": 45, "ends_within_days": 30, "awaiting_signatures_days": 14,
                       "outcome_missing_days": 2, "low_satisfaction_max": 2, "cancellations_in_a_row": 2},
    }  # fmt: skip
    assert client.get(url, headers=world.auditor).json() == launched
    # Then a party of it is refused (403), another programme's coordinator finds nothing (404), no token is 401
    problem(client.get(url, headers=world.mentor), 403, "forbidden")
    problem(client.get(url, headers=world.other_coordinator), 404, "not-found")
    problem(client.get(url), 401, "unauthenticated")
    change = {"time_zone": "Europe/Paris", "meeting_minutes": {"max": 120}, "thresholds": {"no_meeting_days": 2}}
    for who, status, slug in (("auditor", 403, "forbidden"), ("mentee", 403, "forbidden"),
                              ("other_coordinator", 404, "not-found")):  # fmt: skip
        problem(client.patch(url, json=change, headers=world.headers(who)), status, slug)
    assert service_of(app).store.position() == position  # refused: nothing stored
    # When the coordinator patches with the version read
    changed = client.patch(url, json=change, headers={**world.coordinator, "If-Match": '"1"'})
    # Then the answer is the settings in force, the new version (also the ETag) and the position
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert changed.headers["etag"] == '"2"' and body["version"] == 2 and body["position"] > position
    assert body["time_zone"] == "Europe/Paris" and body["meeting_minutes"] == {"min": 60, "max": 120}
    assert body["thresholds"] == {**launched["thresholds"], "no_meeting_days": 2}
    # And the read, once the read models include it, shows them
    assert settings_of(client, world, body["position"]) == {k: v for k, v in body.items() if k != "position"}
    # When a second change is sent with the version read before the first: 412, nothing stored
    stale = client.patch(url, json={"default_months": 12}, headers={**world.coordinator, "If-Match": '"1"'})
    problem(stale, 412, "precondition-failed")
    assert service_of(app).store.position() == body["position"]
    # And without If-Match (optional, as for every command), merge-patch's media type, the change is recorded
    months = client.patch(url, content=b'{"default_months": 12}', headers={**world.coordinator, **MERGE_PATCH})
    assert months.status_code == 200 and months.json()["version"] == 3, months.text


def test_the_worklist_uses_the_new_thresholds_and_a_draft_the_new_default_months(
    served: tuple[httpx.Client, FastAPI, World],
) -> None:
    client, app, world = served
    url = f"/v1/programmes/{world.programme_id}"
    worklist = f"/v1/programmes/{world.programme_id}/worklist"
    # Given the world's active mentorship, started four days ago, with a meeting ahead: not flagged for meetings
    before = client.get(f"{worklist}?after={service_of(app).store.position()}", headers=world.coordinator).json()
    flagged = {item["mentorship_id"]: item["reasons"] for item in before["items"]}
    assert "no_meeting_45_days" not in flagged.get(world.mentorship_id, [])
    # When the coordinator lowers "no meeting for N days" to 2 and sets 12 months as the default length
    changed = client.patch(url, json={"thresholds": {"no_meeting_days": 2}, "default_months": 12},
                           headers=world.coordinator).json()  # fmt: skip
    # Then the worklist, read after, flags it with the same slug
    after = client.get(f"{worklist}?after={changed['position']}", headers=world.coordinator).json()
    reasons = {item["mentorship_id"]: item["reasons"] for item in after["items"]}
    assert "no_meeting_45_days" in reasons[world.mentorship_id]
    # And a convention drafted without `months` lasts the new default
    mentor_id, _ = enrol(client, world.coordinator, world.programme_id, "mentor", "Latermentor", app)
    mentee_id, _ = enrol(client, world.coordinator, world.programme_id, "mentee", "Latermentee", app)
    drafted = created(
        client.post(
            f"/v1/programmes/{world.programme_id}/mentorships",
            json={"mentor_id": mentor_id, "mentee_id": mentee_id, "starts_on": START},
            headers=world.coordinator,
        )
    )
    summary = client.get(f"/v1/mentorships/{drafted['id']}?after={drafted['position']}", headers=world.coordinator)
    assert summary.json()["planned_end_on"] == "2027-01-01"  # START + 12 months


BAD_PATCHES: list[tuple[dict[str, Any], str | None]] = [
    ({"colour": "blue"}, None),  # an unknown field: refused, its name never echoed
    ({"thresholds": {"no_meeting_days": 3, "unknown_days": 1}}, None),
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ({"meeting_minutes": {"min": 90, "max": 60}}, "meeting_minutes"),
    ({"meeting_minutes": {"min": 0}}, "meeting_minutes.min"),
    ({"meeting_minutes": {"min": 100}}, "meeting_minutes"),  # above the maximum in force (90)
    ({"thresholds": {"ends_within_days": -1}}, "thresholds.ends_within_days"),
    ({"default_months": 37}, "default_months"),
    ({"time_zone": None}, "time_zone"),  # a merge patch's null would remove it: a setting cannot be removed
    ({"default_months": "12"}, "default_months"),
]


def test_a_bad_patch_is_422_naming_the_field_and_stores_nothing(served: tuple[httpx.Client, FastAPI, World]) -> None:
    client, app, world = served
    position = service_of(app).store.position()
    for body, field in BAD_PATCHES:
        # When the coordinator sends it with a stale If-Match: the values are checked first (422, then 412)
        refused = client.patch(
            f"/v1/programmes/{world.programme_id}", json=body, headers={**world.coordinator, "If-Match": '"7"'}
        )
        errors = problem(refused, 422, "validation-error")["errors"]
        assert [error["field"] for error in errors] == [field], body
        assert "Mars" not in refused.text and "blue" not in refused.text and "colour" not in refused.text
    # Then nothing is stored and the settings read the same
    assert service_of(app).store.position() == position
    assert settings_of(client, world, position)["version"] == 1
