"""No header or body makes a 500, and an id has one spelling (issue "Trust boundaries", items 8 and 9)."""

from __future__ import annotations

import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import PROBLEM_JSON, World
from tests.api.routes import app_routes
from tests.support import fuzz_examples

DEEP = b"[" * 200_000  # nested far past any parser's recursion limit


def concrete(path: str, w: World) -> str:
    """A route's path with the world's ids in it."""
    ids = {
        "programme_id": w.programme_id, "mentorship_id": w.mentorship_id, "participant_id": w.mentee_id,
        "meeting_id": w.meeting_id, "objective_id": w.objective_id, "dispute_id": w.dispute_id,
    }  # fmt: skip
    return path.format(**ids)


def routes(client: TestClient) -> list[tuple[str, str]]:
    """Every (method, path template) of the app."""
    assert isinstance(client.app, FastAPI)
    return sorted(app_routes(client.app))


def test_a_deeply_nested_body_is_refused_on_every_command_with_or_without_an_idempotency_key(
    app_client: TestClient, world: World
) -> None:
    for method, path in routes(app_client):
        if method != "POST":
            continue
        for key in ({}, {"Idempotency-Key": f"deep-{uuid.uuid4()}"}):
            headers = {**world.mentor, **key, "Content-Type": "application/json"}
            answer = app_client.post(concrete(path, world), content=DEEP, headers=headers)
            assert 400 <= answer.status_code < 500, (path, key, answer.status_code)
            assert answer.headers["content-type"] == PROBLEM_JSON


NOT_VERSIONS = ['"\u00b2"', '"\u0661\u0662"', '"\uff17"', '"1"x', '"99999999999999999999999"', 'W/"1"']


@pytest.mark.parametrize("value", NOT_VERSIONS)
def test_an_if_match_that_is_no_version_answers_412_never_500(app_client: TestClient, world: World, value: str) -> None:
    headers = {**world.mentor, "If-Match": value.encode()}
    answer = app_client.post(f"/v1/mentorships/{world.mentorship_id}/satisfaction", json={"score": 4}, headers=headers)
    assert answer.status_code == 412, answer.text
    assert answer.json()["type"] == "/problems/precondition-failed"


HEADER_VALUES = st.binary(max_size=64).filter(lambda b: not {ord("\r"), ord("\n"), 0} & set(b))  # any one-line value


@settings(max_examples=fuzz_examples(10), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(if_match=HEADER_VALUES, key=HEADER_VALUES, authorization=HEADER_VALUES, content_type=HEADER_VALUES)
def test_no_generated_header_value_makes_a_server_error_on_any_route(
    app_client: TestClient, world: World, if_match: bytes, key: bytes, authorization: bytes, content_type: bytes
) -> None:
    headers = {"If-Match": if_match, "Idempotency-Key": key, "Content-Type": content_type}
    for method, path in routes(app_client):
        for auth in (world.mentor["Authorization"].encode(), b"Bearer " + authorization):
            answer = app_client.request(
                method, concrete(path, world), headers={**headers, "Authorization": auth}, content=b"{}"
            )
            assert answer.status_code < 500, (method, path, answer.status_code)


@pytest.mark.parametrize(
    "spelling",
    [str.upper, lambda i: i.replace("-", ""), lambda i: f"urn:uuid:{i}", lambda i: f"{{{i}}}", lambda i: f" {i}"],
    ids=["upper", "undashed", "urn", "braces", "space"],
)
def test_an_id_has_one_spelling_any_other_is_not_found(app_client: TestClient, world: World, spelling: object) -> None:
    assert callable(spelling)
    other = spelling(world.mentorship_id)
    # The canonical spelling is found; another spelling of the same id is not, on reads and commands alike
    assert app_client.get(f"/v1/mentorships/{world.mentorship_id}", headers=world.mentor).status_code == 200
    assert app_client.get(f"/v1/mentorships/{other}", headers=world.mentor).status_code == 404
    summary = f"/v1/mentorships/{world.mentorship_id}"
    before = app_client.get(summary, headers=world.mentor).json()["version"]
    keyed = {**world.mentor, "Idempotency-Key": "one-spelling"}
    refused = app_client.post(f"/v1/mentorships/{other}/satisfaction", json={"score": 3}, headers=keyed)
    assert refused.status_code == 404
    assert app_client.get(summary, headers=world.mentor).json()["version"] == before
