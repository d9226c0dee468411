"""The read side over a real socket: freshness after a command, and the cost of queries against /healthz.

One keep-alive client, one request at a time: latencies are a caller's, from request sent to answer read.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx

from bench.commands import percentile


@dataclass
class Latencies:
    """Seconds per request, and how many answers were not what was expected."""

    samples: list[float] = field(default_factory=list)
    failures: int = 0

    def add(self, seconds: float, ok: bool) -> None:
        """Record one request."""
        self.samples.append(seconds)
        self.failures += not ok

    def p(self, q: float) -> float:
        """The q-th percentile in milliseconds (0 when nothing was measured)."""
        return percentile(self.samples, q) if self.samples else 0.0

    @property
    def least(self) -> float:
        """The fastest request in milliseconds: the cost without this machine's stalls."""
        return 1000 * min(self.samples) if self.samples else 0.0

    @property
    def per_second(self) -> float:
        """Requests per second, one after the other."""
        return len(self.samples) / sum(self.samples) if self.samples else 0.0


def bearer(token: str) -> dict[str, str]:
    """The authorization header of a token."""
    return {"Authorization": f"Bearer {token}"}


def freshness(base: str, targets: Sequence[tuple[UUID, str]]) -> tuple[Latencies, Latencies]:
    """Schedule a meeting on each mentorship, then read its summary `?after=` the command's position.

    Answers the commands' latencies and, per command, acknowledged → summary answered 200 showing the
    command's version.
    """
    body = {"scheduled_for": (datetime.now(UTC) + timedelta(days=30)).isoformat()}
    commands, reads = Latencies(), Latencies()
    with httpx.Client(base_url=base, timeout=30) as client:
        for mentorship_id, token in targets:
            headers = bearer(token)
            sent = time.perf_counter()
            answer = client.post(f"/v1/mentorships/{mentorship_id}/meetings", json=body, headers=headers)
            acknowledged = time.perf_counter()
            commands.add(acknowledged - sent, answer.status_code == 201)
            if answer.status_code != 201:
                continue
            written = answer.json()
            read = client.get(
                f"/v1/mentorships/{mentorship_id}", params={"after": written["position"]}, headers=headers
            )
            seen = read.status_code == 200 and read.json()["version"] >= written["version"]
            reads.add(time.perf_counter() - acknowledged, seen)
    return commands, reads


Request = tuple[str, str | None]  # a path and the bearer token to send it with


def interleaved(base: str, requests: Iterator[Request], count: int, seconds: float) -> tuple[Latencies, Latencies]:
    """Up to `count` rounds of (/healthz, the next request) on one client, stopping once `seconds` have passed.

    A few rounds first are not recorded (connections opened, statements prepared).
    """
    query, health = Latencies(), Latencies()
    warmup = min(20, count // 10)
    with httpx.Client(base_url=base, timeout=30) as client:
        deadline = math.inf
        for round_number in range(warmup + count):
            if round_number == warmup:
                deadline = time.perf_counter() + seconds
            elif time.perf_counter() > deadline:
                break
            for measured, (path, token) in ((health, ("/healthz", None)), (query, next(requests))):
                sent = time.perf_counter()
                answer = client.get(path, headers=bearer(token) if token else None)
                if round_number >= warmup:
                    measured.add(time.perf_counter() - sent, answer.status_code == 200)
    return query, health


def summaries(mentorships: Sequence[tuple[UUID, UUID]], coordinators: dict[UUID, str], seed: int) -> Iterator[Request]:
    """Random mentorships' summaries, each read by its programme's coordinator."""
    rng = random.Random(seed)
    while True:
        mentorship_id, programme_id = rng.choice(mentorships)
        yield f"/v1/mentorships/{mentorship_id}", coordinators[programme_id]


def reports(coordinators: dict[UUID, str], seed: int) -> Iterator[Request]:
    """Random programmes' reports, each read by the programme's coordinator."""
    rng, programmes = random.Random(seed), sorted(coordinators)
    while True:
        programme_id = rng.choice(programmes)
        yield f"/v1/programmes/{programme_id}/report", coordinators[programme_id]
