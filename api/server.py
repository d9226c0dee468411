"""How `mentorat serve` runs the app under uvicorn: our own access log replaces uvicorn's; one process or several."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
import time
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from api.app import create_app
from api.metrics import MULTIPROCESS_DIR
from bootstrap.logs import configure_logging
from bootstrap.settings import Settings

WORKER_APP = "api.server:worker_app"  # what each worker process imports and calls (uvicorn's factory)
PARENT_CHECK_SECONDS = 0.5


def server_options(host: str, port: int, log_level: str) -> dict[str, Any]:
    """Uvicorn's access log prints raw paths and query strings (request input); `mentorat.access` names templates.

    `log_config=None` leaves logging to the process (`mentorat serve` and each worker configure it).
    """
    return {
        "host": host,
        "port": port,
        "log_level": log_level.lower(),
        "access_log": False,
        "log_config": None,
        "lifespan": "on",
        "server_header": False,  # no `server: uvicorn`: nothing to fingerprint
    }


def uvicorn_config(app: FastAPI, host: str, port: int, log_level: str) -> uvicorn.Config:
    """One process serving `app`."""
    return uvicorn.Config(app, **server_options(host, port, log_level))


def worker_app() -> FastAPI:
    """In a worker process of `serve --workers N`: the app over the settings it inherits through the environment."""
    settings = Settings()
    configure_logging(settings)
    leave_with_the_supervisor()
    return create_app(settings)


def leave_with_the_supervisor(interval: float = PARENT_CHECK_SECONDS) -> None:
    """Shut this worker down gracefully (SIGTERM to itself) once the supervisor that started it is gone.

    Uvicorn's workers do not notice their supervisor's death (a SIGKILL, an OOM kill): an orphan would keep
    serving on the socket and keep its connections and advisory locks, so a new `serve` would stand by behind it.
    """
    supervisor = os.getppid()

    def watch() -> None:
        while os.getppid() == supervisor:
            time.sleep(interval)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="supervisor-watch", daemon=True).start()


def serve_workers(workers: int, host: str, port: int, log_level: str) -> int:
    """Run `workers` processes of `worker_app` on one socket (uvicorn's supervisor restarts one that dies).

    Answers the exit status: uvicorn's start-up failure (3) if a worker could not start, else 0. The workers'
    metrics go to a directory of their own, made here and removed at exit (`api/metrics.py`).
    """
    config = uvicorn.Config(WORKER_APP, factory=True, workers=workers, **server_options(host, port, log_level))
    metrics_dir = tempfile.mkdtemp(prefix="mentorat-metrics-")
    os.environ[MULTIPROCESS_DIR] = metrics_dir  # what the workers inherit: prometheus-client's multiprocess mode
    try:
        supervisor = Multiprocess(config, sockets=[config.bind_socket()])
        supervisor.run()
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
    return STARTUP_FAILURE if any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes) else 0
