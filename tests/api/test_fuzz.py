"""Fuzzing the HTTP API from its own OpenAPI document (schemathesis), once per role, on SQLite.

Each role calls every operation with its own token and the world's real ids in the paths, so most answers get past
authentication and scope; the values of bodies, queries and headers are generated, valid and invalid. Whatever
they are: no answer is a 5xx, every error is problem+json, and every answer has a documented status, content type,
headers and schema. Fuzzed commands change the world as they go (a mentorship may end): the checks are about the
contract, not about business outcomes.

`MENTORAT_FUZZ_EXAMPLES` sets the generated cases per operation (`make fuzz`); without it the run is
small and deterministic, for `make test`.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, CheckContext, GenerationMode, Response
from schemathesis.core.result import Err

from api.app import create_app
from bootstrap.settings import Settings
from tests.api.conftest import PROBLEM_JSON, World, build_world, service_of
from tests.support import FakeClock, ports

Operation = APIOperation[Any, Any, Any, Any]
ROLES = ("coordinator", "mentor", "mentee", "auditor")
EXAMPLES = int(os.environ.get("MENTORAT_FUZZ_EXAMPLES", "0"))  # 0: the bounded run of `make test`
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "ignored_auth",
    "unsupported_method",
)
# An invalid request may be refused by whichever check comes first (section 5's order): a stale `If-Match` (412)
# before a malformed `Idempotency-Key`, for instance.
REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "412", "413", "415", "422", "428", "429"]


def documented_slugs(document: dict[str, Any]) -> dict[int, list[str]]:
    """The problem types each status's schema lists (`Problem409`...: as examples, so clients tolerate new ones)."""
    schemas = document["components"]["schemas"]
    return {
        int(name[7:]): schema["properties"]["type"]["examples"]
        for name, schema in schemas.items()
        if name.startswith("Problem") and name[7:].isdigit()
    }


def problem_json(slugs: dict[int, list[str]]) -> Any:
    """A check: every error answer is problem+json whose `status` is the answer's and whose `type` is a slug the
    document lists for that status."""

    def check(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
        if response.status_code < 400:
            return None
        media = response.headers.get("content-type", [""])[0].split(";")[0]
        assert media == PROBLEM_JSON, f"an error answered as {media!r}"
        body = response.json()
        assert body.get("status") == response.status_code, body
        assert body.get("type") in slugs.get(response.status_code, ()), body
        return True

    return check


def served_without_lifespan(app: FastAPI) -> Any:
    """The app as schemathesis calls it: the test's own client runs the lifespan (store, read side) once."""

    async def serve(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await app(scope, receive, send)

    return serve


def real_ids(world: World) -> dict[str, str]:
    """The world's id for every path parameter (the participant is the mentor: an overseer may act on them)."""
    return {
        "programme_id": world.programme_id,
        "mentorship_id": world.mentorship_id,
        "meeting_id": world.meeting_id,
        "objective_id": world.objective_id,
        "dispute_id": world.dispute_id,
        "participant_id": world.mentor_id,
    }


def checks_config() -> schemathesis.Config:
    """Only the checks about the contract (not, e.g., that valid data is always accepted: rules may refuse it).

    A 503 is the contract's `not-ready` (a position the read models have not reached); its shape is checked.
    The bearer token is the role's own, never generated.
    """
    checks: dict[str, Any] = {name: {"enabled": True} for name in CHECKS}
    checks["not_a_server_error"]["expected-statuses"] = ["2xx", "3xx", "4xx", "503"]
    checks["negative_data_rejection"]["expected-statuses"] = REJECTIONS
    return schemathesis.Config.from_dict(
        {"checks": {"enabled": False, **checks}, "generation": {"with-security-parameters": False}}
    )


@pytest.fixture(params=ROLES)
def role(request: pytest.FixtureRequest) -> str:
    """Who calls."""
    return str(request.param)


@pytest.fixture
def fuzzed(tmp_path: Path) -> Iterator[tuple[FastAPI, World]]:
    """The app on a fresh SQLite store, projections running (short `?after` waits), and its world."""
    settings = Settings(data_dir=tmp_path / "var", database_url=None, read_wait_seconds=0.05)
    app = create_app(settings, ports(FakeClock()))
    with TestClient(app) as client:
        yield app, build_world(client, service_of(client))


def fuzz_settings() -> hypothesis.settings:
    """Bounded and deterministic by default; `MENTORAT_FUZZ_EXAMPLES` cases each, at random, otherwise.

    No shrinking: the store changes with every call, so a failure would not replay the same way.
    """
    return hypothesis.settings(
        max_examples=EXAMPLES or 25,
        derandomize=not EXAMPLES,
        deadline=None,
        database=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )


def fuzz(
    operation: Operation, ids: dict[str, str], auth: dict[str, str], answers: Counter[int], slugs: dict[int, list[str]]
) -> None:
    """Valid and invalid cases of one operation, each answer checked against the document."""
    fixed = {name: value for name, value in ids.items() if name in operation.path_parameters}
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    cases = st.one_of(*(operation.as_strategy(mode, path_parameters=fixed) for mode in modes))

    @fuzz_settings()
    @hypothesis.given(case=cases)
    def check(case: Case[Any]) -> None:
        answers[case.call_and_validate(headers=auth, additional_checks=[problem_json(slugs)]).status_code] += 1

    check()


def test_every_answer_follows_the_document(fuzzed: tuple[FastAPI, World], role: str) -> None:
    app, world = fuzzed
    schema = schemathesis.openapi.from_dict(app.openapi(), config=checks_config())
    schema.app = served_without_lifespan(app)
    answers: Counter[int] = Counter()
    slugs = documented_slugs(app.openapi())
    failures = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        operation = result.ok()
        try:
            fuzz(operation, real_ids(world), world.headers(role), answers, slugs)
        except (AssertionError, BaseExceptionGroup) as error:  # fuzz every operation, then report every failure
            failures.append(f"{operation.label} as {role}: {str(error)[:1500]}")
    assert not failures, "\n\n".join(failures)
    # The cases reached the operations: accepted often, refused for want of a token or an id rarely.
    total = sum(answers.values())
    assert sum(n for status, n in answers.items() if status < 300) > total / 50, answers
    assert answers[401] + answers[404] < total / 10, answers
