"""The queries of contract v1 (section 5), on both stores: bad tokens and ids, `?after`, paging, report bounds.

Who may read what is the one access table of `test_permissions.py`; the tests here take their statuses from it.
`ROUTES` names every GET route under `/v1` with the query parameters it takes; `test_every_get_route_is_in_the_table`
fails when a query is added without its row, so no new query escapes the checks of its parameters.
"""

from __future__ import annotations

import base64
import csv
import io
import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from bootstrap.settings import Settings
from tests.api.conftest import PROBLEM_JSON, START, World, bearer, build_world, created, enrol, service_of
from tests.api.routes import app_routes
from tests.api.test_permissions import expected_status
from tests.support import FakeClock, ports

ECHO = "echo7d1c0b"  # marks a bad input: it must never come back in an answer
NOBODY = "00000000-0000-4000-8000-00000000dead"  # well-formed, names nothing
MALFORMED_IDS = ("not-a-uuid", ECHO + "-id", "1234", "00000000-0000-4000-8000-00000000dead0")
FAR = 10**9  # a store position no test ever reaches
REASONS = ("completed", "no_longer_needed", "relational_difficulties", "other")

# Who calls: the mentor, the mentee, the coordinator and the auditor of the programme, the mentor of another
# pair in the same programme, the coordinator of another programme, and nobody (no token): callers of the
# access table of test_permissions.py.
WHO: tuple[str | None, ...] = ("mentor", "mentee", "coordinator", "auditor", "other_mentor", "other_coordinator", None)
CALLER = {"other_mentor": "fellow_mentor", "other_coordinator": "foreign_coordinator", None: "no_token"}
SLUGS = {401: "unauthenticated", 403: "forbidden", 404: "not-found", 422: "validation-error", 503: "not-ready"}


@dataclass(frozen=True)
class Get:
    """A GET route's query parameters."""

    waits: bool = True  # takes `?after=<position>`
    paged: bool = False  # takes `?limit&cursor`


def status(template: str, who: str | None) -> int:
    """The status of this caller on this route, from the access table."""
    return expected_status("GET", template, CALLER.get(who, str(who)))


def reader(template: str) -> str:
    """A caller who may read it (the first of `WHO` answered 200)."""
    return next(str(who) for who in WHO if status(template, who) == 200)


M = "/v1/mentorships/{mentorship_id}"
P = "/v1/programmes/{programme_id}"

ROUTES: dict[str, Get] = {
    "/v1/me": Get(waits=False),
    "/v1/me/mentorships": Get(paged=True),
    M: Get(),
    M + "/history": Get(),
    M + "/journal": Get(waits=False),
    P + "/mentorships": Get(paged=True),
    P + "/report": Get(),
    P + "/report.csv": Get(),  # the same report as CSV: the same bounds, `?after` and permissions
    P + "/participants": Get(paged=True),
    P + "/worklist": Get(),
    P + "/access-log": Get(paged=True),
    P: Get(),  # the programme's settings
    "/v1/participants/{participant_id}/history": Get(),  # the mentor's, as in the access table
}


def path_params(template: str) -> list[str]:
    return re.findall(r"{(\w+)}", template)


def url(template: str, w: World, overrides: dict[str, str] | None = None, query: str = "") -> str:
    values = {
        "mentorship_id": w.mentorship_id,
        "programme_id": w.programme_id,
        "participant_id": w.mentor_id,
        **(overrides or {}),
    }
    return template.format(**values) + (f"?{query}" if query else "")


def auth(w: World, who: str | None) -> dict[str, str]:
    return {} if who is None else w.headers(who)


def problem_failures(response: httpx.Response, status: int, fields: Iterable[str] = (), echo: str = ECHO) -> list[str]:
    """What is wrong with an answer that should be this problem (empty when it follows the contract)."""
    failures = []
    if response.status_code != status:
        return [f"status {response.status_code} != {status}: {response.text[:200]}"]
    if response.headers.get("content-type", "").split(";")[0] != PROBLEM_JSON:
        failures.append(f"content type {response.headers.get('content-type')!r}")
    if echo and (echo in response.text or any(echo in value for value in response.headers.values())):
        failures.append(f"the answer echoes {echo!r}")
    try:
        body = response.json()
    except ValueError:
        return [*failures, "the body is not JSON"]
    if not str(body.get("type", "")).endswith("/" + SLUGS[status]):
        failures.append(f"type {body.get('type')!r} does not end with {SLUGS[status]!r}")
    if body.get("status") != status:
        failures.append(f"body status {body.get('status')!r}")
    if status == 422:
        named = {error.get("field") for error in body.get("errors") or []}
        if not named or not set(fields) <= named:
            failures.append(f"fields {sorted(fields)} not named in {body.get('errors')}")
    if status == 401 and not response.headers.get("www-authenticate", "").lower().startswith("bearer"):
        failures.append("a 401 without WWW-Authenticate: Bearer")
    if status == 503 and not response.headers.get("retry-after", "").isdigit():
        failures.append(f"a 503 without a Retry-After delay: {response.headers.get('retry-after')!r}")
    return failures


def assert_problem(response: httpx.Response, status: int, fields: Iterable[str] = (), echo: str = ECHO) -> None:
    failures = problem_failures(response, status, fields, echo)
    assert not failures, failures


@contextmanager
def client_of(settings: Settings, clock: FakeClock) -> Iterator[tuple[TestClient, World]]:
    """A client of an app built with these settings, and the world built through it."""
    with TestClient(create_app(settings, ports(clock))) as client:
        yield client, build_world(client, service_of(client))


def position(client: TestClient) -> int:
    """The event store's position now."""
    return int(service_of(client).store.position())


def launch(client: TestClient) -> tuple[str, dict[str, str]]:
    """A programme of its own, as the operator creates it: its id and its coordinator's auth header."""
    launched = service_of(client).participants.create_programme("Alone", "Coordinator", None)
    return str(launched["programme_id"]), bearer(launched["coordinator_token"])


def enrol_mentee(client: TestClient, w: World, name: str) -> str:
    """Register one more mentee (no token needed for drafting): their id."""
    body = {"role": "mentee", "name": name, "email": f"{name.lower()}@example.org", "language": "en"}
    return str(
        created(client.post(f"/v1/programmes/{w.programme_id}/participants", json=body, headers=w.coordinator))["id"]
    )


def draft(client: TestClient, w: World, mentee_id: str) -> str:
    """Draft one more mentorship of the world's mentor: its id."""
    body = {"mentor_id": w.mentor_id, "mentee_id": mentee_id, "starts_on": START}
    return str(
        created(client.post(f"/v1/programmes/{w.programme_id}/mentorships", json=body, headers=w.coordinator))["id"]
    )


# 1. The routes, bad tokens, ids in paths, own histories, and scope before the query string -------------------------


def get_routes(app: FastAPI) -> set[str]:
    """Every GET path of the app under /v1, from its routes (included routers walked) and its OpenAPI document."""
    return {path for verb, path in app_routes(app) if verb == "GET" and path.startswith("/v1/")}


def test_every_get_route_is_in_the_table() -> None:
    routes = get_routes(create_app(Settings(database_url=None)))  # no lifespan: nothing is connected
    assert not routes - set(ROUTES), f"GET routes without a row in ROUTES: {sorted(routes - set(ROUTES))}"
    assert not set(ROUTES) - routes, f"rows of ROUTES that are no route: {sorted(set(ROUTES) - routes)}"


def failed(failures: list[str]) -> str:
    return "\n  ".join(["", *failures])


BAD_TOKENS = {
    "an unknown token": bearer(ECHO + "-not-a-token"),
    "another scheme": {"Authorization": "Basic " + ECHO},
    "an empty bearer": {"Authorization": "Bearer "},
    "no scheme": {"Authorization": ECHO},
}


def bad_token_failures(client: TestClient, w: World) -> list[str]:
    failures: list[str] = []
    for template in ROUTES:
        for label, headers in BAD_TOKENS.items():
            response = client.get(url(template, w), headers=headers)
            failures += [f"{template}, {label}: {p}" for p in problem_failures(response, 401)]
    return failures


def path_id_failures(client: TestClient, w: World) -> list[str]:
    """A malformed or unknown id in a path is 404 to a caller who may read the route, 401 without a token."""
    failures: list[str] = []
    for template in ROUTES:
        reader_of = reader(template)
        for param in path_params(template):
            for value in (*MALFORMED_IDS, NOBODY):
                path = url(template, w, {param: value})
                label = f"{template}, {param}={value!r}"
                found = client.get(path, headers=w.headers(reader_of))
                failures += [f"{label} as {reader_of}: {p}" for p in problem_failures(found, 404)]
                if value in (MALFORMED_IDS[0], NOBODY):  # who you are comes first
                    failures += [f"{label}, no token: {p}" for p in problem_failures(client.get(path), 401)]
    return failures


def own_history_failures(client: TestClient, w: World) -> list[str]:
    """Each participant reads their own history; the overseers read anyone's in their programme."""
    failures: list[str] = []
    readers = [
        ("mentee", w.mentee_id, 200),
        ("other_mentor", w.other_mentor_id, 200),
        ("coordinator", w.coordinator_id, 200),
        ("auditor", w.coordinator_id, 200),
        ("auditor", w.auditor_id, 200),
        ("coordinator", w.other_mentee_id, 200),
        ("mentor", w.mentee_id, 403),
        ("mentee", w.coordinator_id, 403),
        ("other_coordinator", w.mentee_id, 404),
        ("mentor", w.other_coordinator_id, 404),
    ]
    at = position(client)
    for who, pid, expected in readers:
        response = client.get(f"/v1/participants/{pid}/history?after={at}", headers=w.headers(who))
        label = f"the history of {pid} as {who}"
        if expected != 200:
            failures += [f"{label}: {p}" for p in problem_failures(response, expected)]
        elif response.status_code != 200:
            failures.append(f"{label}: {response.status_code}: {response.text[:200]}")
        elif [item["type"] for item in response.json()["items"]][:1] != ["ParticipantRegistered"]:
            failures.append(f"{label}: {response.text[:200]}")
    return failures


def test_bad_tokens_ids_in_paths_and_own_histories(app_client: TestClient, world: World) -> None:
    """Malformed credentials, ids in paths, and participants' own histories (the access table: test_permissions)."""
    failures = [
        *bad_token_failures(app_client, world),
        *path_id_failures(app_client, world),
        *own_history_failures(app_client, world),
    ]
    assert not failures, failed(failures)


BAD_QUERY = f"after=-1&limit=0&cursor={ECHO}&from={ECHO}&to={ECHO}&format={ECHO}"


def test_scope_and_role_come_before_the_query_string(settings: Settings, clock: FakeClock) -> None:
    """401, then 404 out of scope, then 403, before the query string is read or waited on (section 5's order)."""
    failures: list[str] = []
    with client_of(settings.model_copy(update={"read_wait_seconds": 0.1}), clock) as (client, w):
        for template in ROUTES:
            for who in WHO:
                expected = status(template, who)
                if expected == 200:
                    continue
                for query in (BAD_QUERY, f"after={FAR}"):  # a 422 or 503 here: the query string came first
                    response = client.get(url(template, w, query=query), headers=auth(w, who))
                    label = f"{template}?{query.split('&')[0]}... as {who}"
                    failures += [f"{label}: {p}" for p in problem_failures(response, expected)]
    assert not failures, failed(failures)


# 2. ?after=<position> -----------------------------------------------------------------------------------------------


WAITING = sorted(template for template, route in ROUTES.items() if route.waits)
BAD_AFTER = ["-1", ECHO, "1.5", "-9999999999", "abc", "1e3", "0x10", str(2**62 + 1), "9" * 30]


def test_after(settings: Settings, clock: FakeClock) -> None:
    """A position reached answers 200; one beyond the store, and what is not a position, 422 naming `after` at
    once (waits that time out, and their limits: test_bounded_waits.py)."""
    wait = 30  # were a position beyond the store waited on, it would answer 503, not 422
    failures: list[str] = []
    with client_of(settings.model_copy(update={"read_wait_seconds": wait}), clock) as (client, w):
        reached = position(client)
        for template in WAITING:
            headers = w.headers(reader(template))
            for at in (0, reached):
                answer = client.get(url(template, w, query=f"after={at}"), headers=headers)
                if answer.status_code != 200:
                    failures.append(f"{template}?after={at}: {answer.status_code}: {answer.text[:200]}")
            for at in (reached + 1_000_000, 2**62) if template == WAITING[0] else (reached + 1_000_000,):
                ahead = client.get(url(template, w, query=f"after={at}"), headers=headers)
                failures += [
                    f"{template}?after={at}: {p}" for p in problem_failures(ahead, 422, ["after"], echo=str(at))
                ]
            for value in BAD_AFTER if template == WAITING[0] else BAD_AFTER[:3]:
                refused = client.get(url(template, w, query=f"after={value}"), headers=headers)
                failures += [
                    f"{template}?after={value}: {p}" for p in problem_failures(refused, 422, ["after"], echo=value)
                ]
        # The read side is not stuck: what was stored since is read as soon as it is asked for.
        objective = created(
            client.post(f"/v1/mentorships/{w.mentorship_id}/objectives", json={"text": "More"}, headers=w.mentor)
        )
        fresh = client.get(f"/v1/mentorships/{w.mentorship_id}?after={objective['position']}", headers=w.mentor)
        assert fresh.status_code == 200, fresh.text
        assert fresh.json()["objectives_total"] == 2
        assert fresh.json()["version"] == objective["version"]
    assert not failures, failed(failures)


# 3. Paging ----------------------------------------------------------------------------------------------------------


PAGED = sorted(template for template, route in ROUTES.items() if route.paged)


def walk(client: TestClient, path: str, headers: dict[str, str], limit: int) -> list[list[str]]:
    """Follow `next_cursor` from the first page to the last: the ids of each page."""
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        query = f"limit={limit}" + (f"&cursor={cursor}" if cursor is not None else "")
        response = client.get(f"{path}?{query}", headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"items", "next_cursor"}
        ids = [str(item["id"]) for item in body["items"]]
        assert len(ids) <= limit
        pages.append(ids)
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert isinstance(cursor, str) and cursor
        assert len(ids) == limit, "a short page with a next_cursor"
        assert len(pages) <= 50, "the cursor does not move"


def assert_walked(pages: list[list[str]], expected: list[str], limit: int) -> None:
    """Every item exactly once, in order, in full pages (an empty last page only after a full one)."""
    visited = [item for page in pages for item in page]
    assert visited == expected, (limit, pages, expected)
    assert all(len(page) == limit for page in pages[:-1]), pages
    if not pages[-1]:
        assert len(pages) == 1 or len(pages[-2]) == limit, pages


def test_walking_the_lists_visits_every_item_once_in_order(app_client: TestClient, world: World) -> None:
    mentees = [enrol_mentee(app_client, world, f"Extra{n}") for n in range(3)]
    extra = [draft(app_client, world, mentee) for mentee in mentees]
    at = position(app_client)
    programme = f"/v1/programmes/{world.programme_id}"
    for name in ("mentorships", "participants"):  # the read models include everything stored so far
        assert app_client.get(f"{programme}/{name}?after={at}", headers=world.coordinator).status_code == 200

    mentorships = [world.mentorship_id, world.other_mentorship_id, *extra]
    participants = [
        world.coordinator_id,
        world.mentor_id,
        world.mentee_id,
        world.auditor_id,
        world.other_mentor_id,
        world.other_mentee_id,
        *mentees,
    ]
    cases = [
        (f"{programme}/mentorships", world.coordinator, mentorships),  # 5 items
        (f"{programme}/mentorships", world.auditor, mentorships),
        (f"{programme}/participants", world.coordinator, participants),  # 9 items
        ("/v1/me/mentorships", world.mentor, [world.mentorship_id, *extra]),  # 4 items: an exact multiple of 2
        ("/v1/me/mentorships", world.mentee, [world.mentorship_id]),
        ("/v1/me/mentorships", world.other_mentor, [world.other_mentorship_id]),
    ]
    for path, headers, expected in cases:
        for limit in (1, 2, 3, 100):
            assert_walked(walk(app_client, path, headers, limit), expected, limit)
        default = app_client.get(path, headers=headers).json()  # default 50: one page
        assert [item["id"] for item in default["items"]] == expected and default["next_cursor"] is None
    people = app_client.get(f"{programme}/participants", headers=world.coordinator).json()["items"]
    assert {tuple(sorted(person)) for person in people} == {("active", "email", "id", "name", "role")}
    # A cursor names a place in the list: an item added since shows on the next page.
    first = app_client.get(f"{programme}/mentorships?limit=5", headers=world.coordinator).json()
    assert [item["id"] for item in first["items"]] == mentorships
    later = draft(app_client, world, enrol_mentee(app_client, world, "Later"))
    rest = app_client.get(
        f"{programme}/mentorships?limit=5&cursor={first['next_cursor']}&after={position(app_client)}",
        headers=world.coordinator,
    )
    assert [item["id"] for item in rest.json()["items"]] == [later], rest.text


def b64(text: bytes) -> str:
    return base64.urlsafe_b64encode(text).decode()


BAD_LIMITS = ["0", "101", "-1", "1000", "abc", "1.5", ECHO]
MALFORMED_CURSORS = [
    ECHO,  # not base64 (bad padding)
    ECHO + "!!",
    "!!!!",  # nothing decodes
    b64(b"not-a-number-" + ECHO.encode()),
    b64(b"-1"),
    b64(b"1.5"),
    b64(b"\xff\xfe\xfd"),  # not UTF-8
    b64(b"12") + ECHO * 7,  # over 64 characters
]


def test_limit_and_cursor_are_checked(app_client: TestClient, world: World) -> None:
    """`?limit` within [1, 100] (else 422 naming `limit`); a malformed cursor is 422 naming `cursor`."""
    failures: list[str] = []
    for template in PAGED:
        headers = world.headers(reader(template))
        for limit in ("1", "50", "100"):
            response = app_client.get(url(template, world, query=f"limit={limit}"), headers=headers)
            if response.status_code != 200:
                failures.append(f"{template}?limit={limit}: {response.status_code}: {response.text[:200]}")
        for limit in BAD_LIMITS:
            response = app_client.get(url(template, world, query=f"limit={limit}"), headers=headers)
            failures += [f"{template}?limit={limit}: {p}" for p in problem_failures(response, 422, ["limit"], limit)]
        for cursor in MALFORMED_CURSORS:
            response = app_client.get(url(template, world, query=f"cursor={cursor}"), headers=headers)
            failures += [
                f"{template}?cursor={cursor}: {p}" for p in problem_failures(response, 422, ["cursor"], cursor)
            ]
    assert not failures, failed(failures)


def test_a_cursor_past_any_position_is_no_server_error(app_client: TestClient) -> None:
    """A forged cursor naming a position past 2**63: an empty last page or a 422 naming `cursor`, never a 500."""
    programme_id, coordinator = launch(app_client)
    _, mentor_token = enrol(app_client, coordinator, programme_id, "mentor", "Mentor")
    paths = {
        "/v1/me/mentorships": bearer(mentor_token),
        f"/v1/programmes/{programme_id}/mentorships": coordinator,
        f"/v1/programmes/{programme_id}/participants": coordinator,
    }
    failures: list[str] = []
    for template, headers in paths.items():
        for digits in (19, 20, 45):
            cursor = b64(b"9" * digits)
            response = app_client.get(f"{template}?cursor={cursor}", headers=headers)
            label = f"{template}, a cursor of {digits} nines"
            if response.status_code == 200:
                if response.json() != {"items": [], "next_cursor": None}:
                    failures.append(f"{label}: {response.text[:200]}")
            else:
                failures += [f"{label}: {p}" for p in problem_failures(response, 422, ["cursor"], cursor)]
    assert not failures, failed(failures)


# 4. Report bounds and CSV ---------------------------------------------------------------------------------------------


REPORT_OK = [
    "from=2026-01-01&to=2026-02-01",
    "from=2026-01-01",
    "to=2026-02-01",
    "from=2026-01-01T00:00:00%2B01:00&to=2026-02-01T00:00:00-05:00",
    "from=2026-01-01T10:00:00Z&to=2026-01-02T10:00:00.123456%2B00:00",
    "from=2026-01-01&to=2026-01-02",  # one day
]
REPORT_REFUSED = [  # the query, the field a 422 names, a part of the input the answer must not echo
    ("from=2026-02-01&to=2026-02-01", "to", "2026-02-01"),  # an empty window
    ("from=2026-02-01&to=2026-01-01", "to", "2026-01-01"),  # upside down
    ("from=2026-02-01T10:00:00%2B00:00&to=2026-02-01T12:00:00%2B00:00", "to", "T12:00"),  # the same day
    ("from=2026-01-15T10:00:00", "from", "2026-01-15T10"),  # a time without offset
    ("to=2026-01-15T10:00:00", "to", "2026-01-15T10"),
    ("from=2026-01-01&to=2026-01-15T10:00", "to", "2026-01-15T10"),
    ("from=20260101", "from", "20260101"),  # a basic-format date: a time without offset
    ("from=" + ECHO, "from", ECHO),
    ("to=2026-02-30", "to", "2026-02-30"),
    ("to=2026-13-01", "to", "2026-13-01"),
    ("from=2026-01-01T25:00:00%2B00:00", "from", "T25:00"),
    ("from=2026-01-01T10:00:00%2B25:00", "from", "+25:00"),
    ("from=" + ECHO * 5, "from", ECHO),  # over 40 characters
    ("format=" + ECHO, "format", ECHO),
    ("format=xml", "format", ECHO),
    ("format=CSV", "format", ECHO),
    ("format=csv&to=" + ECHO, "to", ECHO),  # CSV or not, a bad bound is a problem+json
]
CALENDAR_EDGES = [
    "to=0001-01-01",
    "to=0001-01-02",
    "from=0001-01-01&to=0001-01-02",
    "from=9999-12-31",
    "from=0001-01-01&to=9999-12-31",
    "to=0001-01-01T12:00:00%2B00:00",
    "from=9999-12-31T12:00:00%2B00:00",
    "from=0001-01-01T00:00:00%2B14:00",
    "to=9999-12-31T23:00:00-14:00",
]


def test_report_bounds_and_format(app_client: TestClient, world: World) -> None:
    report = f"/v1/programmes/{world.programme_id}/report"
    at = f"after={position(app_client)}"  # the report needs its read model to know the programme (see below)
    failures: list[str] = []
    for query in REPORT_OK:
        for who in ("coordinator", "auditor"):
            response = app_client.get(f"{report}?{query}&{at}", headers=world.headers(who))
            if response.status_code != 200 or response.headers["content-type"].split(";")[0] != "application/json":
                failures.append(f"{query} as {who}: {response.status_code}: {response.text[:200]}")
            elif set(response.json()["early_end_reasons"]) != set(REASONS):
                failures.append(f"{query} as {who}: {response.text[:200]}")
    for query, field, echo in REPORT_REFUSED:
        response = app_client.get(f"{report}?{query}&{at}", headers=world.coordinator)
        failures += [f"{query}: {p}" for p in problem_failures(response, 422, [field], echo)]
        if not query.startswith("format="):  # the CSV operation takes the same bounds
            response = app_client.get(f"{report}.csv?{query}&{at}", headers=world.coordinator)
            failures += [f".csv?{query}: {p}" for p in problem_failures(response, 422, [field], echo)]
    # Scope and role come before the bounds.
    bad = f"from=2026-01-15T10:00:00&to={ECHO}&format={ECHO}&{at}"
    order: list[tuple[str | None, int]] = [("other_coordinator", 404), ("mentor", 403), (None, 401), ("auditor", 422)]
    for caller, status in order:
        response = app_client.get(f"{report}?{bad}", headers=auth(world, caller))
        failures += [f"{bad} as {caller}: {p}" for p in problem_failures(response, status)]
    assert not failures, failed(failures)


def test_report_bounds_at_the_calendars_edges_are_no_server_error(app_client: TestClient) -> None:
    """A window at the calendar's ends: a (possibly empty) report or a 422 naming the bound, never a 500."""
    programme_id, coordinator = launch(app_client)
    at = position(app_client)
    failures: list[str] = []
    for query in CALENDAR_EDGES:
        response = app_client.get(f"/v1/programmes/{programme_id}/report?{query}&after={at}", headers=coordinator)
        if response.status_code != 200:
            named = [name for name in ("from", "to") if name in query]
            errors = problem_failures(response, 422, [], echo="")
            if not errors and not {e["field"] for e in response.json()["errors"]} & set(named):
                errors.append(f"the 422 names neither of {named}: {response.text[:200]}")
            failures += [f"{query}: {p}" for p in errors]
    assert not failures, failed(failures)


def csv_rows(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == "text/csv"
    return list(csv.reader(io.StringIO(response.text)))


def test_report_as_csv(app_client: TestClient, world: World) -> None:
    report = f"/v1/programmes/{world.programme_id}/report"
    at = position(app_client)  # the report reads the read models: wait for everything stored so far
    figures = app_client.get(f"{report}?from=2026-01-01&to=2026-02-01&after={at}", headers=world.auditor).json()
    flat = {
        f"{name}.{key}" if isinstance(value, dict) else name
        for name, value in figures.items()
        for key in (value if isinstance(value, dict) else [None])
    }
    for query in ("format=csv", "format=csv&from=2026-01-01&to=2026-02-01", "from=2026-01-01T00:00:00Z&format=csv"):
        for headers in (world.coordinator, world.auditor):
            rows = csv_rows(app_client.get(f"{report}?{query}", headers=headers))
            assert rows[0] == ["metric", "value"]
            assert all(len(row) == 2 for row in rows), rows
            metrics = [row[0] for row in rows[1:]]
            assert len(metrics) == len(set(metrics)) and set(metrics) == flat
            assert {f"early_end_reasons.{reason}" for reason in REASONS} <= set(metrics)
    values = dict(
        csv_rows(app_client.get(f"{report}?format=csv&from=2026-01-01&to=2026-02-01", headers=world.auditor))[1:]
    )
    assert values["mentorships_active"] == str(figures["mentorships_active"]) == "1"
    assert values["mentorships_awaiting_signatures"] == "1"
    assert values["early_end_reasons.other"] == "0"
    assert values["early_end_rate"] == ""  # null: nothing ended
    # The CSV operation answers what `?format=csv` answers, for the same bounds
    for query in ("", "from=2026-01-01&to=2026-02-01", "from=2026-01-01T00:00:00Z"):
        same = csv_rows(app_client.get(f"{report}?format=csv&{query}", headers=world.auditor))
        assert csv_rows(app_client.get(f"{report}.csv?{query}", headers=world.auditor)) == same, query


# 5. Without projections: 503 until the read side catches up ------------------------------------------------------


def test_without_projections_a_fresh_summary_is_not_ready_until_caught_up(settings: Settings, clock: FakeClock) -> None:
    unprojected = settings.model_copy(update={"projections": False, "read_wait_seconds": 0.2})
    with client_of(unprojected, clock) as (client, w):
        app = client.app
        assert isinstance(app, FastAPI)
        mentorship_id = draft(client, w, enrol_mentee(client, w, "Fresh"))
        path = f"/v1/mentorships/{mentorship_id}"
        for who in ("coordinator", "auditor", "mentor"):
            started = time.monotonic()
            response = client.get(path, headers=w.headers(who))
            assert time.monotonic() - started < 5
            assert_problem(response, 503)
        # Who you are and what you may see still come first: 401 and 404 at once, not 503.
        assert_problem(client.get(path, headers=w.other_coordinator), 404)
        assert_problem(client.get(path, headers=w.other_mentor), 404)
        assert_problem(client.get(path), 401)
        at = position(client)
        listed = client.get(f"/v1/programmes/{w.programme_id}/mentorships?after={at}", headers=w.coordinator)
        assert_problem(listed, 503)

        app.state.read_side.catch_up()

        summary = client.get(path, headers=w.coordinator)
        assert summary.status_code == 200, summary.text
        assert summary.json()["id"] == mentorship_id and summary.json()["status"] == "awaiting_signatures"
        listed = client.get(f"/v1/programmes/{w.programme_id}/mentorships?after={at}", headers=w.coordinator)
        assert listed.status_code == 200, listed.text
        assert [item["id"] for item in listed.json()["items"]] == [
            w.mentorship_id,
            w.other_mentorship_id,
            mentorship_id,
        ]
        journal = client.get(f"{path}/journal", headers=w.mentor)  # read from the events: never waits
        assert journal.status_code == 200, journal.text


def test_without_projections_a_new_programmes_queries_are_not_ready_rather_than_not_found(
    settings: Settings, clock: FakeClock
) -> None:
    """A programme the report's read model does not know yet exists all the same: like a summary not yet
    projected, its report is 503 `not-ready`, not 404 (which says "out of your reach")."""
    unprojected = settings.model_copy(update={"projections": False, "read_wait_seconds": 0.2})
    with TestClient(create_app(unprojected, ports(clock))) as client:
        app = client.app
        assert isinstance(app, FastAPI)
        programme_id, coordinator = launch(client)
        report = f"/v1/programmes/{programme_id}/report"
        assert_problem(client.get(report, headers=coordinator), 503)
        assert_problem(client.get(f"{report}?format=csv", headers=coordinator), 503)
        app.state.read_side.catch_up()
        assert client.get(report, headers=coordinator).status_code == 200
