"""Each web page's server time with 1,000 mentorships in the programme, on PostgreSQL, in process.

Seeding: one programme of `MENTORAT_BENCH_PAGES_MENTORSHIPS` pairs (1,000) lived through the domain
aggregates (`bench.population`) and stored by COPY; the indexes an older store gets at start-up are built
(`bench.readside.reindex`); every read model caught up. Then the app is served in process (Starlette's
TestClient: no socket, so a request's time is the app's own plus the client's small share) and signed in
through the application as a coordinator, an auditor, and the mentor and mentee of an active mentorship.
Each page is requested `MENTORAT_BENCH_PAGES_ROUNDS` times (200), interleaved with `/healthz` (the anchor: the
cheapest answer of the same app, same client, same run), and its p50 and p99 printed beside the anchor's.
Target (issue 14): every page's p99 <= 50 ms.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID

import psycopg
from fastapi.testclient import TestClient

from api.app import create_app
from bench.population import EVENTS_PER_PAIR, populate
from bench.readside import PG_URL, fresh_schema, reindex
from bench.seeding import CopyWriter
from bench.simulation import Simulation
from bootstrap.read_side import ReadSide
from bootstrap.service import build_service
from bootstrap.settings import Settings
from domain.mentorship import ACTIVE
from infrastructure.data_keys import new_master_key

Row = tuple[str, str, str]
SEED = 1414
SESSION_COOKIE = "mentorat_session"
TARGET_MS = 50.0


def _size(name: str, default: int) -> int:
    return int(os.environ.get(f"MENTORAT_BENCH_PAGES_{name}") or default)


def seeded(settings: Settings, pairs: int) -> Simulation:
    """One programme's history stored by COPY, indexed as an older store is, and every read model caught up."""
    service = build_service(settings)
    try:
        end = datetime.now(UTC) - timedelta(hours=1)
        sim = populate(CopyWriter(service.store), pairs, pairs * EVENTS_PER_PAIR, 1, SEED, end)
        sim.run(end)
        reindex(service, str(settings.database_schema))
        read_side = ReadSide(service.store, settings)
        try:
            read_side.catch_up(list(read_side.positions()))
        finally:
            read_side.close()
    finally:
        service.close()
    return sim


def session(client: TestClient, participant_id: UUID) -> str:
    """A web session's token for a participant, opened through the application (the operator invites them)."""
    service = client.app.state.service  # type: ignore[attr-defined]
    code = service.participants.invite_as_operator(participant_id).data["code"]
    token: str = service.sessions.open(code).token
    return token


def pages(client: TestClient, sim: Simulation) -> list[tuple[str, str, str]]:
    """(who, path, session token) for every page of the web app worth timing."""
    cohort = sim.cohorts[0]
    mentorship, mentee, _ = next(item for item in sim.mentorships.values() if item[0].status == ACTIVE)
    service = client.app.state.service  # type: ignore[attr-defined]
    auditor = service.participants.register_as_operator(cohort.id, "auditor", "Auditor", None, "fr")
    tokens = {
        "coordinator": session(client, cohort.coordinator.id),
        "mentor": session(client, mentorship.mentor_id),
        "mentee": session(client, mentee.id),
        "auditor": session(client, UUID(str(auditor.aggregate_id))),
    }
    mid = str(mentorship.id)
    wanted = [
        ("anyone", "/sign-in"),
        ("coordinator", "/programme"),
        ("coordinator", "/worklist"),
        ("coordinator", "/programme/mentorships"),
        ("coordinator", f"/programme/mentorships/{mid}"),
        ("coordinator", "/programme/participants"),
        ("coordinator", "/programme/mentorships/new"),
        ("mentor", "/mentorships"),
        ("mentee", "/mentorships"),
        ("auditor", "/audit"),
        ("mentor", f"/mentorships/{mid}"),
        ("mentee", f"/mentorships/{mid}"),
        ("mentee", f"/mentorships/{mid}/journal"),
        ("mentee", f"/mentorships/{mid}/meetings"),
        ("mentor", f"/mentorships/{mid}/disputes"),
        ("auditor", "/audit/mentorships"),
        ("auditor", f"/audit/mentorships/{mid}"),
        ("auditor", "/audit/history"),
    ]
    return [(who, path, tokens.get(who, "")) for who, path in wanted]


def timed(call: Callable[[], Any]) -> float:
    """One call's time in milliseconds."""
    started = time.perf_counter()
    call()
    return 1000 * (time.perf_counter() - started)


def p(samples: list[float], q: int) -> float:
    """A percentile of the samples."""
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1] if len(samples) > 1 else samples[0]


def fetch(client: TestClient, path: str, token: str) -> None:
    """One page, signed in with the token; it must answer 200 (a refused page would time nothing)."""
    client.cookies.clear()
    if token:
        client.cookies.set(SESSION_COOKIE, token)
    answer = client.get(path, follow_redirects=False)
    assert answer.status_code == 200, (path, answer.status_code)


def run() -> list[Row]:
    """Rows of (measure, figures, ratio or target), or one row saying why this part is skipped."""
    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.OperationalError:
        return [("web pages at 1,000 mentorships", "skipped: no PostgreSQL at MENTORAT_BENCH_DATABASE_URL", "-")]
    pairs, rounds = _size("MENTORSHIPS", 1_000), _size("ROUNDS", 200)
    with fresh_schema() as (settings, _):
        started = time.perf_counter()
        sim = seeded(settings, pairs)
        seeding = time.perf_counter() - started
        with TestClient(create_app(settings)) as client:
            timed_pages = pages(client, sim)
            samples: dict[str, list[float]] = {f"{who} {path}": [] for who, path, _ in timed_pages}
            anchor: list[float] = []
            for _who, path, token in timed_pages:  # warm: templates compiled, pools filled, caches primed
                for _ in range(5):
                    fetch(client, path, token)
            for _ in range(rounds):
                for who, path, token in timed_pages:
                    samples[f"{who} {path}"].append(timed(partial(fetch, client, path, token)))
                anchor.append(timed(partial(fetch, client, "/healthz", "")))
    rows: list[Row] = [
        (
            f"web pages: {pairs:,} mentorships seeded",
            f"{sim.events:,} events lived, COPied and projected in {seeding:.0f} s",
            "informational",
        )
    ]
    for name, found in samples.items():
        rows.append(
            (
                f"page {name} (in process, {rounds} rounds)",
                f"p50 {p(found, 50):.1f} ms, p99 {p(found, 99):.1f} ms",
                f"p50 {p(found, 50) / p(anchor, 50):.1f}x /healthz's (p50 {p(anchor, 50):.2f} ms); "
                f"target p99 <= {TARGET_MS:.0f} ms: {'met' if p(found, 99) <= TARGET_MS else 'missed'}",
            )
        )
    return rows


if __name__ == "__main__":
    os.environ.setdefault("MENTORAT_MASTER_KEY", new_master_key())  # PostgreSQL stores need one: this run's own
    for row in run():
        print(*row, sep="  |  ")
