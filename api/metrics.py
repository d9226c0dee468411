"""The Prometheus metrics of the API (`GET /metrics`): requests, latency and commands, and the store's gauges.

Requests are counted and timed by route *template* (`/v1/mentorships/{mentorship_id}`, read from the route the
router matched), never by the raw path: a label holds no id, no query, nothing a caller typed. The store's
gauges (`bootstrap/observation.py`) are read when `/metrics` is scraped, so any process answers them alike.

Several processes (`serve --workers N`): the supervisor gives them a directory of their own in
`PROMETHEUS_MULTIPROC_DIR` (`api/server.py`); prometheus-client's multiprocess mode then keeps each worker's
counters and histograms in files there, and whichever worker answers a scrape sums them all.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from datetime import datetime

from fastapi.routing import APIRoute
from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bootstrap.observation import StoreObservation

# No `_created` series: one process or several (multiprocess mode has none) read alike.
disable_created_metrics()  # type: ignore[no-untyped-call]
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's own variable
NO_ROUTE = "(no route)"  # as the access log says: an unknown path is not echoed
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
COMMAND_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# From a /healthz (well under a millisecond) to a report over a large programme, or a `?after` wait (5 s).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def route_of(scope: Scope, routes: Sequence[BaseRoute]) -> BaseRoute | None:
    """The route the router matched; or, for an answer given before routing (an idempotent replay), the one it would.

    `routes` are the API's own (its routers', with their full paths): FastAPI's included routers match as a whole.
    """
    route = scope.get("route")
    if isinstance(route, BaseRoute):
        return route
    return next((candidate for candidate in routes if candidate.matches(scope)[0] == Match.FULL), None)


def template_of(route: BaseRoute | None) -> str:
    """The route's path template, or `(no route)`."""
    return getattr(route, "path", None) or NO_ROUTE


def command_name(route: BaseRoute | None) -> str | None:
    """A command's name (its operation id, else its endpoint's name); None for a route that is not a command."""
    if not isinstance(route, APIRoute) or not route.path.startswith("/v1/"):
        return None
    if not (route.methods or set()) & COMMAND_METHODS:
        return None
    return route.operation_id or route.name


def outcome_of(status: int, replayed: bool) -> str:
    """What became of a command: `replayed` (an Idempotency-Key's stored answer), `accepted`, `refused`, `failed`,
    or `unanswered` (the caller left before any answer: status 0)."""
    if replayed:
        return "replayed"
    if not status:
        return "unanswered"
    return "accepted" if status < 400 else "refused" if status < 500 else "failed"


class Metrics:
    """The app's metric objects and the registry `/metrics` exposes (one per app, so tests may build several)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        multiprocess = bool(os.environ.get(MULTIPROCESS_DIR))
        own = None if multiprocess else self.registry  # multiprocess: the values live in files, summed on scrape
        self.requests = Counter(
            "mentorat_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=own,
        )
        self.latency = Histogram(
            "mentorat_http_request_duration_seconds",
            "Time from the request to the last byte of its answer, by route template and method.",
            ["route", "method"],
            registry=own,
            buckets=LATENCY_BUCKETS,
        )
        self.commands = Counter(
            "mentorat_commands",
            "Commands (POST, PUT, PATCH, DELETE on /v1/) by name and outcome: "
            "accepted, refused, failed, replayed, unanswered.",
            ["command", "outcome"],
            registry=own,
        )
        if multiprocess:
            MultiProcessCollector(self.registry)  # type: ignore[no-untyped-call]
        self._gauges: StoreGauges | None = None
        self.routes: list[BaseRoute] = []  # the API's routes, for answers given before routing (`create_app`)

    def observe(self, scope: Scope, status: int, seconds: float, replayed: bool) -> None:
        """Count and time one answered request."""
        route = route_of(scope, self.routes)
        template = template_of(route)
        method = scope["method"] if scope["method"] in METHODS else "other"  # the method is input: bounded
        self.requests.labels(template, method, str(status)).inc()
        self.latency.labels(template, method).observe(seconds)
        command = command_name(route) if method in COMMAND_METHODS else None
        if command is not None:
            self.commands.labels(command, outcome_of(status, replayed)).inc()

    def watch(self, observation: StoreObservation) -> None:
        """Expose the store's gauges too, read at each scrape (a lifespan run again replaces the earlier ones)."""
        if self._gauges is not None:
            self.registry.unregister(self._gauges)
        self._gauges = StoreGauges(observation)
        self.registry.register(self._gauges)

    def exposition(self) -> bytes:
        """The text format of every metric."""
        return generate_latest(self.registry)


class StoreGauges:
    """A prometheus-client collector of the store's figures: read lag, outbox backlog, last checkpoint."""

    def __init__(self, observation: StoreObservation) -> None:
        self.observation = observation

    def describe(self) -> list[Metric]:
        """Nothing to describe ahead: the registry must not read the store when this collector registers."""
        return []

    def collect(self) -> Iterator[Metric]:
        """The gauges, read now; `mentorat_store_up` 0 (and no other store gauge) when the store cannot answer."""
        up = GaugeMetricFamily("mentorat_store_up", "1 when the store answered this scrape's queries, else 0.")
        try:
            gauges = list(self.gauges())
        except Exception:  # an unreachable store: say so, and still expose the request metrics
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from gauges

    def gauges(self) -> Iterator[Metric]:
        """Every store gauge (may raise when the store cannot answer)."""
        lags = self.observation.lags()
        events = GaugeMetricFamily(
            "mentorat_projection_lag_events",
            "Events stored and not yet folded into the read model (the store's head minus its position).",
            labels=["read_model"],
        )
        seconds = GaugeMetricFamily(
            "mentorat_projection_lag_seconds",
            "0 when the read model is caught up, else how long the oldest event it has not folded has waited.",
            labels=["read_model"],
        )
        for name, lag in lags.items():
            events.add_metric([name], lag.events)
            seconds.add_metric([name], lag.seconds)
        yield events
        yield seconds
        outbox = self.observation.outbox()
        yield GaugeMetricFamily(
            "mentorat_outbox_pending_messages", "Messages (invitations) waiting to be sent.", value=outbox.waiting
        )
        yield GaugeMetricFamily(
            "mentorat_outbox_oldest_pending_seconds",
            "How long the oldest waiting message has waited (0 when none waits).",
            value=outbox.oldest_seconds,
        )
        yield GaugeMetricFamily(
            "mentorat_last_checkpoint_timestamp_seconds",
            "When the last signed checkpoint was written (Unix time; 0: never).",
            value=unix(self.observation.last_checkpoint()),
        )


def unix(moment: datetime | None) -> float:
    """Seconds since the epoch, 0 for none."""
    return 0.0 if moment is None else moment.timestamp()


class Measured:
    """Counts and times every HTTP request (pure ASGI, like `api/edge.py`: no `BaseHTTPMiddleware`)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, noting its status and whether it was a replay; observe it when it ends."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status, replayed = 0, False

        async def noting_send(message: Message) -> None:
            nonlocal status, replayed
            if message["type"] == "http.response.start":
                status = message["status"]
                replayed = any(k.lower() == b"idempotent-replayed" for k, _ in message.get("headers", ()))
            await send(message)

        try:
            await self.app(scope, receive, noting_send)
        finally:
            self.metrics.observe(scope, status, time.perf_counter() - started, replayed)  # 0: the caller left first
