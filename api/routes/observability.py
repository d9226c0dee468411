"""What a monitor reads, without a token: `/metrics` (Prometheus) and `/readyz` (readiness, apart from `/healthz`)."""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from pydantic import BaseModel, Field

from api import problems
from api.metrics import Metrics
from bootstrap.observation import Lag, StoreObservation
from bootstrap.settings import Settings

router = APIRouter(tags=["system"])
metrics_router = APIRouter(tags=["system"])  # left out when MENTORAT_METRICS=false: `/metrics` is then a 404
log = logging.getLogger("mentorat.api")


class ModelLag(BaseModel):
    """How far one read model is behind the store."""

    lag_events: int = Field(description="Events stored and not yet folded into this read model.")
    lag_seconds: float = Field(description="0 when caught up, else how long its oldest unfolded event has waited.")


class Readiness(BaseModel):
    """The store answered and every read model is within the lag setting."""

    status: Literal["ready"] = Field(description="Always `ready` (a process that is not answers 503).")
    projections: Literal["in_process", "elsewhere"] = Field(
        description="Whether this process runs the projectors (`elsewhere`: `serve --no-projections`)."
    )
    max_lag_events: int = Field(description="The lag setting: `MENTORAT_READY_MAX_LAG_EVENTS`.")
    read_models: dict[str, ModelLag] = Field(description="Each read model's lag, by name.")


@metrics_router.get(
    "/metrics",
    response_class=PlainTextResponse,
    operation_id="getMetrics",
    responses={200: {"description": "The metrics, in the Prometheus text format (version 0.0.4)."}},
)
def get_metrics(request: Request) -> Response:
    """The Prometheus metrics of the API and of its store: no content, no personal data, no id in any label.

    Requests and latency by route template and status, commands by name and outcome, each read model's lag
    (events and seconds), the outbox's backlog and when the last checkpoint was written (see the README).
    """
    metrics: Metrics = request.app.state.metrics
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_PLAIN_0_0_4)


@router.get(
    "/readyz",
    response_model=Readiness,
    operation_id="getReadiness",
    responses={503: {"description": "Not ready: the store did not answer, or a read model is too far behind."}},
)
def get_readiness(request: Request) -> Response | dict[str, object]:
    """Readiness, apart from liveness (`/healthz`): the store answers and every read model is within the lag setting.

    A read model more than `MENTORAT_READY_MAX_LAG_EVENTS` events behind the store's head answers 503 `not-ready`;
    a store that cannot be reached answers 503 `unavailable`; both with `Retry-After`, naming the check that
    failed. The lag is read from the store, so `serve --no-projections` (read models kept by a `mentorat
    projector`) is ready only while that projector keeps up.
    """
    observation: StoreObservation = request.app.state.observation
    settings: Settings = request.app.state.settings
    try:
        lags = observation.lags()
    except Exception as error:  # logged by type only: a driver's message may quote the store
        log.warning("readiness: the store did not answer (%s)", type(error).__name__)
        return unready(problems.UNAVAILABLE, "Service unavailable", "Not ready: the store did not answer.")
    behind = sorted(name for name, lag in lags.items() if lag.events > settings.ready_max_lag_events)
    if behind:
        limit = settings.ready_max_lag_events
        detail = f"Not ready: read models more than {limit} events behind the store: {', '.join(behind)}."
        return unready(problems.NotReady.slug, "Not ready", detail)
    return {
        "status": "ready",
        "projections": "in_process" if settings.projections else "elsewhere",
        "max_lag_events": settings.ready_max_lag_events,
        "read_models": {name: described(lag) for name, lag in lags.items()},
    }


def described(lag: Lag) -> dict[str, float]:
    """A read model's lag as `/readyz` shows it."""
    return {"lag_events": lag.events, "lag_seconds": lag.seconds}


def unready(slug: str, title: str, detail: str) -> JSONResponse:
    """503 problem+json with `Retry-After`; the detail names the failed check, in our own words only."""
    return problems.problem(503, slug, title, detail)
